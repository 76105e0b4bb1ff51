"""Revocation across workers: two app instances (two workers) on one database.

With Redis, the revoking worker's announcement reaches the other at once (the other's
database poll is set to a minute here, so only the bus can explain a fast refusal); with no
shared bus, the poll does within its interval. Checking a known user's token costs no query.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.accounts.ledger import TokenLedger
from dispatch_center.settings import Settings
from tests.api.conftest import PASSWORD, start_live


@dataclass
class Worker:
    base_url: str
    app: Any
    server: Any
    thread: Any

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(
            f"{self.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def post(
        self, path: str, token: str | None = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{self.base_url}{path}", headers={**sent, **(headers or {})}, timeout=10, **kw
        )

    def sign_in(self, username: str) -> str:
        r = self.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    @property
    def ledger(self) -> TokenLedger:
        return self.app.state.center.runtimes.get(TokenLedger)


def _workers(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    data_dir: Path,
    **extra: Any,
) -> Iterator[tuple[Worker, Worker]]:
    url = make_database()
    # One data directory: the workers share the demo's signing key, as `serve` workers
    # share DISPATCH_SECRET_KEY.
    settings = Settings(database_url=url, demo=True, data_dir=data_dir, simulator=False, **extra)
    workers = []
    for _ in range(2):
        port = free_port()
        server, thread, app = start_live(settings, port)
        workers.append(Worker(f"http://127.0.0.1:{port}", app, server, thread))
    yield workers[0], workers[1]
    for w in workers:
        w.server.should_exit = True
    for w in workers:
        w.thread.join(15)


@pytest.fixture
def redis_workers(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    redis_url: str,
    tmp_path: Path,
) -> Iterator[tuple[Worker, Worker]]:
    """Two workers sharing the database and Redis; their database polls are a minute apart."""
    yield from _workers(make_database, free_port, tmp_path, redis_url=redis_url, token_sync_s=60)


@pytest.fixture(scope="module")
def polling_workers(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Worker, Worker]]:
    """Two workers sharing only the database (each has its own in-process bus)."""
    data_dir = tmp_path_factory.mktemp("polling-workers")
    yield from _workers(make_database, free_port, data_dir, token_sync_s=0.3)


def _refused_after(worker: Worker, token: str, limit_s: float) -> float:
    """Seconds until ``worker`` refuses ``token`` (fails after ``limit_s``)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if worker.get("/api/v1/auth/me", token).status_code == 401:
            return time.monotonic() - started
        time.sleep(0.01)
    pytest.fail(f"{worker.base_url} still accepts the revoked token after {limit_s} s")


def test_logout_on_one_worker_reaches_the_other_through_the_bus(
    redis_workers: tuple[Worker, Worker],
) -> None:
    a, b = redis_workers
    token = a.sign_in("duty")
    wall = a.post("/api/v1/auth/wall-token", token).json()["access_token"]
    assert b.get("/api/v1/auth/me", token).status_code == 200
    assert b.get("/api/v1/wallboard/sections/kpi", wall).status_code == 200

    # A known user's token costs the other worker no query.
    reads = b.ledger.reads
    for _ in range(50):
        assert b.get("/api/v1/auth/me", token).status_code == 200
    assert b.ledger.reads == reads

    assert a.post("/api/v1/auth/logout", token).status_code == 200
    assert a.get("/api/v1/auth/me", token).status_code == 401  # the revoking worker: at once
    took = _refused_after(b, token, limit_s=10)
    assert took < 1.0, f"revocation took {took:.3f} s to reach the other worker"
    # The wall link outlives its issuer's sign-out, on every worker.
    assert b.get("/api/v1/wallboard/sections/kpi", wall).status_code == 200

    # A new sign-in on A works on B at once, though B may not have heard of it yet.
    again = a.sign_in("duty")
    assert b.get("/api/v1/auth/me", again).status_code == 200


def test_a_wall_link_revoked_on_one_worker_ends_on_the_other_through_the_bus(
    redis_workers: tuple[Worker, Worker],
) -> None:
    a, b = redis_workers
    token = a.sign_in("duty")
    wall = a.post("/api/v1/auth/wall-token", token).json()["access_token"]
    assert b.get("/api/v1/wallboard/sections/kpi", wall).status_code == 200
    link = a.get("/api/v1/auth/wall-links", token).json()["items"][0]["id"]
    assert a.post(f"/api/v1/auth/wall-links/{link}/revoke", token).status_code == 200
    assert a.get("/api/v1/wallboard/sections/kpi", wall).status_code == 401  # at once
    started = time.monotonic()
    while b.get("/api/v1/wallboard/sections/kpi", wall).status_code != 401:
        assert time.monotonic() - started < 10, "the other worker still serves the wall"
        time.sleep(0.01)
    took = time.monotonic() - started
    assert took < 1.0, f"the link's revocation took {took:.3f} s to reach the other worker"


def test_deactivation_reaches_a_worker_that_hears_no_bus(
    polling_workers: tuple[Worker, Worker],
) -> None:
    a, b = polling_workers
    admin = a.sign_in("admin")
    token = a.sign_in("leader")
    assert b.get("/api/v1/auth/me", token).status_code == 200
    assert a.post("/api/v1/users/leader/deactivate", admin).status_code == 200
    took = _refused_after(b, token, limit_s=10)
    # The poll runs every 0.3 s here (2 s by default).
    assert took < 3.0, took


def test_sign_in_throttling_is_shared_by_the_workers(
    polling_workers: tuple[Worker, Worker],
) -> None:
    a, b = polling_workers
    forwarded = {"X-Forwarded-For": "203.0.113.50"}
    for _ in range(5):
        r = a.post(
            "/api/v1/auth/token",
            data={"username": "dispatcher", "password": "x"},
            headers=forwarded,
        )
        assert r.status_code == 401
    r = b.post(
        "/api/v1/auth/token",
        data={"username": "dispatcher", "password": PASSWORD},
        headers=forwarded,
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
