"""Every route × every kind of caller, generated from the app's route table (issue 15).

A route that acts for someone declares a gate (:mod:`dispatch_center.api.deps`): which
roles it admits and whether a wall screen's token may pass. This test reads the gate of
every HTTP and WebSocket route and calls the route as every role (a county handler and a
township handler among them), with a wall token and with no token, expecting a refusal
(401/403, or the socket's 4401/4403) exactly where the gate says so. A route with no gate
must be listed in :data:`UNGATED` with the reason it needs none, so a new route without a
role check fails here.

One live server of its own (the calls change a few rows: a dead letter, an audit entry);
ids in paths name nothing, so an admitted caller meets a 404 or a 422, not a side effect.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import websockets
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, Route

from dispatch_center.accounts.identity import Gate
from dispatch_center.api.deps import PageGate, RoleGate, SocketGate, SourceOrStaff
from dispatch_center.core.roles import Role
from dispatch_center.settings import Settings
from tests.api.conftest import sign_in_as_new_users, start_live

#: Routes that act for no signed-in person, and why.
UNGATED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe",
    ("GET", "/readyz"): "readiness probe",
    ("GET", "/openapi.json"): "the public API description",
    ("GET", "/docs"): "the API's documentation page",
    ("GET", "/docs/oauth2-redirect"): "the documentation page's OAuth2 helper",
    ("POST", "/api/v1/auth/token"): "sign-in",
    ("POST", "/api/v1/auth/session"): "sign-in with a cookie",
    ("GET", "/"): "the sign-in page (a signed-in visitor is sent to their screen)",
    ("GET", "/api/v1/intake/wechat"): "WeChat's server check, signed by the platform",
    ("POST", "/api/v1/intake/wechat"): "WeChat's callback, signed by the platform",
    ("POST", "/api/v1/supervision/webhooks/video"): "the video system's HMAC-signed webhook",
    ("GET", "/open311/v2/{name}"): "Open311 GeoReport v2: public by design",
    ("POST", "/open311/v2/{name}"): "Open311 GeoReport v2: the client's api_key",
    ("GET", "/open311/v2/services/{name}"): "Open311 GeoReport v2: public by design",
    ("GET", "/open311/v2/requests/{name}"): "Open311 GeoReport v2: public by design",
    ("GET", "/open311/v2/tokens/{name}"): "Open311 GeoReport v2: public by design",
    ("GET", "/handler/manifest.webmanifest"): "the workbench's install manifest: static, no data",
    ("GET", "/handler/sw.js"): "the workbench's service worker script: static, no data",
    ("GET", "/api/v1/sms/dlr"): "the SMS gateway's delivery report, signed per message",
    ("GET", "/api/v1/sms/inbound"): "a citizen's text from our SMS gateway, with its key",
    ("GET", "/api/v1/public/status"): "the citizen's status lookup: public by design",
    ("GET", "/status"): "the citizen's status page: public by design",
}

#: Values for path parameters: they name nothing that exists.
PATH_VALUES = {"day": "2031-02-30", "tier": "9", "quarter": "1999Q9", "kind": "nothing"}
NOTHING = "999999"

COUNTY = "511102"
TOWNSHIP = "511102S01"
ROLES: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.admin, None),
    "duty_officer": (Role.duty_officer, "511100"),
    "dispatcher": (Role.dispatcher, "511100"),
    "flood_hq": (Role.flood_hq, "511100.flood_hq"),
    "holiday_hq": (Role.holiday_hq, "511100.holiday_hq"),
    "leader": (Role.leader, "511100"),
    "auditor": (Role.auditor, "511100"),
    "call_taker": (Role.call_taker, "511100"),
    "callback_agent": (Role.callback_agent, "511100"),
    "county_handler": (Role.handler, COUNTY),
    "township_handler": (Role.handler, TOWNSHIP),
}
WALL = "wall token"
NOBODY = "no token"
CALLERS = [*ROLES, WALL, NOBODY]


@dataclass(frozen=True)
class Cell:
    """One route called as one caller."""

    kind: str  # "api", "page" or "socket"
    method: str
    path: str
    gate: Gate | None

    def expect_denied(self, caller: str) -> bool:
        """Whether the gate refuses ``caller``."""
        if caller == NOBODY or self.gate is None:
            return caller == NOBODY
        if caller == WALL:
            return not self.gate.wall
        role = ROLES[caller][0]
        return bool(self.gate.roles) and role not in self.gate.roles


def _gate(route: APIRoute | APIWebSocketRoute) -> tuple[str, Gate] | None:
    """The route's gate and kind, read from its dependency tree."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if isinstance(call, SourceOrStaff | RoleGate):
            return "api", call.gate
        if isinstance(call, PageGate):
            return "page", call.gate
        if isinstance(call, SocketGate):
            return "socket", call.gate
        stack += dependant.dependencies
    return None


