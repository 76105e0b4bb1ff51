"""The front door in Debian's headless Chromium (issue 17 §1): sign in at ``/``, land on
the role's screen under the shared header, switch language, sign out; wrong and throttled
passwords said plainly; a duty officer's wall link opens the wall, stays on when they sign
out, and goes dark when they revoke it.

Accounts that sign out are fresh ones (signing out ends every token of the account, and
the session's other tests use the demo accounts' tokens). Wrong passwords come from their
own documentation address (``X-Forwarded-For``), so no lock-out reaches other tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.api.conftest import PASSWORD, LiveCenter
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_context(width, height)`` → a fresh browser context (own cookies), closed after."""
    contexts: list[Any] = []

    def make(width: int = 1920, height: int = 1080, **options: Any) -> Any:
        ctx = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", **options
        )
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


def _errors(page: Any) -> list[str]:
    """Console errors of the page (a CSP refusal shows up here)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def _sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in-button")


def test_a_dispatcher_signs_in_lands_on_dispatch_switches_language_and_signs_out(
    live: LiveCenter, make_user: Callable[..., str], new_context: Callable[..., Any]
) -> None:
    user = make_user("dispatcher", "511100", prefix="bd")
    page = new_context().new_page()
    errors = _errors(page)
    page.goto(live.base_url + "/")
    assert page.locator("h1").inner_text() == "工作人员登录"
    _sign_in(page, user)
    page.wait_for_url(live.base_url + "/dispatch", timeout=15_000)
    page.wait_for_function(
        "() => window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=15_000
    )
    nav = page.locator("#dc-nav")
    links = nav.locator(".dc-nav-screens a")
    assert links.all_inner_texts() == ["大屏", "受理台", "派单台", "报表"]
    assert nav.locator("a.on").inner_text() == "派单台"
    assert nav.locator("#dc-nav-role").inner_text() == "派单员"
    assert nav.locator("#dc-nav-name").inner_text() == user
    # The header sits above the console, not over it.
    nav_box = nav.bounding_box()
    top_box = page.locator("#dc-top").bounding_box()
    assert nav_box["y"] == 0 and top_box["y"] >= nav_box["height"] - 1
    ticker = page.locator("#dc-ticker").bounding_box()
    assert ticker["y"] + ticker["height"] <= 1080 + 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dispatch-with-header.png"))

    page.click("#dc-nav-lang")
    page.wait_for_url(live.base_url + "/dispatch?lang=en")
    nav = page.locator("#dc-nav")
    assert nav.locator("a.on").inner_text() == "Dispatch"
    assert nav.locator(".dc-nav-out").inner_text() == "Sign out"
    assert nav.locator("a[data-screen=desk]").get_attribute("href") == "/desk?lang=en"

    page.click("#dc-sign-out")
    page.wait_for_url(live.base_url + "/?lang=en", timeout=15_000)
    assert page.locator("h1").inner_text() == "Staff sign-in"
    names = {c["name"] for c in page.context.cookies()}
    assert "dc_session" not in names and "dc_csrf" not in names
    # Signed out for real: the console asks for a sign-in again.
    page.goto(live.base_url + "/dispatch")
    assert page.locator("#needs-sign-in").is_visible()
    # ... and from there back to the console after signing in.
    page.click("#go-sign-in")
    page.click("#lang-switch")  # the language changes, the way back stays
    page.wait_for_url(live.base_url + "/?lang=en&next=%2Fdispatch")
    _sign_in(page, user)
    page.wait_for_url(live.base_url + "/dispatch", timeout=15_000)
    assert errors == [] or all("401" in e for e in errors), errors


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_sign_in_goes_back_only_to_our_own_pages(
    live: LiveCenter, new_context: Callable[..., Any], target: str
) -> None:
    page = new_context().new_page()
    page.goto(live.base_url + "/?" + urlencode({"next": target}))
    _sign_in(page, "auditor")
    page.wait_for_url(live.base_url + "/reports", timeout=15_000)


def test_wrong_and_throttled_passwords_are_said_plainly(
    live: LiveCenter, make_user: Callable[..., str], new_context: Callable[..., Any]
) -> None:
    user = make_user("dispatcher", "511100", prefix="bt")
    ctx = new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.61"})
    page = ctx.new_page()
    page.goto(live.base_url + "/")
    _sign_in(page, user, "not-the-password")
    error = page.locator("#sign-in-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "用户名或密码错误。"
    assert page.url == live.base_url + "/"
    for i in range(6):
        httpx.post(
            f"{live.base_url}/api/v1/auth/session",
            data={"username": user, "password": f"wrong-{i}"},
            headers={"X-Forwarded-For": "203.0.113.61"},
            timeout=30,
        )
    _sign_in(page, user)  # the right password, but locked out for now
    page.wait_for_function(
        "() => document.getElementById('sign-in-error').textContent.includes('尝试次数过多')"
    )
    text = error.inner_text()
    assert text.startswith("尝试次数过多，请 ") and ("秒" in text or "分钟" in text), text
    page.screenshot(path=str(SCREENSHOTS / "sign-in-throttled.png"))


def test_a_duty_officer_makes_a_wall_link_that_opens_the_wall(
    live: LiveCenter, make_user: Callable[..., str], new_context: Callable[..., Any]
) -> None:
    duty = make_user("duty_officer", "511100", prefix="bw")
    page = new_context(1440, 900).new_page()
    page.goto(live.base_url + "/")
    _sign_in(page, duty)
    page.wait_for_url(live.base_url + "/wallboard", timeout=15_000)
    page.goto(live.base_url + "/wall-link")
    assert page.locator("#dc-nav a.on").inner_text() == "大屏链接"
    page.click("#make-wall-link")
    field = page.locator("#wall-link-url")
    field.wait_for(state="visible")
    link = field.input_value()
    assert link.startswith(live.base_url + "/wallboard?token=")
    assert "token" not in page.url  # shown once, never in the page's own address
    page.screenshot(path=str(SCREENSHOTS / "wall-link.png"))

    wall = new_context().new_page()  # the wall's own computer: no sign-in of its own
    wall.goto(link)
    wall.wait_for_function(
        "() => window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=20_000
    )
    assert wall.url == live.base_url + "/wallboard"
    assert wall.locator("#dc-nav").count() == 0  # a wall screen shows no header
    assert wall.locator("#mode-name").inner_text().endswith("调度模式")

    # Shift change: the duty officer signs out, and the wall stays live (its socket is
    # re-checked about once a second; three seconds see several checks).
    page.click("#dc-sign-out")
    page.wait_for_url(live.base_url + "/", timeout=15_000)
    page.wait_for_timeout(3000)
    assert wall.evaluate("document.body.dataset.conn") == "connected"
    # Back at work, they revoke the link from the list on the same page: the wall goes dark.
    _sign_in(page, duty)
    page.wait_for_url(live.base_url + "/wallboard", timeout=15_000)
    page.goto(live.base_url + "/wall-link")
    active = page.locator('#wall-links tr[data-status="active"]')
    active.first.wait_for(state="visible")
    assert active.count() == 1 and "有效" in active.inner_text()
    active.locator("button.revoke-wall-link").click()
    page.locator('#wall-links tr[data-status="revoked"]').wait_for(state="visible")
    assert "已作废" in page.locator("#wall-links").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "wall-link-revoked.png"))
    wall.wait_for_function("() => document.body.dataset.conn === 'expired'", timeout=15_000)


@pytest.mark.parametrize(("name", "width", "height"), [("desk", 1920, 1080), ("phone", 390, 844)])
def test_sign_in_page_screenshots(
    live: LiveCenter, new_context: Callable[..., Any], name: str, width: int, height: int
) -> None:
    page = new_context(width, height).new_page()
    errors = _errors(page)
    page.goto(live.base_url + "/")
    page.locator("#sign-in").wait_for(state="visible")
    card = page.locator("#sign-in").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= width
    assert card["y"] + card["height"] <= height  # the form fits without scrolling
    page.screenshot(path=str(SCREENSHOTS / f"sign-in-{name}.png"))
    page.goto(live.base_url + "/?lang=en")
    page.screenshot(path=str(SCREENSHOTS / f"sign-in-{name}-en.png"))
    assert errors == [], errors
