"""No token in the server's logs (issue 15, Low): uvicorn logs each request's path with its
query string, and each WebSocket's, so a ``?token=`` on ``/wallboard``, ``/supervision``
or ``/ws/wallboard`` was written to the access log in full.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest
import websockets

from dispatch_center.api.logs import redact_query
from tests.api.conftest import LiveCenter


class Lines(logging.Handler):
    """Every line the uvicorn loggers write, as written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def server_log() -> Iterator[Lines]:
    """The live server's access and error logs at INFO while the test runs."""
    handler = Lines()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield handler
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_tokens_in_urls_stay_out_of_the_logs(live: LiveCenter, server_log: Lines) -> None:
    token = live.token("duty")
    wall = httpx.post(
        f"{live.base_url}/api/v1/auth/wall-token", headers={"Authorization": f"Bearer {token}"}
    ).json()["access_token"]
    # A new connection per request: uvicorn decides to log access per connection.
    for path in ("/wallboard", "/supervision", "/dispatch", "/api/v1/auth/me"):
        httpx.get(f"{live.base_url}{path}", params={"token": wall, "lang": "en"})
    httpx.get(f"{live.base_url}/supervision", params={"token": token})

    async def socket() -> None:
        url = live.base_url.replace("http://", "ws://") + f"/ws/wallboard?batch=1&token={wall}"
        async with websockets.connect(url) as ws:
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "snapshot"

    asyncio.run(socket())
    logged = "\n".join(server_log.lines)
    assert "/wallboard?token=[redacted]&lang=en" in logged
    assert "/ws/wallboard?batch=1&token=[redacted]" in logged
    assert "/supervision?token=[redacted]" in logged
    for secret in (token, wall, token.split(".")[2], wall.split(".")[2]):
        assert secret not in logged


@pytest.mark.parametrize(
    ("path", "redacted"),
    [
        ("/wallboard?token=a.b.c", "/wallboard?token=[redacted]"),
        ("/x?lang=en&token=a.b.c&since=4", "/x?lang=en&token=[redacted]&since=4"),
        (
            "/open311/v2/requests.json?api_key=k1&x=1",
            "/open311/v2/requests.json?api_key=[redacted]&x=1",
        ),
        ("/x?access_token=abc", "/x?access_token=[redacted]"),
        ("/x?mytoken=keep&tokens=keep", "/x?mytoken=keep&tokens=keep"),
        ("/wallboard", "/wallboard"),
    ],
)
def test_redact_query(path: str, redacted: str) -> None:
    assert redact_query(path) == redacted
