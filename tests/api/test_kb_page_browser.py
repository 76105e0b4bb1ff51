"""The knowledge base's page (``/kb``) in headless Chromium: a unit's handler writes an
article, the duty officer finds it in the review queue, approves and publishes it, and the
desk's search finds it; its version history lists every step. English with ``?lang=en``.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def _signed_in(browser: Any, live: LiveCenter, username: str, path: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # ?token= once: the gate moves it into the session cookie and drops it from the URL.
    page.goto(f"{live.base_url}{path}{'&' if '?' in path else '?'}token={live.token(username)}")
    assert "token=" not in page.url
    page.errors = errors
    return page


def test_write_review_publish_and_find_on_the_page(browser: Any, live: LiveCenter) -> None:
    tag = "kb" + uuid.uuid4().hex[:6]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    owner = _signed_in(browser, live, "h_511102", "/kb")
    try:
        owner.click("#new")
        owner.fill("#f-owner", "511102-RSJ")
        owner.fill("#f-title", f"{tag}市中区失业人员技能培训补贴")
        owner.fill("#f-questions", "失业了能免费学技术吗\n技能培训补贴怎么领")
        owner.fill(
            "#f-answer", f"{tag}：登记失业人员参加政府补贴的职业技能培训，取得证书后申请补贴。"
        )
        owner.fill("#f-source", "四川省职业技能提升行动政策")
        owner.click("#editor button[type=submit]")
        owner.wait_for_selector("#view h2:has-text('草稿')")
        assert "已保存" in owner.inner_text("#message")
        owner.screenshot(path=str(SCREENSHOTS / "kb-owner-draft.png"))
        assert owner.errors == []
    finally:
        owner.context.close()

    duty = _signed_in(browser, live, "duty", "/kb")
    try:
        duty.select_option("#status", "draft")
        duty.click(f"#articles li:has-text('{tag}')")
        duty.wait_for_selector("#view h2:has-text('草稿')")
        duty.click("button[data-action=review]")
        duty.wait_for_selector("#view h2:has-text('已审核')")
        duty.click("button[data-action=publish]")
        duty.wait_for_selector("#view h2:has-text('已发布')")
        rows = duty.locator("#view table tr")
        assert rows.count() == 4  # header, create, review, publish
        duty.fill("#q", "公积金怎么提取")
        duty.wait_for_selector("#articles li:has-text('住房公积金提取条件和办理流程')")
        assert "住房公积金提取条件" in duty.locator("#articles li").first.inner_text()
        duty.click("#articles li >> nth=0")
        duty.wait_for_selector("#view h2:has-text('住房公积金提取条件和办理流程')")
        assert duty.locator("#gaps tr").count() >= 1
        duty.screenshot(path=str(SCREENSHOTS / "kb-review.png"))
        assert duty.errors == []
    finally:
        duty.context.close()

    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        r = c.get(
            "/api/v1/kb/search",
            params={"q": tag},
            headers={"Authorization": f"Bearer {live.token('agent01')}"},
        )
    assert [i["title"] for i in r.json()["items"]] == [f"{tag}市中区失业人员技能培训补贴"]


def test_english_and_who_may_open_it(browser: Any, live: LiveCenter) -> None:
    page = _signed_in(browser, live, "duty", "/kb?lang=en")
    try:
        page.wait_for_selector("#articles li")
        assert page.inner_text("header strong") == "Knowledge base"
        assert page.get_attribute("#q", "placeholder").startswith("Search")
        assert page.errors == []
    finally:
        page.context.close()
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        desk = c.get("/kb", headers={"Cookie": f"dc_session={live.token('agent01')}"})
        assert desk.status_code == 403
        assert c.get("/kb").status_code == 401
