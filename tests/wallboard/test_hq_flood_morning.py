"""The demo's flood morning, run from ``/hq`` alone (issue 19's "done means"), in Chromium.

The river reading the demo plays (大渡河沙湾站 over its warning mark, the recorded
``flood_morning.json`` answer of the hydrology system, re-timed to now) raises a mode
suggestion; the flood HQ, on the console only, reads its evidence and accepts it, widens the
emergency to a second county, sends the nearest team to a waterlogging order, opens an
incident at a place picked on the map, attaches the order and a second team, logs a line and
closes it with a summary. A wall screen in a second browser context, signed in with a wall
token as a real wall is, shows each step within 5 s: the mode, the taskings, the incident.

A second test declines a suggestion (a CAP red warning, the demo's own message) from the
console: the evidence is the warning's words, the dismissal is recorded with its reason and
the wall's list empties while its mode stays.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.runtime import IntakeRuntime
from feeds.systems.weather_cap import build_warning
from tests.wallboard.conftest import WallCenter, shot, team_report, wall_ready

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "feeds" / "fixtures"
SHAWAN, JINKOUHE, SHIZHONG = "511111", "511113", "511102"
#: Where the flood morning happens: 沙湾区's riverside (the 沙湾 gauge is at 103.55, 29.412).
SCENE = (103.5520, 29.4080)
WITHIN = 5.0  # seconds the wall may take to show a step


@pytest.fixture(scope="module")
def wall(own_wall: WallCenter) -> WallCenter:
    """This module's own center: its switches, teams and incidents stay off other walls."""
    return own_wall


