"""Authentication (401) and the role matrix (403) of every /api/v1 route; phone masking."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from dispatch_center.accounts.security import Principal, issue_token
from dispatch_center.core.roles import Role
from tests.api.conftest import ALL_ACCOUNTS, PASSWORD, LiveCenter, new_order

TOKEN_ROUTE = "/api/v1/auth/token"
# The two sign-in routes (a bearer token; a session cookie) are the only ones without one.
SIGN_IN_ROUTES = {TOKEN_ROUTE, "/api/v1/auth/session"}
PATH_VALUES = {"order_id": "1", "action": "dispatch", "day": "2026-10-01", "id": "1"}


def api_routes(live: LiveCenter) -> list[tuple[str, str]]:
    """(method, concrete path) of every /api/v1 route but the sign-in routes.

    Read from the app's OpenAPI schema: FastAPI >= 0.16x keeps included routers lazily in
    ``app.routes``, so the schema is the public, complete list of the API's routes.
    """
    out: list[tuple[str, str]] = []
    for path, ops in live.app.openapi()["paths"].items():
        if not path.startswith("/api/v1") or path in SIGN_IN_ROUTES:
            continue
        concrete = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)
        for method in sorted(ops):
            if method.upper() not in ("HEAD", "OPTIONS"):
                out.append((method.upper(), concrete))
    return out


def _assert_401(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 401, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "unauthorized"
    assert isinstance(err["message"], str) and err["message"]
    assert err["fields"] == {}
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    return dict(err)


def test_every_route_needs_a_token(live: LiveCenter) -> None:
    routes = api_routes(live)
    # The spine's routes at least; later issues add more and they are checked too.
    paths = {p for _, p in routes}
    assert {
        "/api/v1/orders",
        "/api/v1/orders/1",
        "/api/v1/orders/1/actions/dispatch",
        "/api/v1/calendar/deadlines",
        "/api/v1/users",
        "/api/v1/auth/me",
    } <= paths
    with live.client() as c:
        for method, path in routes:
            if (method, path) in PUBLIC_BY_DESIGN:
                continue
            _assert_401(c.request(method, path, json={}))


# Routes open to the public or authenticated by an outside system's own key (the SMS
# gateway's signed callbacks): each is listed with its reason in the route matrix, and its
# own tests check the key (tests/citizen). They may answer 422 or 403 before any 401.
PUBLIC_BY_DESIGN = {
    ("GET", "/api/v1/sms/dlr"),
    ("GET", "/api/v1/sms/inbound"),
    ("GET", "/api/v1/public/status"),
}


def test_the_public_routes_are_the_matrixs_ungated_ones() -> None:
    from tests.api.test_route_matrix import UNGATED

    assert set(UNGATED) >= PUBLIC_BY_DESIGN


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer a.b.c", "Basic YWRtaW46eA==", "bearer", "Bearer x y"],
)
def test_garbage_tokens_are_401(live: LiveCenter, header: str) -> None:
    with live.client() as c:
        for path in ("/api/v1/orders", "/api/v1/auth/me"):
            _assert_401(c.get(path, headers={"Authorization": header}))


def _generation(live: LiveCenter, username: str) -> int:
    """The user's token generation now (a token of another one is revoked)."""
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(
            "SELECT token_generation FROM users WHERE username = %s", (username,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _forged(live: LiveCenter, **claims: Any) -> str:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "admin",
        "role": "admin",
        "gen": _generation(live, "admin"),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    base.update(claims)
    return jwt.encode(
        {k: v for k, v in base.items() if v is not None}, live.center.secret_key, algorithm="HS256"
    )


def test_expired_and_forged_tokens_are_401(live: LiveCenter) -> None:
    who = Principal("dispatcher", Role.dispatcher, "511100")
    expired = issue_token(
        who,
        live.center.secret_key,
        timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    other_key = issue_token(who, "another-center-key-" * 3, timedelta(minutes=5))
    tokens = {
        "expired": expired,
        "other key": other_key,
        "unknown role": _forged(live, role="mayor"),
        "no expiry": _forged(live, exp=None),
        "no subject": _forged(live, sub=None),
        "alg none": jwt.encode(
            {"sub": "admin", "role": "admin", "exp": 4102444800}, None, algorithm="none"
        ),
    }
    with live.client() as c:
        for name, token in tokens.items():
            err = _assert_401(
                c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            )
            if name == "expired":
                assert "expired" in err["message"]
    # The same key and claims, valid, is accepted: the refusals above are about the token.
    with live.client() as c:
        r = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {_forged(live)}"})
        assert r.status_code == 200
        assert r.json()["role"] == "admin"


def test_sign_in(live: LiveCenter) -> None:
    url = f"{live.base_url}{TOKEN_ROUTE}"
    ok = httpx.post(url, data={"username": "duty", "password": PASSWORD})
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = httpx.get(
        f"{live.base_url}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json() == {"username": "duty", "role": "duty_officer", "unit_code": "511100"}
    wrong = httpx.post(url, data={"username": "duty", "password": PASSWORD + "x"})
    nobody = httpx.post(url, data={"username": "nobody", "password": PASSWORD})
    for r in (wrong, nobody):
        assert _assert_401(r)["message"] == "wrong username or password"
    missing = httpx.post(url, data={"username": "duty"})
    assert missing.status_code == 422
    assert "password" in missing.json()["error"]["fields"]


def test_every_demo_account_signs_in_with_its_role(live: LiveCenter) -> None:
    roles = {}
    for username in ALL_ACCOUNTS:
        with live.client(username) as c:
            roles[username] = c.get("/api/v1/auth/me").json()["role"]
    assert roles["admin"] == "admin"
    assert roles["duty"] == "duty_officer"
    assert roles["flood_hq"] == "flood_hq"
    assert roles["h_511181"] == "handler"
    assert set(roles.values()) == {r.value for r in Role}


# --- role matrix --------------------------------------------------------------------------

INTAKE = {"admin", "duty", "dispatcher"}
NOT_INTAKE = {"leader", "auditor", "flood_hq", "holiday_hq", "h_511102"}
NON_ADMIN = sorted(set(ALL_ACCOUNTS) - {"admin"})

LIMIT = {
    "urgency": "general",
    "respond_value": 1,
    "respond_unit": "working_days",
    "reply_value": 5,
    "reply_unit": "working_days",
}
USER = {"username": "mallory_x", "password": "long-enough-password", "role": "admin"}
ADMIN_ONLY = [
    ("POST", "/api/v1/users", USER),
    ("GET", "/api/v1/users", None),
    ("PUT", "/api/v1/time-limits", LIMIT),
    ("POST", "/api/v1/calendar/years", {"year": 2030, "source": "x"}),
    ("PUT", "/api/v1/calendar/days/2026-12-01", {"kind": "holiday", "name": "x"}),
    ("GET", "/api/v1/audit", None),
]


@pytest.mark.parametrize("username", sorted(INTAKE | NOT_INTAKE))
def test_who_may_create_orders(as_user: Callable[[str], httpx.Client], username: str) -> None:
    r = as_user(username).post("/api/v1/orders", json=new_order())
    if username in INTAKE:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 403, r.text
        err = r.json()["error"]
        assert err["code"] == "forbidden"
        assert "dispatcher" in err["message"]  # it says who may


@pytest.mark.parametrize("username", NON_ADMIN)
def test_admin_only_routes(as_user: Callable[[str], httpx.Client], username: str) -> None:
    c = as_user(username)
    for method, path, body in ADMIN_ONLY:
        r = c.request(method, path, json=body)
        assert r.status_code == 403, f"{username} {method} {path}: {r.status_code} {r.text}"
        assert r.json()["error"]["code"] == "forbidden"
    # Nothing slipped through.
    admin = as_user("admin")
    assert "mallory_x" not in {u["username"] for u in admin.get("/api/v1/users").json()["users"]}


def test_admin_reads_admin_routes(as_user: Callable[[str], httpx.Client]) -> None:
    admin = as_user("admin")
    users = admin.get("/api/v1/users").json()["users"]
    assert set(ALL_ACCOUNTS) <= {u["username"] for u in users}
    assert all("password" not in k for u in users for k in u)
    assert admin.get("/api/v1/audit").status_code == 200


@pytest.mark.parametrize("username", ALL_ACCOUNTS)
def test_everyone_reads_reference_data(
    as_user: Callable[[str], httpx.Client], username: str
) -> None:
    c = as_user(username)
    for path in (
        "/api/v1/orders",
        "/api/v1/categories",
        "/api/v1/units",
        "/api/v1/time-limits",
        "/api/v1/calendar/years",
        "/api/v1/auth/me",
    ):
        r = c.get(path)
        assert r.status_code == 200, f"{username} {path}: {r.text}"


def test_admin_creates_a_handler_who_signs_in(
    as_user: Callable[[str], httpx.Client], live: LiveCenter
) -> None:
    admin = as_user("admin")
    body = {"username": "h_test_jiajiang", "password": PASSWORD, "role": "handler"}
    r = admin.post("/api/v1/users", json=body)
    assert r.status_code == 422
    assert "unit_code" in r.json()["error"]["fields"]
    r = admin.post("/api/v1/users", json={**body, "unit_code": "511126"})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "handler"
    again = admin.post("/api/v1/users", json={**body, "unit_code": "511126"})
    assert again.status_code == 409
    with live.client("h_test_jiajiang") as c:
        assert c.get("/api/v1/auth/me").json()["unit_code"] == "511126"
        assert c.post("/api/v1/orders", json=new_order()).status_code == 403


# --- phone masking ---------------------------------------------------------------------------

FULL = {"admin", "duty", "dispatcher", "h_511102"}
MASKED = {"leader", "auditor", "flood_hq", "holiday_hq"}


def test_phone_masked_for_roles_that_do_not_need_it(
    as_user: Callable[[str], httpx.Client],
) -> None:
    d = as_user("dispatcher")
    order = d.post("/api/v1/orders", json=new_order()).json()
    r = d.post(f"/api/v1/orders/{order['id']}/actions/dispatch", json={"unit_code": "511102"})
    assert r.status_code == 200
    for username in sorted(FULL | MASKED):
        c = as_user(username)
        one = c.get(f"/api/v1/orders/{order['id']}").json()
        listed = {
            o["id"]: o for o in c.get("/api/v1/orders", params={"limit": 500}).json()["orders"]
        }
        want = "13812345678" if username in FULL else "138****5678"
        assert one["reporter"]["phone"] == want, username
        assert listed[order["id"]]["reporter"]["phone"] == want, username
        assert one["reporter"]["name"] == "张先生"
