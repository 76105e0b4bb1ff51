"""Logout, a new password and deactivation end every token of the user at once (issue 15,
finding 7); the session cookie's attributes. Wall links outlive their issuer's sign-out
(the wall must not go dark at shift change) and end when revoked, closing an open wall
socket; a new password and deactivation end them too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import orjson
import pytest
import websockets

from tests.api.conftest import PASSWORD, LiveCenter

NEW_PASSWORD = "Leshan-harbour-7781"


def _sign_in(live: LiveCenter, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{live.base_url}/api/v1/auth/token",
        data={"username": username, "password": password},
        timeout=10,
    )


def _token(live: LiveCenter, username: str, password: str = PASSWORD) -> str:
    r = _sign_in(live, username, password)
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(live: LiveCenter, token: str) -> int:
    return httpx.get(f"{live.base_url}/api/v1/auth/me", headers=_bearer(token)).status_code


def _wall_reads(live: LiveCenter, wall: str) -> int:
    return httpx.get(
        f"{live.base_url}/api/v1/wallboard/sections/kpi", headers=_bearer(wall)
    ).status_code


def _wall_token(live: LiveCenter, token: str) -> str:
    r = httpx.post(f"{live.base_url}/api/v1/auth/wall-token", headers=_bearer(token))
    assert r.status_code == 200, r.text
    wall: str = r.json()["access_token"]
    return wall


def _wall_links(live: LiveCenter, token: str) -> list[dict[str, object]]:
    r = httpx.get(f"{live.base_url}/api/v1/auth/wall-links", headers=_bearer(token))
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


def _revoke_link(live: LiveCenter, token: str, link_id: object) -> httpx.Response:
    return httpx.post(
        f"{live.base_url}/api/v1/auth/wall-links/{link_id}/revoke", headers=_bearer(token)
    )


def test_logout_ends_every_token_of_the_user_but_not_the_wall(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("duty_officer", "511100")
    laptop, phone = _token(live, user), _token(live, user)
    wall = _wall_token(live, laptop)
    assert (_me(live, laptop), _me(live, phone), _wall_reads(live, wall)) == (200, 200, 200)
    r = httpx.post(f"{live.base_url}/api/v1/auth/logout", headers=_bearer(phone))
    assert r.status_code == 200, r.text
    for token in (laptop, phone):
        r = httpx.get(f"{live.base_url}/api/v1/auth/me", headers=_bearer(token))
        assert r.status_code == 401
        assert "revoked" in r.json()["error"]["message"]
    # The wall link the duty officer made keeps the wall lit through the shift change.
    assert _wall_reads(live, wall) == 200
    # Signing in again works at once.
    assert _me(live, _token(live, user)) == 200


def test_a_revoked_wall_link_is_refused_and_audited(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("duty_officer", "511100")
    token = _token(live, user)
    kept, wall = _wall_token(live, token), _wall_token(live, token)
    links = _wall_links(live, token)
    assert [x["status"] for x in links] == ["active", "active"]
    newest = links[0]["id"]  # newest first: the second link made
    other = _token(live, make_user("duty_officer", "511100"))
    assert _wall_links(live, other) == []  # each sees the links they made
    assert _revoke_link(live, other, newest).status_code == 404
    assert _revoke_link(live, token, "not-a-link").status_code == 404

    out = httpx.post(f"{live.base_url}/api/v1/auth/logout", headers=_bearer(token))
    assert out.status_code == 200
    assert _wall_reads(live, wall) == 200  # signing out left it on
    token = _token(live, user)  # the next shift's duty officer signs in
    r = _revoke_link(live, token, newest)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revoked_by"] == user
    assert _wall_reads(live, wall) == 401
    assert _wall_reads(live, kept) == 200  # only that link ended
    assert _revoke_link(live, token, newest).json()["status"] == "revoked"  # idempotent
    assert [x["status"] for x in _wall_links(live, token)] == ["revoked", "active"]
    with live.client("admin") as admin:
        assert any(x["id"] == newest for x in admin.get("/api/v1/auth/wall-links").json()["items"])
        entries = admin.get("/api/v1/audit").json()["entries"]
    revoked = [e for e in entries if e["action"] == "wall_link.revoke"]
    assert [e["entity"] for e in revoked if e["actor"] == user] == [f"wall_link:{newest}"]
    assert any(e["action"] == "wall_link.issue" and e["actor"] == user for e in entries)


def test_a_wall_token_cannot_log_its_issuer_out(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    token = _token(live, make_user("duty_officer", "511100"))
    wall = _wall_token(live, token)
    r = httpx.post(f"{live.base_url}/api/v1/auth/logout", headers=_bearer(wall))
    assert r.status_code == 403
    assert _me(live, token) == 200


def test_session_cookie_signs_in_and_logout_clears_it(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("dispatcher", "511100")
    with httpx.Client(base_url=live.base_url, timeout=10) as browser:
        r = browser.post("/api/v1/auth/session", data={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert r.json()["username"] == user and "access_token" not in r.json()
        cookie = r.headers["set-cookie"]
        attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert cookie.startswith("dc_session=")
        assert {"httponly", "max-age", "path", "samesite"} <= attrs
        assert "samesite=strict" in cookie.lower()
        assert "secure" not in attrs  # plain http here; https sets it (see below)
        max_age = int(cookie.lower().split("max-age=")[1].split(";")[0])
        assert 0 < max_age <= 12 * 3600
        token = browser.cookies["dc_session"]
        assert browser.get("/api/v1/auth/me").json()["username"] == user
        # A page's change carries the CSRF header (the dc_csrf cookie's value).
        assert browser.post("/api/v1/auth/logout").status_code == 403
        csrf = {"X-CSRF-Token": browser.cookies["dc_csrf"]}
        out = browser.post("/api/v1/auth/logout", headers=csrf)
        assert out.status_code == 200
        assert (
            'dc_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
        )
    assert _me(live, token) == 401
    wrong = httpx.post(
        f"{live.base_url}/api/v1/auth/session", data={"username": user, "password": "nope"}
    )
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


def test_session_cookie_is_secure_over_https(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("dispatcher", "511100")
    # Behind the TLS proxy, uvicorn takes the scheme from X-Forwarded-Proto (loopback is
    # a trusted forwarder by default).
    r = httpx.post(
        f"{live.base_url}/api/v1/auth/session",
        data={"username": user, "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert r.status_code == 200, r.text
    assert "secure" in {a.strip().lower() for a in r.headers["set-cookie"].split(";")}


def test_password_change_ends_older_tokens(live: LiveCenter, make_user: Callable[..., str]) -> None:
    user = make_user("duty_officer", "511100")
    old, other = _token(live, user), _token(live, user)
    wall = _wall_token(live, old)
    url = f"{live.base_url}/api/v1/auth/password"
    wrong = httpx.post(
        url,
        headers=_bearer(old),
        data={"old_password": "not-it-at-all-99", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "old_password" in wrong.json()["error"]["fields"]
    assert _me(live, old) == 200
    r = httpx.post(
        url, headers=_bearer(old), data={"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 200, r.text
    fresh = r.json()["access_token"]
    assert (_me(live, old), _me(live, other), _me(live, fresh)) == (401, 401, 200)
    # A new password takes a leaked account back: the wall links it made end too.
    assert _wall_reads(live, wall) == 401
    assert [x["status"] for x in _wall_links(live, fresh)] == ["revoked"]
    assert _sign_in(live, user).status_code == 401
    assert _sign_in(live, user, NEW_PASSWORD).status_code == 200


def test_deactivation_ends_every_token_and_sign_in(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("duty_officer", "511100")
    token = _token(live, user)
    wall = _wall_token(live, token)
    with live.client("dispatcher") as c:
        assert c.post(f"/api/v1/users/{user}/deactivate").status_code == 403
    with live.client("admin") as admin:
        assert admin.post("/api/v1/users/nobody-here/deactivate").status_code == 404
        assert admin.post("/api/v1/users/admin/deactivate").status_code == 409
        r = admin.post(f"/api/v1/users/{user}/deactivate")
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False
        entries = admin.get("/api/v1/audit").json()["entries"]
    assert (_me(live, token), _wall_reads(live, wall)) == (401, 401)
    assert _sign_in(live, user).status_code == 401
    assert any(e["action"] == "user.deactivate" and e["entity"] == f"user:{user}" for e in entries)


def test_an_open_wall_socket_closes_when_its_link_is_revoked(
    live: LiveCenter, make_user: Callable[..., str]
) -> None:
    user = make_user("duty_officer", "511100")
    token = _token(live, user)
    wall = _wall_token(live, token)
    link = _wall_links(live, token)[0]["id"]
    url = live.base_url.replace("http://", "ws://") + f"/ws/wallboard?token={wall}"

    async def run() -> tuple[int | None, float]:
        async with websockets.connect(url) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert first["type"] == "snapshot"
            await asyncio.to_thread(
                httpx.post, f"{live.base_url}/api/v1/auth/logout", headers=_bearer(token)
            )
            # Its issuer signed out: the socket stays open (the hub re-checks every
            # connection about once a second; three seconds cover a few checks).
            quiet_until = time.monotonic() + 3
            while (left := quiet_until - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
            started = time.monotonic()
            again = await asyncio.to_thread(_token, live, user)
            r = await asyncio.to_thread(_revoke_link, live, again, link)
            assert r.status_code == 200, r.text
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code, time.monotonic() - started

    code, took = asyncio.run(run())
    assert code == 4401
    assert took < 5, took  # the hub nudges every connection about once a second

    async def reconnect() -> int | None:
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert asyncio.run(reconnect()) == 4401


def test_pages_move_the_token_into_a_bounded_cookie(live: LiveCenter) -> None:
    token = live.token("leader")
    for page in ("/supervision", "/dispatch", "/wallboard"):
        r = httpx.get(f"{live.base_url}{page}", params={"token": token, "lang": "en"})
        assert r.status_code == 303, page
        assert r.headers["location"] == f"{page}?lang=en"
        cookie = r.headers["set-cookie"].lower()
        assert cookie.startswith("dc_session=") and "httponly" in cookie, page
        assert "samesite=strict" in cookie and "max-age=" in cookie, (page, cookie)
        max_age = int(cookie.split("max-age=")[1].split(";")[0])
        assert 0 < max_age <= 12 * 3600, page
