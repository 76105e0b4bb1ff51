"""A fake outside system for poll tests: a real HTTP server answering recorded payloads.

Each path has a script entry the test changes while the center polls: answer a body with a
status, or hang past the poller's timeout. Requests are counted and their headers kept, so a
test can see the center's credentials arrive.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from tests.intake.conftest import fixture_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Answer:
    """What the fake system answers on one path."""

    body: bytes | Callable[[], bytes] = b""  # a callable makes a fresh body per request
    status: int = 200
    hang_s: float = 0.0


@dataclass
class FakeSystem:
    """The server and its script; ``url(path)`` is what the center is configured with."""

    answers: dict[str, Answer] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = fake.answers.get(self.path, Answer(b"no such path", 404))
                fake.hits[self.path] = fake.hits.get(self.path, 0) + 1
                fake.headers[self.path] = {k.lower(): v for k, v in self.headers.items()}
                if answer.hang_s:
                    time.sleep(answer.hang_s)
                body = answer.body() if callable(answer.body) else answer.body
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the poller gave up waiting (its timeout): nobody is listening

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def hydrology_now(ago_s: float = 0.0) -> bytes:
    """The recorded hydrology answer, re-timed so its readings are ``ago_s`` old.

    Recorded readings are from 08:00 on the recording day; a poll test that checks "up"
    needs readings as fresh as a live gauge's, or the lag alone makes the feed degraded.
    """
    payload = json.loads(fixture_bytes("hydrology", "normal.json"))
    at = datetime.now(SHANGHAI) - timedelta(seconds=ago_s)
    for rec in payload["data"]:
        rec["TM"] = at.strftime("%Y-%m-%d %H:%M:%S")
    return json.dumps(payload, ensure_ascii=False).encode()