def route_cells(app: Any) -> list[Cell]:
    """Every (method, path) of the app with its gate; fails on an ungated, unlisted route."""
    cells: list[Cell] = []
    unlisted: list[str] = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue  # static files
        if isinstance(route, APIWebSocketRoute):
            found = _gate(route)
            if found is None:
                unlisted.append(f"WS {route.path}")
                continue
            cells.append(Cell("socket", "WS", route.path, found[1]))
            continue
        methods = sorted(set(route.methods or ()) - {"HEAD", "OPTIONS"})
        for method in methods:
            found = _gate(route) if isinstance(route, APIRoute) else None
            if found is None:
                if (method, route.path) not in UNGATED:
                    unlisted.append(f"{method} {route.path}")
                continue
            cells.append(Cell(found[0], method, route.path, found[1]))
        assert isinstance(route, APIRoute | Route), route
    assert not unlisted, f"routes without a role gate and not listed in UNGATED: {unlisted}"
    return cells


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), NOTHING), path)


@dataclass
class Matrix:
    base_url: str
    app: Any
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def matrix(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Matrix]:
    """A center of its own, one fresh account per role, and a wall token (an admin's)."""
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("matrix"),
        simulator=False,
        demo_story=False,
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as c:
        accounts = {caller: (role.value, unit) for caller, (role, unit) in ROLES.items()}
        admin, tokens = sign_in_as_new_users(c, accounts, "m")
        r = c.post("/api/v1/auth/wall-token", headers={"Authorization": f"Bearer {admin}"})
        tokens[WALL] = r.json()["access_token"]
    yield Matrix(base, app, tokens)
    server.should_exit = True
    thread.join(15)


def _call_http(c: httpx.Client, cell: Cell, token: str | None) -> int:
    path = _concrete(cell.path)
    if cell.kind == "page":
        # A browser's visit: the session cookie (the ?token= of a first visit redirects).
        cookie = {"Cookie": f"dc_session={token}"} if token else {}
        return c.request(cell.method, path, headers=cookie).status_code
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # An empty JSON array fits no body model: an admitted caller gets a 422, not a change.
    body = b"[]" if cell.method in ("POST", "PUT", "PATCH", "DELETE") else None
    for attempt in (1, 2):
        try:
            return c.request(
                cell.method,
                path,
                headers={**headers, "Content-Type": "application/json"},
                content=body,
            ).status_code
        except httpx.TransportError:
            # The server closes a kept-alive connection after answering a 500 (a bug of
            # the route's, not the matrix's concern): ask again on a new one.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _call_socket(base_url: str, cell: Cell, token: str | None) -> int:
    """The close code of a refused connection, or 0 when the snapshot came."""
    query = f"?token={token}" if token else ""
    url = base_url.replace("http://", "ws://") + _concrete(cell.path) + query
    async with websockets.connect(url) as ws:
        try:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 15))
        except websockets.ConnectionClosed:
            return ws.close_code or -1
        assert first["type"] == "snapshot"
        return 0


def test_every_route_refuses_exactly_whom_its_gate_refuses(matrix: Matrix) -> None:
    cells = route_cells(matrix.app)
    assert len(cells) > 100
    # Logging out ends the caller's tokens: those cells run last.
    cells.sort(key=lambda cell: cell.path.endswith("/auth/logout"))
    wrong: list[str] = []
    seen: dict[str, int] = {}
    with httpx.Client(base_url=matrix.base_url, timeout=60) as c:
        for cell in cells:
            for caller in CALLERS:
                token = matrix.tokens.get(caller)
                denied_expected = cell.expect_denied(caller)
                if cell.kind == "socket":
                    code = asyncio.run(_call_socket(matrix.base_url, cell, token))
                    denied = code in (4401, 4403)
                    got = f"close {code}" if code else "snapshot"
                else:
                    status = _call_http(c, cell, token)
                    denied = status in (401, 403)
                    got = str(status)
                seen[caller] = seen.get(caller, 0) + 1
                if denied != denied_expected:
                    expected = "refused" if denied_expected else "admitted"
                    wrong.append(f"{cell.method} {cell.path} as {caller}: {got}, {expected} due")
    assert not wrong, "\n".join(wrong)
    assert set(seen) == set(CALLERS)


def test_the_matrix_reads_gates_as_declared(matrix: Matrix) -> None:
    cells = {(c.method, c.path): c for c in route_cells(matrix.app)}
    users = cells[("GET", "/api/v1/users")]
    assert users.gate == Gate(frozenset({Role.admin}))
    assert cells[("GET", "/wallboard")].kind == "page" and cells[("GET", "/wallboard")].gate
    assert cells[("WS", "/ws/wallboard")].gate == Gate(wall=True)
    form = cells[("POST", "/api/v1/intake/voice/form")]
    assert form.expect_denied(WALL) and not form.expect_denied("dispatcher")
    assert form.expect_denied("leader") and form.expect_denied(NOBODY)
    # The wall token is admitted by the wall's own routes only.
    walls = sorted(f"{c.method} {c.path}" for c in cells.values() if c.gate and c.gate.wall)
    assert walls == [
        "GET /api/v1/geo/areas",
        "GET /api/v1/incidents",
        "GET /api/v1/mode/suggestions",
        "GET /api/v1/teams",
        "GET /api/v1/wallboard/sections/{name}",
        "GET /tiles/{z}/{x}/{name}",
        "GET /wallboard",
        "GET /wallboard/map.js",
        "WS /ws/wallboard",
    ]
