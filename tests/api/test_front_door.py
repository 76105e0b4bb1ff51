"""The front door (issue 17 §1): the sign-in page, each role's landing, the CSRF rule for
cookie-signed changes, the shared header and the wall's plain "needs a link" page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from dispatch_center.core.roles import Role
from dispatch_center.core.screens import LANDING, LEADER_PATH, landing, screen, screens_for
from dispatch_center.demo.accounts import DEMO_ACCOUNTS
from tests.api.conftest import PASSWORD, LiveCenter


def _browser(live: LiveCenter) -> httpx.Client:
    """A client that keeps cookies like a browser and follows no redirect."""
    return httpx.Client(base_url=live.base_url, timeout=10)


def _sign_in(c: httpx.Client, username: str, **headers: str) -> httpx.Response:
    return c.post(
        "/api/v1/auth/session",
        data={"username": username, "password": PASSWORD},
        headers=headers,
    )


@pytest.fixture
def signed_in(live: LiveCenter, make_user: Callable[..., str]) -> Iterator[httpx.Client]:
    """A browser-like client signed in by cookie as a fresh duty officer."""
    c = _browser(live)
    assert _sign_in(c, make_user("duty_officer", "511100", prefix="fd")).status_code == 200
    yield c
    c.close()


def test_sign_in_page_in_chinese_first_and_english(live: LiveCenter) -> None:
    with _browser(live) as c:
        zh = c.get("/")
        en = c.get("/?lang=en")
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in zh.text and "用户名" in zh.text and "密码" in zh.text
    assert 'id="sign-in"' in zh.text and "/static/app/signin.js" in zh.text
    assert "<script>" not in zh.text  # no inline script: the CSP forbids it
    assert '<html lang="en">' in en.text and "Username" in en.text
    assert zh.headers["cache-control"] == "no-store"


def test_sign_in_sets_the_session_and_csrf_cookies(live: LiveCenter) -> None:
    with _browser(live) as c:
        r = _sign_in(c, "dispatcher")
        assert r.status_code == 200, r.text
        cookies = r.headers.get_list("set-cookie")
        session = next(h for h in cookies if h.startswith("dc_session="))
        csrf = next(h for h in cookies if h.startswith("dc_csrf="))
        assert "HttpOnly" in session and "SameSite=strict" in session
        assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
        assert (
            "Max-Age" in csrf
            and csrf.split("Max-Age=")[1].split(";")[0]
            == (session.split("Max-Age=")[1].split(";")[0])
        )
        assert len(c.cookies["dc_csrf"]) >= 32


def test_a_cookie_signed_change_needs_the_csrf_header(signed_in: httpx.Client) -> None:
    refused = signed_in.post("/api/v1/auth/wall-token")
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["message"]
    wrong = signed_in.post("/api/v1/auth/wall-token", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    token = signed_in.cookies["dc_csrf"]
    ok = signed_in.post("/api/v1/auth/wall-token", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text
    # A read needs no header.
    assert signed_in.get("/api/v1/auth/me").status_code == 200


def test_a_header_without_the_cookie_is_refused(live: LiveCenter, signed_in: httpx.Client) -> None:
    session = signed_in.cookies["dc_session"]
    with httpx.Client(base_url=live.base_url, cookies={"dc_session": session}) as c:
        r = c.post("/api/v1/auth/wall-token", headers={"X-CSRF-Token": "made-up"})
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["error"]["message"]


def test_bearer_clients_need_no_csrf_header(live: LiveCenter) -> None:
    with live.client("duty") as c:
        assert c.post("/api/v1/auth/wall-token").status_code == 200
    # A bearer token wins over a cookie sent beside it: no header needed either.
    with live.client("admin") as c:
        c.cookies.set("dc_session", "whatever")
        assert c.post("/api/v1/auth/wall-token").status_code == 200


def test_outside_sources_are_not_asked_for_csrf(live: LiveCenter) -> None:
    # An intake route without a token asks for the source's key, not for a CSRF header.
    r = httpx.post(f"{live.base_url}/api/v1/feeds/cap", content=b"<alert/>", timeout=10)
    assert r.status_code in (401, 422), r.text
    assert "X-CSRF-Token" not in r.text


def test_an_intake_route_signed_by_cookie_needs_the_header_too(live: LiveCenter) -> None:
    # SourceOrStaff: a member of staff posting for a source by cookie is held to the rule.
    with _browser(live) as c:
        assert _sign_in(c, "admin").status_code == 200
        body = b"<alert/>"
        refused = c.post("/api/v1/feeds/cap", content=body)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.text
        passed = c.post(
            "/api/v1/feeds/cap",
            content=body,
            headers={"X-CSRF-Token": c.cookies["dc_csrf"]},
        )
        assert passed.status_code not in (401, 403), passed.text


def test_sign_in_from_another_site_is_refused(live: LiveCenter) -> None:
    with _browser(live) as c:
        evil = _sign_in(c, "dispatcher", Origin="https://evil.example")
        assert evil.status_code == 403
        assert "dc_session" not in c.cookies
        assert _sign_in(c, "dispatcher", Origin="null").status_code == 403
        ours = _sign_in(c, "dispatcher", Origin=live.base_url)
        assert ours.status_code == 200 and "dc_session" in c.cookies
        # No Origin at all is not a browser's cross-site post: a script signs in.
        assert _sign_in(c, "dispatcher").status_code == 200


ROLE_ACCOUNTS = {
    "agent01": "/desk",
    "dispatcher": "/dispatch",
    "h_511102": "/handler",
    "flood_hq": "/hq",
    "holiday_hq": "/hq",
    "leader": LEADER_PATH,
    "duty": "/wallboard",
    "callback": "/callbacks",
    "auditor": "/reports",
    "admin": "/dispatch",
}


def test_every_role_has_a_landing() -> None:
    assert set(LANDING) == set(Role)
    roles = {Role(DEMO_ACCOUNTS[u][0]) for u in ROLE_ACCOUNTS}
    assert roles == set(Role)
    for role in Role:
        # A role is shown a link to the screen it lands on.
        assert screen(LANDING[role]) in screens_for(role), role


@pytest.mark.parametrize(("username", "path"), sorted(ROLE_ACCOUNTS.items()))
def test_a_signed_in_visitor_to_the_front_door_goes_to_their_screen(
    live: LiveCenter, username: str, path: str
) -> None:
    assert landing(Role(DEMO_ACCOUNTS[username][0])) == path
    with _browser(live) as c:
        assert _sign_in(c, username).status_code == 200
        r = c.get("/")
        assert r.status_code == 303 and r.headers["location"] == path
        en = c.get("/?lang=en")
        assert en.headers["location"] == f"{path}?lang=en"


def test_an_ended_session_sees_the_sign_in_page(live: LiveCenter) -> None:
    with _browser(live) as c:
        c.cookies.set("dc_session", "not-a-token")
        r = c.get("/")
    assert r.status_code == 200 and 'id="sign-in"' in r.text


def test_logout_from_a_page_clears_both_cookies(live: LiveCenter, signed_in: httpx.Client) -> None:
    csrf = {"X-CSRF-Token": signed_in.cookies["dc_csrf"]}
    r = signed_in.post("/api/v1/auth/logout", headers=csrf)
    assert r.status_code == 200, r.text
    cleared = r.headers.get_list("set-cookie")
    assert any(h.startswith('dc_session=""') or h.startswith("dc_session=;") for h in cleared)
    assert any(h.startswith('dc_csrf=""') or h.startswith("dc_csrf=;") for h in cleared)
    assert "dc_session" not in signed_in.cookies
    assert signed_in.get("/").status_code == 200  # the sign-in page again


def test_the_dispatch_console_carries_the_header(live: LiveCenter) -> None:
    with _browser(live) as c:
        _sign_in(c, "dispatcher")
        page = c.get("/dispatch").text
    assert 'id="dc-nav"' in page and "派单员 李强" in page
    assert 'href="/dispatch" data-screen="dispatch" class="on" aria-current="page"' in page
    for path in ("/wallboard", "/desk", "/reports"):
        assert f'href="{path}"' in page
    for path in ("/handler", "/hq", "/wall-link"):
        assert f'href="{path}"' not in page
    assert "退出登录" in page and "/static/app/http.js" in page
    assert "<!--dc-header-->" not in page


def test_the_supervision_console_carries_the_header(live: LiveCenter) -> None:
    with _browser(live) as c:
        _sign_in(c, "leader")
        old = c.get("/supervision?lang=en")
        assert old.status_code == 303 and old.headers["location"] == "/leader?lang=en"
        page = c.get(old.headers["location"]).text
    assert 'id="dc-nav"' in page and "Leader" in page
    assert f'href="{LEADER_PATH}?lang=en" data-screen="leader" class="on"' in page
    assert 'href="/hq?lang=en"' in page and "Sign out" in page


def test_a_wall_screen_shows_no_header(live: LiveCenter) -> None:
    with live.client("duty") as c:
        wall = c.post("/api/v1/auth/wall-token").json()["access_token"]
    with _browser(live) as c:
        first = c.get("/wallboard", params={"token": wall})
        assert first.status_code == 303 and "dc_csrf" in c.cookies
        page = c.get("/wallboard")
        assert page.status_code == 200 and 'id="dc-nav"' not in page.text
        # The front door does not send a wall screen anywhere: it is not a person.
        assert c.get("/").status_code == 200
    with _browser(live) as c:
        _sign_in(c, "duty")  # the duty officer's own wall, at the desk: with the header
        page = c.get("/wallboard").text
        assert 'href="/wallboard" data-screen="wallboard" class="on"' in page
        assert 'href="/wall-link"' in page


def test_the_wall_without_a_link_says_so_plainly(live: LiveCenter) -> None:
    with _browser(live) as c:
        r = c.get("/wallboard")
        assert r.status_code == 401
        assert "大屏需要大屏链接或登录" in r.text and 'href="/?next=%2Fwallboard"' in r.text
        assert "令牌" not in r.text and "invalid" not in r.text.lower()
        en = c.get("/wallboard?lang=en")
        assert "The wall needs a wall link or a sign-in" in en.text
        assert 'href="/?lang=en&amp;next=%2Fwallboard"' in en.text
        # A link that no longer works still says that.
        bad = c.get("/wallboard", params={"token": "not-a-token"})
        assert bad.status_code == 401 and "令牌失效" in bad.text
        c.cookies.set("dc_session", "ended")
        assert "令牌失效" in c.get("/wallboard").text
        # Another page without a sign-in points to the front door too.
        c.cookies.clear()
        other = c.get("/dispatch")
        assert other.status_code == 401 and "请先登录" in other.text
        assert 'href="/?next=%2Fdispatch"' in other.text


def test_the_wall_link_page_is_for_duty_officers_and_admins(live: LiveCenter) -> None:
    with _browser(live) as c:
        assert c.get("/wall-link").status_code == 401
        _sign_in(c, "duty")
        page = c.get("/wall-link")
        assert page.status_code == 200 and 'id="make-wall-link"' in page.text
        assert 'class="dc-nav-wall on"' in page.text and "/static/app/wall-link.js" in page.text
        assert "token" not in str(page.url)
    with _browser(live) as c:
        _sign_in(c, "dispatcher")
        assert c.get("/wall-link").status_code == 403
