"""One handler turns a dependency's failure into 503 with Retry-After, never a 500: the
database (a broken connection, no connection within the acquire timeout) and the bus.

The end-to-end cases, on real servers that are stopped, are in
``tests/intake/test_intake_outages.py``; this pins the mapping of each error class."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import OperationalError
from psycopg.errors import QueryCanceled
from psycopg_pool import PoolTimeout

from dispatch_center.api.errors import install_error_handlers
from dispatch_center.bus.base import BusError

RAISED: dict[str, Exception] = {
    "pool": PoolTimeout("couldn't get a connection after 5.00 sec"),
    "connection": OperationalError("consuming input failed: server closed the connection"),
    "bus": BusError("Redis PUBLISH failed: ConnectionError"),
    # A statement the server refused (here: cancelled) is not an outage.
    "cancelled": QueryCanceled("canceling statement due to statement timeout"),
    "bug": ValueError("a bug of ours"),
}


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail/{what}")
    async def fail(what: str) -> None:
        raise RAISED[what]

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("what", "dependency"),
    [("pool", "database"), ("connection", "database"), ("bus", "bus")],
)
def test_a_dependency_away_is_503_with_retry_after(what: str, dependency: str) -> None:
    r = _client().get(f"/fail/{what}")
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    error = r.json()["error"]
    assert error["code"] == "unavailable"
    assert dependency in error["message"]
    # Nothing of the server's own message (addresses, ports) reaches the client.
    assert str(RAISED[what]) not in r.text


@pytest.mark.parametrize("what", ["bug", "cancelled"])
def test_a_bug_is_still_a_500(what: str) -> None:
    r = _client().get(f"/fail/{what}")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal"