def wall_token(wall: WallCenter) -> str:
    """A wall screen's token (what a wall link carries), issued by the duty officer."""
    with wall.client("duty") as c:
        r = c.post("/api/v1/auth/wall-token")
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def post_river_reading(wall: WallCenter) -> dict[str, Any]:
    """The flood morning's recorded hydrology answer, re-timed to now, sent with the
    system's own key as the runner would: 沙湾 424.62 m against its 424.00 m warning mark."""
    doc = json.loads((FIXTURES / "hydrology" / "flood_morning.json").read_text("utf-8"))
    tm = datetime.now(SHANGHAI).replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
    for row in doc["data"]:
        row["TM"] = tm
    key = wall.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    r = httpx.post(
        f"{wall.base_url}/api/v1/feeds/hydrology/events",
        content=json.dumps(doc).encode(),
        headers={"X-Api-Key": key, "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    shawan: dict[str, Any] = doc["data"][0]
    assert shawan["STNM"] == "沙湾" and shawan["Z"] > shawan["WRZ"]
    return shawan


def on_wall(page: Any, js: str, what: str, arg: Any = None) -> float:
    """Wait until the wall shows ``what`` (``js`` true) and return how long it took."""
    started = time.monotonic()
    page.wait_for_function(js, arg=arg, timeout=WITHIN * 1000)
    took = time.monotonic() - started
    assert took < WITHIN, (what, took)
    return took


def ticker_has(text: str) -> str:
    return f"() => document.getElementById('ticker').textContent.includes({json.dumps(text)})"


def click_map_at(page: Any, lon: float, lat: float) -> None:
    """A person's click on the console's map at (lon, lat)."""
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.DC_MAP.map.latLngToContainerPoint([lat, lon]);"
        " const r = document.getElementById('map_dc').getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lon, lat],
    )
    page.mouse.click(x, y)


def hq_text_has(selector: str, text: str) -> str:
    return (
        f"() => {{ const el = document.querySelector({json.dumps(selector)});"
        f" return !!el && el.textContent.includes({json.dumps(text)}); }}"
    )


def back_to_normal(wall: WallCenter, codes: list[str]) -> None:
    with wall.client("admin") as c:
        c.post(
            "/api/v1/mode",
            json={"mode": "normal", "reason": "测试结束", "scope": [SHAWAN, JINKOUHE]},
        )
        for code in codes:
            c.post(f"/api/v1/teams/{code}/tasks/current/done")


def test_the_flood_hq_runs_the_flood_morning_from_hq_alone(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    # Two flood teams on the 沙湾 riverside (A nearest the scene, B a little further) and
    # one far away in 市中区: the nearest is suggested by distance.
    tag = uuid.uuid4().hex[:4].upper()
    team_a, team_b, team_far = f"SW-A{tag}", f"SW-B{tag}", f"SZ-C{tag}"
    team_report(wall, team_a, SCENE[0] + 0.003, SCENE[1], name=f"沙湾区防汛抢险一组{tag}")
    team_report(wall, team_b, SCENE[0] - 0.010, SCENE[1] + 0.004, name=f"沙湾区防汛巡查组{tag}")
    team_report(wall, team_far, 103.7600, 29.5600, name=f"市中区消防救援站{tag}")
    wall_page = pages("/wallboard", "duty", token=wall_token(wall))
    wall_ready(wall_page)
    assert wall_page.evaluate("() => document.body.dataset.mode") == "normal"
    hq = pages("/hq", "flood_hq")
    hq.wait_for_selector("#county-modes li")
    try:
        # -- 1. the river passes its warning mark: the suggestion, with its evidence ------
        reading = post_river_reading(wall)
        item = hq.wait_for_selector(
            '#suggestions li[data-kind="river_gauge"]', timeout=WITHIN * 1000 + 6000
        )
        evidence = item.query_selector('[data-evidence="gauge"]').inner_text()
        # The reading against its marks, in metres: level, warning mark and how far over,
        # the guarantee mark; and the station by its name.
        for words in ("大渡河沙湾站", "424.62 m", "424.00 m", "+0.62 m", "426.00 m"):
            assert words in evidence, (words, evidence)
        assert "沙湾区" in item.inner_text() and "应急·防汛" in item.inner_text()
        assert reading["Z"] == 424.62
        # The wall offers the same suggestion.
        on_wall(wall_page, hq_text_has('[data-panel="suggestions"]', "超警戒水位"), "suggestion")
        shot(hq, "hq-flood-suggestion-1080p.png")

        # -- 2. accepted from /hq: the wall turns --------------------------------------
        item.query_selector("[data-sugg-note]").fill("防汛指挥部确认，启动应急")
        item.query_selector('button[data-sugg="accept"]').click()
        on_wall(wall_page, "() => document.body.dataset.mode === 'emergency'", "mode")
        assert "沙湾区" in wall_page.inner_text("#mode-detail")
        hq.wait_for_selector(f'#county-modes li[data-county="{SHAWAN}"][data-mode="emergency"]')
        hq.wait_for_selector('#suggestions li[data-kind="river_gauge"]', state="detached")
        hq.wait_for_function(hq_text_has("#history", "防汛指挥部确认"))
        on_wall(
            wall_page,
            "() => !document.querySelector('[data-panel=\"suggestions\"]')"
            " || !document.querySelector('[data-panel=\"suggestions\"]')"
            ".textContent.includes('超警戒水位')",
            "suggestion answered",
        )

        # -- 3. the HQ scopes the emergency: 金口河区 too, 市中区 stays normal -----------
        hq.click(f'#d-counties button[data-county="{JINKOUHE}"]')
        hq.select_option("#d-type", "flood")
        hq.fill("#d-reason", "大渡河金口河段同步超警")
        hq.click("#d-preview-declare")
        assert "金口河区" in hq.inner_text("#d-preview .target")
        hq.click("#d-confirm")
        on_wall(
            wall_page,
            "() => { const t = document.getElementById('mode-detail').textContent;"
            " return t.includes('沙湾区') && t.includes('金口河区'); }",
            "scope",
        )
        hq.wait_for_selector(f'#county-modes li[data-county="{JINKOUHE}"][data-mode="emergency"]')
        shizhong = hq.get_attribute(f'#county-modes li[data-county="{SHIZHONG}"]', "data-mode")
        assert shizhong == "normal"

        # -- 4. the first team: the nearest to a waterlogging order -----------------------
        order = wall.post_order(
            location={"lon": SCENE[0], "lat": SCENE[1]},
            address="沙湾区沫若广场旁低洼处",
            description="沙湾区沫若广场旁低洼处积水齐膝，三户居民被困",
            urgency="urgent",
            source="test-flood-morning",
            source_id=uuid.uuid4().hex,
        )
        hq.fill("#s-order", order["number"])
        hq.click("#s-nearest")
        first = hq.wait_for_selector("#nearest li[data-near]")
        assert first.get_attribute("data-near") == team_a
        assert "直线距离" in first.inner_text()
        hq.click(f'#nearest button[data-send="{team_a}"]')
        hq.wait_for_selector(f'#teams tr[data-team="{team_a}"][data-status="出动"]')
        on_wall(
            wall_page,
            "code => (document.body.dataset.tasks || '').split(',').includes(code)",
            "first tasking",
            team_a,
        )

        # -- 5. the incident, opened at a place picked on the map --------------------------
        hq.click("#s-pick")
        click_map_at(hq, *SCENE)
        assert hq.inner_text("#s-picked").strip()
        title = f"大渡河沙湾段超警{tag}"
        hq.fill("#i-title", title)
        hq.fill("#i-place", "沙湾区沫若广场")
        hq.click("#i-open")
        article = hq.wait_for_selector(f'#incidents article:has(h3:text("{title}"))')
        iid = article.get_attribute("data-incident")
        sel = f'#incidents article[data-incident="{iid}"]'
        on_wall(wall_page, f"() => !!document.querySelector('.inc-{iid}')", "incident")
        on_wall(wall_page, ticker_has(f"重大事件开启 {title}"), "incident on the ticker")
        # Labelled with its title, and the label is never the one the map's declutter hides.
        label = wall_page.locator(".incident-label")
        assert title in label.inner_text()
        wall_page.wait_for_timeout(400)  # the declutter runs 250 ms after a redraw
        assert label.is_visible() and label.get_attribute("data-decluttered") != "1"

        # -- 6. the order attached, the second team sent to the incident's place ------------
        hq.fill(f'{sel} [data-inc-input="order"]', order["number"])
        hq.click(f'{sel} button[data-inc="order"]')
        hq.wait_for_selector(f'{sel} [data-inc-order="{order["number"]}"]')
        # The team already on that order now works the incident too.
        hq.wait_for_selector(f'{sel} [data-inc-team="{team_a}"]')
        hq.select_option(f'{sel} [data-inc-input="team"]', team_b)
        hq.click(f'{sel} button[data-inc="team"]')
        hq.wait_for_selector(f'{sel} [data-inc-team="{team_b}"]')
        hq.wait_for_selector(f'#teams tr[data-team="{team_b}"][data-status="出动"]')
        on_wall(
            wall_page,
            "code => (document.body.dataset.tasks || '').split(',').includes(code)",
            "second tasking",
            team_b,
        )
        hq.fill(f'{sel} [data-inc-input="note"]', "沙湾区转移沿河群众120人")
        hq.click(f'{sel} button[data-inc="note"]')
        # The running log: who did what, in order.
        hq.wait_for_function(hq_text_has(f"{sel} .inc-log", "沙湾区转移沿河群众120人"))
        log = hq.inner_text(f"{sel} .inc-log")
        opened, attached = log.index(f"开启事件：{title}"), log.index(f"关联工单{order['number']}")
        sent, noted = log.index("派出沙湾区防汛巡查组"), log.index("转移沿河群众")
        assert opened < attached < sent < noted, log
        assert log.count("flood_hq") >= 4
        wall_page.wait_for_timeout(600)  # the tooltips and label placement settle
        shot(hq, "hq-flood-morning-1080p.png")
        shot(wall_page, "wall-flood-morning-1080p.png")

        # -- 7. closed with a summary the special report cites ------------------------------
        summary = "沙湾段水位回落至警戒水位以下，转移群众120人，无人员伤亡。"
        hq.fill(f'{sel} [data-inc-input="summary"]', summary)
        hq.click(f'{sel} button[data-inc="close"]')
        hq.wait_for_selector(f'{sel}[data-status="closed"]')
        assert summary in hq.inner_text(f"{sel} .summary")
        assert hq.query_selector(f'{sel} button[data-inc="close"]') is None
        on_wall(wall_page, f"() => !document.querySelector('.inc-{iid}')", "incident closed")
        on_wall(wall_page, ticker_has(f"重大事件结束 {title}"), "closing on the ticker")
        with wall.client("leader") as c:
            record = c.get(f"/api/v1/incidents/{iid}").json()
        assert record["status"] == "closed" and record["summary"] == summary
        assert record["closed_by"] == "flood_hq"
        assert [o["number"] for o in record["orders"]] == [order["number"]]
        # Both teams work the incident: A on its attached order, B sent to its place.
        assert [t["team_code"] for t in record["tasks"]] == [team_a, team_b]
        assert record["log"][-1]["text"] == f"事件结束：{summary}"
        # The wall kept its legend of every marker, the incident's among them.
        legend = wall_page.inner_text("#dc-legend")
        assert "重大事件" in legend and "派遣任务" in legend
        assert not hq.errors and not wall_page.errors, (hq.errors, wall_page.errors)
    finally:
        back_to_normal(wall, [team_a, team_b])


def test_the_flood_hq_declines_a_suggestion_from_hq(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    wall_page = pages("/wallboard", "duty", token=wall_token(wall))
    wall_ready(wall_page)
    hq = pages("/hq", "flood_hq")
    hq.wait_for_selector("#county-modes li")
    modes_before = {
        el.get_attribute("data-county"): el.get_attribute("data-mode")
        for el in hq.query_selector_all("#county-modes li")
    }
    # The demo's CAP 暴雨红色预警 over 沙湾/峨边/金口河, as the weather service sends it.
    sent = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=1)
    xml = build_warning(f"51110041600000_T{uuid.uuid4().hex[:10]}", sent, "Alert")
    with wall.client("admin") as c:
        r = c.post("/api/v1/feeds/cap", content=xml, headers={"Content-Type": "application/xml"})
    assert r.status_code in (201, 202), r.text
    item = hq.wait_for_selector('#suggestions li[data-kind="cap_alert"]', timeout=12000)
    sid = item.get_attribute("data-suggestion")
    # The evidence is the warning's own words: headline, text, issuer and level.
    cap = item.query_selector('[data-evidence="cap"]').inner_text()
    for words in ("乐山市气象台发布暴雨红色预警信号", "降雨量将达100毫米以上", "Extreme"):
        assert words in cap, (words, cap)
    assert "沙湾区" in item.inner_text() and "金口河区" in item.inner_text()
    on_wall(wall_page, hq_text_has('[data-panel="suggestions"]', "暴雨红色预警"), "suggestion")
    item.query_selector("[data-sugg-note]").fill("雨势已减弱，由区县按常规处置")
    item.query_selector('button[data-sugg="dismiss"]').click()
    hq.wait_for_selector(f'#suggestions li[data-suggestion="{sid}"]', state="detached")
    # Recorded with who and why; no county changed mode, on the console or the wall.
    hq.wait_for_function(hq_text_has("#history", "雨势已减弱"))
    assert "flood_hq" in hq.inner_text("#history")
    with wall.client("flood_hq") as c:
        got = c.get("/api/v1/mode/suggestions").json()["suggestions"]
    mine = next(s for s in got if s["id"] == sid)
    assert mine["status"] == "dismissed" and mine["decided_by"] == "flood_hq"
    assert mine["decision_note"] == "雨势已减弱，由区县按常规处置"
    on_wall(
        wall_page,
        "() => { const p = document.querySelector('[data-panel=\"suggestions\"]');"
        " return !p || !p.textContent.includes('暴雨红色预警'); }",
        "suggestion gone",
    )
    time.sleep(0.5)
    assert wall_page.evaluate("() => document.body.dataset.mode") == "normal"
    after = {
        el.get_attribute("data-county"): el.get_attribute("data-mode")
        for el in hq.query_selector_all("#county-modes li")
    }
    assert after == modes_before
    assert not hq.errors and not wall_page.errors, (hq.errors, wall_page.errors)
