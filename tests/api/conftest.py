"""A live center on a real socket, backed by a scratch database."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from dispatch_center.app import create_app
from dispatch_center.demo.accounts import DEMO_ACCOUNTS
from dispatch_center.settings import Settings

PASSWORD = "test-password-123"


@dataclass
class LiveCenter:
    """A running server plus helpers to talk to it as each demo account."""

    base_url: str
    app: Any
    tokens: dict[str, str]

    def client(self, username: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(username)}"} if username else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = httpx.post(
                f"{self.base_url}/api/v1/auth/token",
                data={"username": username, "password": PASSWORD},
                timeout=10,
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    @property
    def center(self) -> Any:
        return self.app.state.center


def sign_in_as_new_users(
    c: httpx.Client, accounts: dict[str, tuple[str, str | None]], prefix: str
) -> tuple[str, dict[str, str]]:
    """Sign in as the demo admin and make one new account per ``accounts`` entry
    (``caller -> (role, unit_code)``); returns the admin's token and each caller's."""

    def sign_in(username: str) -> str:
        r = c.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    admin = sign_in("admin")
    tokens = {}
    for caller, (role, unit) in accounts.items():
        username = f"{prefix}_{caller}_{uuid.uuid4().hex[:6]}"
        body = {"username": username, "password": PASSWORD, "role": role, "unit_code": unit}
        r = c.post("/api/v1/users", json=body, headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 201, r.text
        tokens[caller] = sign_in(username)
    return admin, tokens


def start_live(settings: Settings, port: int) -> tuple[uvicorn.Server, threading.Thread, Any]:
    app = create_app(settings, demo_password=PASSWORD)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    return server, thread, app


@pytest.fixture(scope="session")
def live(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """One center for the API tests (demo accounts, in-process bus)."""
    url = make_database()
    data_dir: Path = tmp_path_factory.mktemp("center")
    settings = Settings(database_url=url, demo=True, data_dir=data_dir)
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {})
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def as_user(live: LiveCenter) -> Callable[[str], httpx.Client]:
    """``as_user("dispatcher")`` → an authenticated client, closed after the test."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        c = live.client(username)
        clients.append(c)
        return c

    yield make  # type: ignore[misc]
    for c in clients:
        c.close()


ALL_ACCOUNTS = list(DEMO_ACCOUNTS)


def new_order(**overrides: Any) -> dict[str, Any]:
    """A valid order body; override any field."""
    body: dict[str, Any] = {
        "channel": "phone",
        "category": {"type": "complaint", "code": "urban.sanitation"},
        "urgency": "general",
        "description": "嘉州长卷附近垃圾堆积三天无人清运",
        "location": {"lon": 103.7665, "lat": 29.5521},
        "address": "乐山市市中区滨江路",
        "reporter": {"name": "张先生", "phone": "13812345678"},
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def make_user(live: LiveCenter) -> Callable[..., str]:
    """``make_user("dispatcher")`` → username of a new account (password ``PASSWORD``),
    created through ``POST /api/v1/users`` as admin."""
    import uuid

    def make(role: str, unit_code: str | None = None, prefix: str = "u") -> str:
        username = f"{prefix}_{role}_{uuid.uuid4().hex[:8]}"
        body = {"username": username, "password": PASSWORD, "role": role, "unit_code": unit_code}
        with live.client("admin") as c:
            r = c.post("/api/v1/users", json=body)
        assert r.status_code == 201, r.text
        return username

    return make
