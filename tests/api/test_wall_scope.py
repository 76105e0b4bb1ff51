"""A wall-screen token reads the wall and nothing else (issue 15, finding 1).

The review's reproductions: a duty officer's 30-day wall token created an urgent order
through the seat's call form; an admin's posted a CAP alert, marked a 110 outbox message
sent and read ``/api/v1/users``. Each is refused with 403 now; the wall itself still reads.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from tests.api.conftest import LiveCenter, new_order

FIXTURES = Path(__file__).resolve().parents[1] / "feeds" / "fixtures"


def _wall_token(live: LiveCenter, issuer: str) -> str:
    with live.client(issuer) as c:
        r = c.post("/api/v1/auth/wall-token")
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def _as_wall(live: LiveCenter, issuer: str) -> httpx.Client:
    token = _wall_token(live, issuer)
    return httpx.Client(
        base_url=live.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _assert_403(r: httpx.Response) -> None:
    assert r.status_code == 403, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    assert r.json()["error"]["code"] == "forbidden"


def test_a_duty_officers_wall_token_cannot_create_an_urgent_order(live: LiveCenter) -> None:
    form = json.loads((FIXTURES / "voice" / "agent_form.json").read_text("utf-8"))
    form["callId"] = "wall-token-call-1"
    with _as_wall(live, "duty") as wall:
        _assert_403(wall.post("/api/v1/intake/voice/form", json=form))
        _assert_403(wall.post("/api/v1/orders", json=new_order(urgency="urgent")))
    # The same form with the duty officer's own sign-in is accepted: the refusal is the token's.
    with live.client("duty") as duty:
        assert duty.post("/api/v1/intake/voice/form", json=form).status_code == 202


def test_an_admins_wall_token_cannot_post_cap_or_mark_110_messages_sent(
    live: LiveCenter,
) -> None:
    cap = (FIXTURES / "weather_cap" / "rainstorm_red_alert.xml").read_bytes()
    with _as_wall(live, "admin") as wall:
        _assert_403(
            wall.post("/api/v1/feeds/cap", content=cap, headers={"Content-Type": "application/xml"})
        )
        _assert_403(wall.post("/api/v1/feeds/police110/outbox/sent", json={"ids": ["1"]}))
        _assert_403(wall.get("/api/v1/feeds/police110/outbox"))
        _assert_403(wall.post("/api/v1/feeds/hydrology/events", content=b"{}"))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/feeds/dead-letters",
        "/api/v1/orders",
        "/api/v1/reports",
        "/api/v1/feeds/police110/messages",
        "/api/v1/feeds/layers",
        "/api/v1/auth/me",
    ],
)
def test_an_admins_wall_token_reads_nothing_but_the_wall(live: LiveCenter, path: str) -> None:
    with _as_wall(live, "admin") as wall:
        _assert_403(wall.get(path))


def test_a_wall_token_still_reads_the_wall(live: LiveCenter) -> None:
    token = _wall_token(live, "duty")
    with _as_wall(live, "duty") as wall:
        for name in ("kpi", "feeds", "mode", "supervision"):
            r = wall.get(f"/api/v1/wallboard/sections/{name}")
            assert r.status_code == 200, f"{name}: {r.text}"
        # What the wall page's script calls besides its sections.
        assert wall.get("/api/v1/mode/suggestions", params={"status": "open"}).status_code == 200
        assert wall.get("/api/v1/geo/areas", params={"tier": 3}).status_code == 200
    page = httpx.get(f"{live.base_url}/wallboard", params={"token": token}, timeout=10)
    assert page.status_code == 303
    with httpx.Client(base_url=live.base_url, timeout=10) as browser:
        browser.cookies.set("dc_session", token)
        assert browser.get("/wallboard").status_code == 200

    async def snapshot() -> str:
        url = live.base_url.replace("http://", "ws://") + f"/ws/wallboard?token={token}"
        async with websockets.connect(url) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        return str(first["type"])

    assert asyncio.run(snapshot()) == "snapshot"


def test_a_wall_token_opens_no_other_page(live: LiveCenter) -> None:
    token = _wall_token(live, "admin")
    for page in ("/dispatch", "/supervision"):
        r = httpx.get(f"{live.base_url}{page}", params={"token": token}, timeout=10)
        assert r.status_code == 403, f"{page}: {r.status_code}"
        with httpx.Client(base_url=live.base_url, timeout=10) as browser:
            browser.cookies.set("dc_session", token)
            assert browser.get(page).status_code == 403, page
