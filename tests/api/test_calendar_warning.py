"""Telling admins and duty officers that next year's official holidays are missing.

A center of its own whose clock reads 2026-12-05 (the ``chinese_calendar`` package covers
up to 2026): the header strip, the ``warning`` of ``GET /api/v1/calendar/years`` and the
``/metrics`` gauges all say 2027 is missing until an admin imports it, and then stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch_center.api.front.header import CALENDAR_LINK
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.settings import Settings
from tests.api.conftest import PASSWORD, LiveCenter, start_live
from tests.conftest import SCREENSHOTS

TODAY = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
BANNER_ZH = "2027年法定节假日安排尚未录入，跨年工单办理时限按周一至周五暂计"
BANNER_EN = "Official holidays for 2027 are not entered yet"
IMPORT_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知 (test schedule)",
    "holidays": [{"day": "2027-01-01", "name": "元旦"}],
    "workdays": [],
}


@pytest.fixture(scope="module")
def cw(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    data_dir: Path = tmp_path_factory.mktemp("calwarn")
    settings = Settings(database_url=make_database(), demo=True, data_dir=data_dir, simulator=False)
    port = free_port()
    server, thread, app = start_live(settings, port)
    live = LiveCenter(f"http://127.0.0.1:{port}", app, {})
    if live.center.reference.calendar.covers(2027):
        pytest.skip("the chinese-calendar package now ships 2027")
    live.center.clock = lambda: TODAY
    yield live
    server.should_exit = True
    thread.join(10)


def _page(live: LiveCenter, username: str, path: str = "/dispatch", lang: str = "") -> str:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        r = c.post("/api/v1/auth/session", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        page = c.get(path + (f"?lang={lang}" if lang else ""))
        assert page.status_code == 200, page.text
        return page.text


def _metrics(live: LiveCenter) -> dict[str, float]:
    with live.client("admin") as c:
        r = c.get("/metrics")
    assert r.status_code == 200, r.text
    return {
        f.name: f.samples[0].value
        for f in text_string_to_metric_families(r.text)
        if f.name.startswith("dispatch_calendar_")
    }


def _years(live: LiveCenter) -> dict[str, Any]:
    with live.client("dispatcher") as c:
        r = c.get("/api/v1/calendar/years")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# Before the import test below (definition order): the strip must still be there.
@pytest.mark.browser
def test_the_strip_sits_between_the_bar_and_the_console(cw: LiveCenter, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(cw.base_url + "/")
        page.fill("#username", "duty")
        page.fill("#password", PASSWORD)
        page.click("#sign-in-button")
        page.wait_for_url(cw.base_url + "/wallboard", timeout=15_000)  # a duty officer's landing
        page.goto(cw.base_url + "/dispatch")
        strip = page.locator("#dc-cal-warn")
        assert strip.is_visible()
        assert BANNER_ZH in strip.inner_text()
        nav = page.locator("#dc-nav").bounding_box()
        box = strip.bounding_box()
        top = page.locator("#dc-top").bounding_box()
        # Under the bar, and the console pushed down below it rather than covered.
        assert abs(box["y"] - nav["height"]) <= 1 and box["height"] >= 20
        assert top["y"] >= box["y"] + box["height"] - 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "calendar-warning-duty.png"))
    finally:
        ctx.close()


def test_warned_until_the_year_is_imported(cw: LiveCenter) -> None:
    # Before: admins and duty officers see the strip; a dispatcher on the same page does not.
    for who in ("admin", "duty"):
        page = _page(cw, who)
        assert 'id="dc-cal-warn"' in page and BANNER_ZH in page, who
        assert f'href="{CALENDAR_LINK}"' in page
    assert BANNER_EN in _page(cw, "duty", lang="en")
    dispatcher = _page(cw, "dispatcher")
    assert 'id="dc-nav"' in dispatcher and "dc-cal-warn" not in dispatcher
    assert BANNER_ZH not in dispatcher

    years = _years(cw)
    assert years["next_year_covered"] is False
    assert years["warning"] == {"year": 2027, "current": False, "days_left": 27}
    assert _metrics(cw) == {
        "dispatch_calendar_current_year_covered": 1.0,
        "dispatch_calendar_next_year_covered": 0.0,
        "dispatch_calendar_warning": 1.0,
    }

    with cw.client("admin") as admin:
        r = admin.post("/api/v1/calendar/years", json=IMPORT_2027)
        assert r.status_code == 201, r.text

    # After: gone everywhere.
    for who in ("admin", "duty"):
        page = _page(cw, who)
        assert 'id="dc-nav"' in page and "dc-cal-warn" not in page, who
    years = _years(cw)
    assert years["next_year_covered"] is True and years["warning"] is None
    assert _metrics(cw) == {
        "dispatch_calendar_current_year_covered": 1.0,
        "dispatch_calendar_next_year_covered": 1.0,
        "dispatch_calendar_warning": 0.0,
    }


def test_the_strip_links_to_the_import_operation_in_the_docs(cw: LiveCenter) -> None:
    # Swagger UI's deep link is #/<tag>/<operationId>: renaming the route breaks the link.
    with cw.client() as anon:
        spec = anon.get("/openapi.json").json()
        assert anon.get("/docs").status_code == 200
    op = spec["paths"]["/api/v1/calendar/years"]["post"]
    tag, op_id = CALENDAR_LINK.removeprefix("/docs#/").split("/")
    assert tag in op["tags"] and op["operationId"] == op_id
