"""The citizen loop's screens in Debian's Chromium (issue 21 §4, §5): the callback desk on
a seat's 1920x1080 monitor, recording an outcome in two clicks; the status page on a
390x844 phone. Screenshots go to ``DISPATCH_SCREENSHOTS_DIR`` (docs/screenshots to
refresh the README's)."""

from __future__ import annotations

from typing import Any

from tests.citizen.conftest import SmsCenter, unique_mobile
from tests.citizen.test_callback_replies import order_now, replied_order
from tests.conftest import SCREENSHOTS


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_callback_desk_records_an_outcome_in_two_clicks(
    browser: Any, sms_center: SmsCenter
) -> None:
    phone = unique_mobile()
    order = replied_order(sms_center, phone)
    sms_center.tick()  # opens its callback
    sms_center.network.send(unique_mobile(), "12345", "2")  # a reply with no survey
    with sms_center.live.client("callback") as c:
        desk = sms_center.wait_for(
            lambda: (d := c.get("/api/v1/callback-desk").json())["replies"] and d
        )
    row = next(d for d in desk["due"] if d["order_id"] == order["id"])
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        token = sms_center.live.token("callback")
        page.goto(f"{sms_center.live.base_url}/callbacks?token={token}")
        assert "token=" not in page.url
        assert page.locator("h2").first.inner_text().startswith("待回访")
        tr = page.locator(f"tr[data-callback='{row['callback_id']}']")
        assert phone in tr.inner_text()  # the seat sees the number to call
        shot(page, "callback-desk.png")
        tr.locator("button[data-rating='satisfied']").click()
        tr.locator("button[data-solved='true']").click()
        page.wait_for_function(
            "id => document.querySelector(`tr[data-callback='${id}'] .done`)",
            arg=row["callback_id"],
            timeout=10000,
        )
        assert errors == []
    finally:
        ctx.close()
    o = order_now(sms_center, order["id"])
    assert o["status"] == "closed"
    with sms_center.live.client("admin") as c:
        r = c.get("/api/v1/supervision/callbacks")
    assert row["callback_id"] not in {str(x["id"]) for x in r.json()["callbacks"]}


def test_status_page_on_a_phone(browser: Any, sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    order = replied_order(sms_center, phone)
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True
    )
    try:
        page = ctx.new_page()
        page.goto(f"{sms_center.live.base_url}/status")
        page.fill("#number", order["number"])
        page.fill("#phone4", phone[-4:])
        page.click("button[type=submit]")
        page.wait_for_selector(".state")
        text = page.inner_text("main")
        assert "已办结，等待回访" in text and "垃圾已清运完毕" in text
        assert phone not in page.content()
        shot(page, "status-mobile.png")
        page.fill("#phone4", "0000" if phone[-4:] != "0000" else "1111")
        page.click("button[type=submit]")
        page.wait_for_selector(".error")
        assert "没有找到" in page.inner_text(".error")
    finally:
        ctx.close()
