"""The HQ console ``/hq`` and the wall, in Chromium (issue 19): the flood HQ declares an
emergency for two counties from the console and the wall turns within 5 s; sends the
nearest team to an order and the wall draws the tasking; the wall's legend; the alert
sound rung once per event and kept quiet in quiet hours (the page's ``play`` calls are
counted by a hook); ending an emergency and scheduling a holiday window from the console.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.runtime import IntakeRuntime
from dispatch_center.settings import Settings
from modes.effects import switch_effects
from modes.names import EmergencyType, ModeName
from tests.wallboard.conftest import WallCenter, shot, team_report, wall_ready


@pytest.fixture(scope="module")
def wall(own_wall: WallCenter) -> WallCenter:
    """This module's own center: its teams, warnings and mode switches stay out of the
    other wall tests' (a silent team here would be counted on their walls).
    """
    return own_wall


def test_hq_declares_a_flood_emergency_for_two_counties_and_the_wall_turns(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    wall_page = pages("/wallboard", "duty")
    wall_ready(wall_page)
    assert wall_page.evaluate("() => document.body.dataset.mode") == "normal"
    hq = pages("/hq", "flood_hq")
    hq.wait_for_selector("#county-modes li")
    try:
        hq.click('#d-counties button[data-county="511111"]')
        hq.click('#d-counties button[data-county="511113"]')
        hq.select_option("#d-type", "flood")
        hq.fill("#d-reason", "大渡河沙湾段超警戒水位")
        hq.click("#d-preview-declare")
        # What the switch will change, from the flood emergency's policy, before confirming.
        effects = hq.inner_text("#d-effects")
        assert "沙湾区" in effects and "金口河区" in effects
        # Read from the emergency policy itself, in the categories' names.
        policy = wall.center.modes.policies[ModeName.emergency]
        first = switch_effects(policy, EmergencyType.flood, None)["urgent_categories"][0]
        name = wall.center.reference.categories[first.removesuffix(".*")]["name_zh"]
        assert name in hq.inner_text('[data-effect="urgent"]')
        assert hq.inner_text('[data-effect="seats"]').strip()
        shot(hq, "hq-declare-preview-1080p.png")
        hq.click("#d-confirm")
        started = time.monotonic()
        wall_page.wait_for_function(
            "() => document.body.dataset.mode === 'emergency'", timeout=5000
        )
        assert time.monotonic() - started < 5.0
        detail = wall_page.inner_text("#mode-detail")
        assert "沙湾区" in detail and "金口河区" in detail
        # The console's own map and list follow; the history says who and why.
        hq.wait_for_selector('#county-modes li[data-county="511111"][data-mode="emergency"]')
        assert hq.get_attribute('#county-modes li[data-county="511102"]', "data-mode") == "normal"
        hq.wait_for_function(
            "() => document.getElementById('history').textContent.includes('沙湾段超警戒水位')"
        )
        assert "flood_hq" in hq.inner_text("#history")
        assert not hq.errors and not wall_page.errors
    finally:
        with wall.client("admin") as c:
            c.post(
                "/api/v1/mode",
                json={"mode": "normal", "reason": "测试结束", "scope": ["511111", "511113"]},
            )


def _county_modes(wall: WallCenter) -> dict[str, str]:
    """The mode per county as the API says (``scopes``, else the city-wide mode)."""
    with wall.client("duty") as c:
        m = c.get("/api/v1/mode").json()
    base = (m.get("city_wide") or {"mode": m["mode"]})["mode"]
    per = {x["county"]: x["mode"] for x in m.get("scopes") or []}
    return {c: per.get(c, base) for c in ("511102", "511111", "511113")}


def test_hq_ends_the_emergency_in_one_county_and_the_wall_follows(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    with wall.client("flood_hq") as c:
        r = c.post(
            "/api/v1/mode",
            json={
                "mode": "emergency",
                "emergency_type": "flood",
                "reason": "大渡河超警",
                "scope": ["511111", "511113"],
            },
        )
        assert r.status_code == 200, r.text
    try:
        assert _county_modes(wall) == {
            "511102": "normal",
            "511111": "emergency",
            "511113": "emergency",
        }
        wall_page = pages("/wallboard", "duty")
        wall_ready(wall_page)
        wall_page.wait_for_function("() => document.body.dataset.mode === 'emergency'")
        hq = pages("/hq", "flood_hq")
        hq.wait_for_selector('#county-modes li[data-county="511111"][data-mode="emergency"]')
        hq.click('#d-counties button[data-county="511111"]')
        hq.fill("#d-reason", "沙湾段水位回落")
        hq.click("#d-preview-end")
        assert "沙湾区" in hq.inner_text("#d-preview .target")
        hq.click("#d-confirm")
        hq.wait_for_selector('#county-modes li[data-county="511111"][data-mode="normal"]')
        assert _county_modes(wall) == {
            "511102": "normal",
            "511111": "normal",
            "511113": "emergency",
        }
        # The wall names only the county still in emergency, within seconds.
        wall_page.wait_for_function(
            "() => { const t = document.getElementById('mode-detail').textContent;"
            " return t.includes('金口河区') && !t.includes('沙湾区'); }",
            timeout=5000,
        )
        assert wall_page.evaluate("() => document.body.dataset.mode") == "emergency"
        hq.wait_for_function(
            "() => document.getElementById('history').textContent.includes('沙湾段水位回落')"
        )
        assert not hq.errors and not wall_page.errors
    finally:
        with wall.client("admin") as c:
            c.post(
                "/api/v1/mode",
                json={"mode": "normal", "reason": "测试结束", "scope": ["511111", "511113"]},
            )


def test_hq_schedules_a_holiday_window_from_the_statutory_calendar(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    # Before the 2026 National Day: the statutory calendar has no later year yet.
    real_clock = wall.center.clock
    wall.center.clock = lambda: datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
    try:
        hq = pages("/hq", "holiday_hq")
        button = hq.wait_for_selector("#windows button[data-window]", timeout=10000)
        key = button.get_attribute("data-window")
        with wall.client("holiday_hq") as c:
            proposed = c.get("/api/v1/mode/holiday-windows?days=200").json()["windows"]
        window = next(w for w in proposed if w["key"] == key)
        assert window["scheduled"] is False
        row = hq.locator("#windows li", has=hq.locator(f'button[data-window="{key}"]'))
        assert window["first_day"] in row.inner_text()
        button.click()
        hq.wait_for_function(
            "() => [...document.querySelectorAll('#windows li')]"
            f".some((li) => li.textContent.includes('{window['first_day']}')"
            " && li.querySelector('.tag') && !li.querySelector('button'))",
            timeout=5000,
        )
        with wall.client("holiday_hq") as c:
            proposed = c.get("/api/v1/mode/holiday-windows?days=200").json()["windows"]
            assert next(w for w in proposed if w["key"] == key)["scheduled"] is True
            scheduled = c.get("/api/v1/mode/schedule").json()["scheduled"]
        mine = [d for d in scheduled if d["starts_at"].startswith(window["first_day"])]
        assert len(mine) == 1 and mine[0]["mode"] == "holiday"
        # Scheduled, not switched: every county keeps its mode until the window starts.
        assert set(_county_modes(wall).values()) == {"normal"}
        hq.wait_for_function(
            "() => document.getElementById('history').textContent.includes('holiday_hq')"
        )
        assert not hq.errors
        with wall.client("holiday_hq") as c:
            assert c.delete(f"/api/v1/mode/schedule/{mine[0]['id']}").status_code == 200
    finally:
        wall.center.clock = real_clock


def test_hq_sends_the_nearest_team_to_an_order_and_the_wall_draws_it(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    # An order in 沐川县 and a team 400 m away (nearer than any other test's teams).
    place = (103.9020, 28.9560)
    code = f"MC-{uuid.uuid4().hex[:6].upper()}"
    team_report(wall, code, place[0] + 0.004, place[1])
    order = wall.post_order(
        location={"lon": place[0], "lat": place[1]},
        address="沐川县沐溪镇",
        source="test-hq",
        source_id=uuid.uuid4().hex,
    )
    wall_page = pages("/wallboard", "duty")
    wall_ready(wall_page)
    hq = pages("/hq", "flood_hq")
    hq.wait_for_function(
        f"() => document.querySelector('#teams tr[data-team=\"{code}\"]')", timeout=10000
    )
    # People type the number they read (LS2026…); a wrong one is said so, in words.
    hq.fill("#s-order", "LS20990101999999")
    hq.click("#s-nearest")
    hq.wait_for_function(
        "() => !document.getElementById('toast').hidden"
        " && document.getElementById('toast').textContent.includes('没有这个工单')"
    )
    assert "LS20990101999999" in hq.inner_text("#toast")
    assert hq.locator("#nearest li[data-near]").count() == 0
    hq.fill("#s-order", order["number"])
    hq.click("#s-nearest")
    first = hq.wait_for_selector("#nearest li[data-near]")
    assert first.get_attribute("data-near") == code
    assert "直线距离" in first.inner_text()  # a straight line, and labelled so
    hq.click(f'#nearest button[data-send="{code}"]')
    hq.wait_for_selector(f'#teams tr[data-team="{code}"][data-status="出动"]')
    # The wall draws the tasking (team → the order's place), within seconds.
    wall_page.wait_for_function(
        f"() => (document.body.dataset.tasks || '').split(',').includes('{code}')", timeout=5000
    )
    assert wall_page.locator(f".task-{code}").count() == 1
    with wall.client("duty") as c:
        timeline = c.get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    assert [e["actor"] for e in timeline if e["action"] == "team.task"] == ["flood_hq"]
    with wall.client("flood_hq") as c:
        assert c.post(f"/api/v1/teams/{code}/tasks/current/done").status_code == 200


def test_hq_attaches_an_order_to_an_incident_by_its_number(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    order = wall.post_order(address="沙湾区沙湾镇", source="test-hq", source_id=uuid.uuid4().hex)
    title = f"大渡河沙湾段超警{uuid.uuid4().hex[:4]}"
    with wall.client("flood_hq") as c:
        r = c.post("/api/v1/incidents", json={"title": title, "counties": ["511111"]})
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
    hq = pages("/hq", "flood_hq")
    article = f'#incidents article[data-incident="{iid}"]'
    hq.wait_for_selector(article, timeout=10000)
    box = f'{article} [data-inc-input="order"]'
    hq.fill(box, "LS20990101999999")
    hq.click(f'{article} button[data-inc="order"]')
    hq.wait_for_function(
        "() => document.getElementById('toast').textContent.includes('没有这个工单')"
    )
    hq.fill(box, order["number"])
    hq.click(f'{article} button[data-inc="order"]')
    hq.wait_for_function(
        f"() => document.querySelector('{article}').textContent.includes('{order['number']}')",
        timeout=5000,
    )
    with wall.client("flood_hq") as c:
        attached = c.get(f"/api/v1/incidents/{iid}").json()["orders"]
        assert [o["number"] for o in attached] == [order["number"]]
        c.post(f"/api/v1/incidents/{iid}/close", json={"summary": "测试结束"})
    assert not hq.errors


def test_the_wall_has_a_legend_of_every_marker_and_the_map_fills_its_box(
    pages: Callable[..., Any],
) -> None:
    for width, height in ((1920, 1080), (3840, 2160), (1080, 1920)):
        page = pages("/wallboard", "duty", width, height)
        wall_ready(page)
        legend = page.inner_text("#dc-legend")
        for word in ("紧急", "一般", "咨询", "超期", "在岗", "出动", "到场", "返回", "失联"):
            assert word in legend, word
        for word in ("红色", "橙色", "黄色", "派遣任务", "区县界线"):
            assert word in legend, word
        # Metric scale only.
        scale = page.inner_text(".leaflet-control-scale")
        assert "km" in scale or " m" in scale
        assert "mi" not in scale and "ft" not in scale
        # The city fills the box left free by the panels and the legend: its bounds span
        # that box's width or height (fractional zoom), not a ninth of the screen.
        fill = page.evaluate(
            """() => { const m = window.DC_MAP.map, b = window.DC_MAP.city.getBounds();
            const f = m._dcFit, s = m.getSize();
            const nw = m.latLngToContainerPoint(b.getNorthWest());
            const se = m.latLngToContainerPoint(b.getSouthEast());
            const w = s.x - f.tl[0] - f.br[0], h = s.y - f.tl[1] - f.br[1];
            return [(se.x - nw.x) / w, (se.y - nw.y) / h]; }"""
        )
        assert 0.95 < max(fill) <= 1.01, (width, height, fill)
        assert page.evaluate("() => window.DC_MAP.map.getZoom() % 1 !== 0")
        if (width, height) == (1920, 1080):
            shot(page, "wall-legend-1080p.png")


def test_the_console_is_readable_at_1080p_and_4k(pages: Callable[..., Any]) -> None:
    """The zoom buttons scale with the page's text at 4K (Leaflet sizes them in px), and so
    does the shared header."""
    sizes, nav = {}, {}
    for (width, height), name in (((1920, 1080), "1080p"), ((3840, 2160), "4k")):
        page = pages("/hq", "flood_hq", width, height)
        page.wait_for_selector("#county-modes li")
        page.wait_for_selector(".leaflet-control-zoom-in")
        box = page.locator(".leaflet-control-zoom-in").bounding_box()
        font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        sizes[name] = (box["width"], box["height"], font)
        nav[name] = page.evaluate(
            "() => { const n = document.querySelector('nav.dc-nav');"
            " return [n.getBoundingClientRect().height, parseFloat(getComputedStyle(n).fontSize),"
            " document.querySelector('.hq-top').getBoundingClientRect().top]; }"
        )
        page.wait_for_timeout(500)  # the tiles and county outlines drawn
        shot(page, f"hq-console-{name}.png")
        assert not page.errors
    (w1, h1, f1), (w4, h4, f4) = sizes["1080p"], sizes["4k"]
    # As much bigger as the text is, give or take a few px.
    assert w4 >= 0.9 * w1 * f4 / f1 and h4 >= 0.9 * h1 * f4 / f1, sizes
    # The shared header grows with the page at 4K, and the page starts below it.
    (nh1, nf1, top1), (nh4, nf4, top4) = nav["1080p"], nav["4k"]
    assert nh4 == pytest.approx(2 * nh1, rel=0.05) and nf4 == pytest.approx(2 * nf1, rel=0.05), nav
    assert top1 >= nh1 - 1 and top4 >= nh4 - 1, nav


def test_the_alert_sounds_once_per_event(pages: Callable[..., Any], wall: WallCenter) -> None:
    page = pages("/wallboard", "duty")
    wall_ready(page)
    page.evaluate("() => { window.__plays.length = 0; }")
    urgent = wall.post_order(urgency="urgent", source="test-alert", source_id=uuid.uuid4().hex)
    page.wait_for_function("() => window.__plays.length === 1", timeout=5000)
    assert page.evaluate("() => window.__plays[0]").endswith("/static/wallboard/alert.wav")
    # The same order changing again is the same event: no second ring.
    with wall.client("dispatcher") as c:
        r = c.post(f"/api/v1/orders/{urgent['id']}/actions/dispatch", json={"unit_code": "511102"})
        assert r.status_code == 200, r.text
    page.wait_for_function(
        "id => [...window.DC_APP.orders.orders.values()]"
        ".some(o => String(o.id) === id && o.status === 'dispatched')",
        arg=str(urgent["id"]),
        timeout=5000,
    )
    time.sleep(0.5)
    assert page.evaluate("() => window.__plays.length") == 1
    # A general order does not ring; a second urgent one does.
    wall.post_order(urgency="general", source="test-alert", source_id=uuid.uuid4().hex)
    wall.post_order(urgency="urgent", source="test-alert", source_id=uuid.uuid4().hex)
    page.wait_for_function("() => window.__plays.length === 2", timeout=5000)
    # A reload (the wall restarting) does not ring again for what it already rang for.
    page.reload()
    wall_ready(page)
    time.sleep(1.0)
    assert page.evaluate("() => window.__plays.length") == 0
    # Muted: the event is noted, not played.
    page.click("#alert-mute")
    assert page.get_attribute("#alert-mute", "data-muted") == "1"
    wall.post_order(urgency="urgent", source="test-alert", source_id=uuid.uuid4().hex)
    page.wait_for_function(
        "() => window.DC_APP.alerts.log.some(e => e.kind === 'urgent_order' && !e.played)",
        timeout=5000,
    )
    assert page.evaluate("() => window.__plays.length") == 0
    page.click("#alert-mute")


def _quiet_hours_from_env(monkeypatch: pytest.MonkeyPatch, wall: WallCenter, spec: str) -> None:
    """``DISPATCH_WALL_QUIET_HOURS=spec``, read as the process reads it, for the wall."""
    monkeypatch.setenv("DISPATCH_WALL_QUIET_HOURS", spec)
    read = Settings(demo=True, secret_key="").wall_quiet_hours
    assert read == spec
    settings = wall.center.settings.model_copy(update={"wall_quiet_hours": read})
    monkeypatch.setattr(wall.center, "settings", settings)


def test_the_alert_keeps_quiet_in_quiet_hours(
    pages: Callable[..., Any], wall: WallCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    hour = datetime.now(SHANGHAI).hour
    # Two hours from this one: a test run at the turn of an hour stays inside.
    _quiet_hours_from_env(monkeypatch, wall, f"{hour}-{(hour + 2) % 24}")
    page = pages("/wallboard", "duty")
    wall_ready(page)
    page.evaluate("() => { window.__plays.length = 0; }")
    urgent = wall.post_order(urgency="urgent", source="test-quiet", source_id=uuid.uuid4().hex)
    # The event is noted on the wall's alert log, not played.
    page.wait_for_function(
        "key => window.DC_APP.alerts.log.some(e => e.key === key && !e.played)",
        arg=f"order:{urgent['id']}",
        timeout=5000,
    )
    time.sleep(0.5)
    assert page.evaluate("() => window.__plays.length") == 0
    assert page.get_attribute("#alert-mute", "data-muted") == "0"  # quiet, not muted
    # The same wall outside its quiet hours rings once for the next urgent order.
    _quiet_hours_from_env(monkeypatch, wall, f"{(hour + 3) % 24}-{(hour + 5) % 24}")
    page.reload()
    wall_ready(page)
    page.evaluate("() => { window.__plays.length = 0; }")
    wall.post_order(urgency="urgent", source="test-quiet", source_id=uuid.uuid4().hex)
    page.wait_for_function("() => window.__plays.length === 1", timeout=5000)
    time.sleep(0.5)
    assert page.evaluate("() => window.__plays.length") == 1
    assert not page.errors


def test_a_team_gone_silent_rings_once(pages: Callable[..., Any], wall: WallCenter) -> None:
    page = pages("/wallboard", "duty")
    wall_ready(page)
    code = f"SL-{uuid.uuid4().hex[:6].upper()}"
    page.evaluate("() => { window.__plays.length = 0; }")
    # A report older than the center's 失联 limit: the team is out of contact on arrival.
    limit = wall.center.settings.team_lost_after_s
    key = wall.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    at = datetime.now(SHANGHAI) - timedelta(seconds=limit + 120)
    body = {
        "dwbm": code,
        "dwmc": "失联测试队",
        "dwlx": "防汛抢险",
        "zt": "出动",
        "jd": 103.5,
        "wd": 29.4,
        "dwsj": at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    r = httpx.post(
        f"{wall.base_url}/api/v1/feeds/emergency_mgmt/events",
        content=json.dumps(body).encode(),
        headers={"X-Api-Key": key},
    )
    assert r.status_code == 202, r.text
    page.wait_for_function(
        "code => window.DC_APP.alerts.log"
        ".some(e => e.kind === 'team_lost' && e.key.includes(code))",
        arg=code,
        timeout=5000,
    )
    page.evaluate("() => window.DC_APP.feeds.refreshUnits()")
    time.sleep(0.3)
    lost = page.evaluate(
        "code => window.DC_APP.alerts.log.filter(e => e.key.includes(code)).length", code
    )
    assert lost == 1
    assert page.evaluate("() => window.__plays.length") == 1


def test_who_opens_the_console(wall: WallCenter) -> None:
    def get(username: str, lang: str = "") -> httpx.Response:
        with httpx.Client(base_url=wall.base_url, timeout=10) as c:
            return c.get(f"/hq?token={wall.token(username)}{lang}", follow_redirects=True)

    for who in ("flood_hq", "holiday_hq", "admin"):
        r = get(who)
        assert r.status_code == 200, who
        assert 'class="hq"' in r.text and "<script>" not in r.text
    leader = get("leader")
    assert leader.status_code == 200 and 'class="hq read-only"' in leader.text
    for who in ("dispatcher", "duty", "h_511102"):
        assert get(who).status_code == 403, who
    assert "HQ console" in get("flood_hq", "&lang=en").text


def test_a_severe_feed_event_reaches_the_ticker(
    pages: Callable[..., Any], wall: WallCenter
) -> None:
    page = pages("/wallboard", "duty")
    wall_ready(page)
    alarm = {
        "alarmNo": f"RQ{uuid.uuid4().hex[:8]}",
        "deviceNo": "JT0000001",
        "alarmType": "泄漏",
        "concentration": 35,
        "unit": "%LEL",
        "address": "市中区嘉定中路某餐馆后厨",
        "lng": 103.7612,
        "lat": 29.5550,
        "alarmTime": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    }
    with wall.client("admin") as c:
        r = c.post("/api/v1/feeds/gas/events", json=alarm)
    assert r.status_code == 202, r.text
    page.wait_for_function(
        "() => document.getElementById('ticker').textContent.includes('35%LEL')", timeout=5000
    )
