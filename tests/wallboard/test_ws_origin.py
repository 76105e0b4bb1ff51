"""``/ws/wallboard`` refuses a browser page of another origin: another site's page would
otherwise open the live stream with the reader's session cookie. Same origin, the
configured origins and clients that send no ``Origin`` (not a browser) are served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.wallboard.conftest import WallCenter


async def _snapshot(wall: WallCenter, origin: str | None, *, cookie: bool = False) -> Any:
    token = wall.token("duty")
    url = wall.ws_url if cookie else f"{wall.ws_url}?token={token}"
    headers = {"Cookie": f"dc_session={token}"} if cookie else None
    async with websockets.connect(
        url, origin=Origin(origin) if origin else None, additional_headers=headers
    ) as ws:
        return json.loads(await asyncio.wait_for(ws.recv(), 10))


def _refused(wall: WallCenter, origin: str, *, cookie: bool = False) -> int:
    with pytest.raises(InvalidStatus) as info:
        asyncio.run(_snapshot(wall, origin, cookie=cookie))
    return int(info.value.response.status_code)


@pytest.fixture
def allowed_origins(wall: WallCenter) -> Iterator[None]:
    settings = wall.center.settings
    before = settings.allowed_origins
    settings.allowed_origins = "https://wall.lszw.example, http://10.1.2.3:8443/"
    yield
    settings.allowed_origins = before


def test_a_foreign_origin_is_refused(wall: WallCenter) -> None:
    assert _refused(wall, "https://evil.example") == 403
    # Riding on the session cookie is exactly the attack: refused as well.
    assert _refused(wall, "https://evil.example", cookie=True) == 403
    assert _refused(wall, "null") == 403
    # Our host on another port is another origin.
    host = wall.base_url.rsplit(":", 1)[0]
    assert _refused(wall, f"{host}:1") == 403


def test_our_own_origin_is_served(wall: WallCenter) -> None:
    assert asyncio.run(_snapshot(wall, wall.base_url))["type"] == "snapshot"
    assert asyncio.run(_snapshot(wall, wall.base_url, cookie=True))["type"] == "snapshot"


def test_a_client_sending_no_origin_is_served(wall: WallCenter) -> None:
    # The benchmark and integrations are not browsers: no Origin, their own token.
    assert asyncio.run(_snapshot(wall, None))["type"] == "snapshot"


def test_configured_origins_are_served(wall: WallCenter, allowed_origins: None) -> None:
    assert asyncio.run(_snapshot(wall, "https://wall.lszw.example"))["type"] == "snapshot"
    assert asyncio.run(_snapshot(wall, "http://10.1.2.3:8443"))["type"] == "snapshot"
    assert _refused(wall, "https://other.lszw.example") == 403
