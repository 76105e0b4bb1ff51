"""The reports room (/reports) in Chromium against the live server: it lists the kept
reports, makes one for a period, and downloads its PDF, whose text names channels, places
and orders as people do (no channel codes, no bare row ids, no ISO timestamps); the
ranking shows its table.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import new_order
from tests.wallboard.conftest import WallCenter, shot

pytestmark = pytest.mark.browser


def _orders_today(wall: WallCenter) -> list[dict[str, Any]]:
    made = []
    with wall.client("dispatcher") as c:
        for channel, text in (
            ("wechat", "张公桥好吃街烧烤油烟直排，晚上十一点还在营业"),
            ("phone", "张公桥好吃街烧烤店油烟扰民"),
            ("feed:city_management", "【数字城管转】暴露垃圾：路边垃圾桶满溢"),
        ):
            body = new_order(
                channel=channel,
                description=text,
                location={"lon": 103.7601, "lat": 29.5702},
                category={"type": "complaint", "code": "environment.air"},
            )
            r = c.post("/api/v1/orders", json=body)
            assert r.status_code == 201, r.text
            made.append(r.json())
    return made


def test_the_reports_room_makes_lists_and_downloads_a_readable_pdf(
    browser: Any, wall: WallCenter, tmp_path: Path
) -> None:
    made = _orders_today(wall)
    today = wall.center.today().isoformat()
    ctx = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", accept_downloads=True
    )
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{wall.base_url}/reports?token={wall.token('duty')}")
        assert page.url == f"{wall.base_url}/reports"
        page.wait_for_selector("#m-send")
        before = page.locator("#reports tr[data-report]").count()
        page.select_option("#m-kind", "daily")
        page.fill("#m-date", today)
        page.click("#m-send")
        page.wait_for_selector('#make-outcome [data-outcome="ok"]', timeout=90_000)
        page.wait_for_function(
            "n => document.querySelectorAll('#reports tr[data-report]').length > n", arg=before
        )
        row = page.locator("#reports tr[data-report]").first
        assert "日报" in row.inner_text()
        assert sorted(
            row.locator("a[data-format]").evaluate_all("as => as.map(a => a.dataset.format)")
        ) == ["csv", "html", "pdf", "xlsx"]
        shot(page, "reports-room.png")
        with page.expect_download() as got:
            row.locator('a[data-format="pdf"]').click()
        pdf = tmp_path / "daily.pdf"
        got.value.save_as(pdf)
        assert errors == []
    finally:
        ctx.close()
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "乐山12345心连心服务热线日报" in text
    assert "市中区" in text  # counties by name
    assert made[0]["number"] in text or any(o["number"] in text for o in made)
    # Names, not codes: no channel or feed code, no ISO timestamp, no bare row id in the
    # repeated-requests table (LS numbers instead).
    assert "feed:" not in text and "wechat" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", text)
    repeated = text.split("七、重复反映", 1)[1].split("八、", 1)[0]
    assert "LS" in repeated
    assert not re.search(r"^\s+\d{1,6}\s+\d{1,6}\s", repeated, re.M)
    # Hot words without the stop words of time and reporting.
    hot = text.split("热词：", 1)[1].split("\n", 1)[0]
    for stop in ("十一点", "小时", "发现", "分析", "转办"):
        assert stop not in hot
    # The workbook keeps its header rows in view.
    import io

    from openpyxl import load_workbook

    with wall.client("duty") as c:
        kept = c.get("/api/v1/reports", params={"kind": "daily"}).json()["reports"][0]
        book = load_workbook(io.BytesIO(c.get(kept["links"]["xlsx"]).content))
    assert all(ws.freeze_panes == "A2" for ws in book.worksheets)
    assert book["渠道"]["A1"].value == "渠道" and "feed:" not in str(
        [r[0].value for r in book["渠道"].iter_rows()]
    )


def test_a_get_of_a_report_makes_nothing(wall: WallCenter) -> None:
    with wall.client("duty") as c:
        before = c.get("/api/v1/reports", params={"limit": 500}).json()["reports"]
        r = c.get("/api/v1/reports/weekly", params={"date": "2026-01-07", "format": "pdf"})
        after = c.get("/api/v1/reports", params={"limit": 500}).json()["reports"]
    assert r.status_code == 404 and "POST" in r.json()["error"]["message"]
    assert len(after) == len(before)
    assert all({"id", "kind", "period", "formats"} <= set(x) for x in after)


def test_the_ranking_page_shows_the_six_rates(browser: Any, wall: WallCenter) -> None:
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"{wall.base_url}/reports?token={wall.token('leader')}")
        page.wait_for_selector("#ranking tr")
        quarter = wall.center.today()
        page.fill("#r-quarter", f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}")
        page.click("#r-load")
        page.wait_for_selector("#ranking tr[data-unit]")
        head = page.locator("#ranking tr").first.inner_text()
        for rate in ("响应率", "解决率", "按时办结率", "满意率", "退单率", "重办率"):
            assert rate in head
        assert "市中区" in page.locator("#ranking").inner_text()
        shot(page, "reports-ranking.png")
    finally:
        ctx.close()


def test_the_reports_room_speaks_english_with_lang_en(browser: Any, wall: WallCenter) -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{wall.base_url}/reports?lang=en&token={wall.token('leader')}")
        assert page.url == f"{wall.base_url}/reports?lang=en"
        assert page.get_attribute("html", "lang") == "en"
        page.wait_for_selector("#m-send")
        quarter = wall.center.today()
        page.fill("#r-quarter", f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}")
        page.click("#r-load")
        page.wait_for_selector("#ranking tr[data-unit]")
        heads = page.locator("main h2").all_inner_texts()
        assert heads[:2] == ["Reports", "Make a report"] and "ranking" in heads[2]
        head = page.locator("#ranking tr").first.inner_text()
        assert "Satisfaction" in head and "Counties" in head
        # The labels are all English (report titles, unit names and the like are data).
        labels = page.eval_on_selector_all(
            "h2, h3, th, label, option:not(#s-area option), button, .brand, nav",
            "els => els.filter(e => e.offsetParent !== null || e.tagName === 'OPTION')"
            ".map(e => e.innerText || e.textContent)",
        )
        assert [t for t in labels if han.search(t)] == []
        assert errors == []
        shot(page, "reports-en.png")
    finally:
        ctx.close()
