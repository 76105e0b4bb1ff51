"""The wall and the console in Debian's headless Chromium against the live server."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.wallboard.conftest import Page, WallCenter, shot

pytestmark = pytest.mark.browser

COUNTIES = [
    "市中区",
    "沙湾区",
    "五通桥区",
    "金口河区",
    "犍为县",
    "井研县",
    "夹江县",
    "沐川县",
    "峨边彝族自治县",
    "马边彝族自治县",
    "峨眉山市",
]


def _own_origin_only(p: Page, wall: WallCenter) -> None:
    ours = urlsplit(wall.base_url).netloc
    outside = [u for u in p.requests if not u.startswith("data:") and urlsplit(u).netloc != ours]
    assert outside == [], outside


def test_wall_shows_counties_and_makes_no_outside_request(open_page: Any, wall: WallCenter) -> None:
    p = open_page("/wallboard", "duty")
    labels = p.page.locator(".county-label").all_inner_texts()
    assert sorted(labels) == sorted(COUNTIES)
    assert p.page.url.endswith("/wallboard")  # the token left the address bar
    assert "常规" in p.page.locator("#mode-name").inner_text()
    assert p.page.locator("#n-systems").inner_text() == "21"
    p.page.wait_for_timeout(500)
    _own_origin_only(p, wall)
    shot(p.page, "wallboard-normal.png")


def test_posted_order_appears_within_a_second(open_page: Any, wall: WallCenter) -> None:
    p = open_page("/wallboard", "duty")
    t0 = time.monotonic()
    order = wall.post_order(urgency="urgent", description="滨江路积水严重，车辆无法通行")
    p.page.wait_for_function(
        "id => window.DC_APP.orders.markers.has(id)", arg=order["id"], timeout=1000
    )
    assert time.monotonic() - t0 < 1.5
    assert "滨江路积水" in p.page.locator("#ticker").inner_text()


def test_mode_switch_changes_banner_and_layout(open_page: Any, wall: WallCenter) -> None:
    p = open_page("/wallboard", "duty")
    normal_panels = p.page.evaluate("document.body.dataset.panels")
    with wall.client("flood_hq") as c:
        r = c.post(
            "/api/v1/mode",
            json={
                "mode": "emergency",
                "emergency_type": "flood",
                "reason": "青衣江、大渡河超警戒水位",
                "scope": ["511111", "511112"],
            },
        )
    assert r.status_code in (200, 201), r.text
    try:
        p.page.wait_for_function(
            "() => document.body.classList.contains('theme-emergency')", timeout=5000
        )
        assert "应急" in p.page.locator("#mode-name").inner_text()
        assert "沙湾区" in p.page.locator("#mode-detail").inner_text()
        panels = p.page.evaluate("document.body.dataset.panels")
        assert panels != normal_panels and "cap_warnings" in panels
        assert p.page.locator('[data-panel="river_gauges"]').count() == 1
        shot(p.page, "wallboard-emergency-flood.png")
    finally:
        _back_to_normal(wall)
    p.page.wait_for_function("() => document.body.classList.contains('theme-normal')", timeout=5000)


def test_holiday_wall_screenshot(open_page: Any, wall: WallCenter) -> None:
    with wall.client("holiday_hq") as c:
        r = c.post("/api/v1/mode", json={"mode": "holiday", "reason": "国庆黄金周假日调度"})
    assert r.status_code in (200, 201), r.text
    try:
        p = open_page("/wallboard", "duty")
        p.page.wait_for_function(
            "() => document.body.classList.contains('theme-holiday')", timeout=5000
        )
        assert "假日" in p.page.locator("#mode-name").inner_text()
        assert "scenic_capacity" in p.page.evaluate("document.body.dataset.panels")
        shot(p.page, "wallboard-holiday.png")
    finally:
        _back_to_normal(wall)


def _back_to_normal(wall: WallCenter) -> None:
    with wall.client("admin") as c:
        for scope in (None, ["511111", "511112"]):
            body: dict[str, Any] = {"mode": "normal", "reason": "水位回落，恢复常规"}
            if scope:
                body["scope"] = scope
            c.post("/api/v1/mode", json=body)
        assert c.get("/api/v1/mode").json()["mode"] == "normal"


def _click_marker(p: Page, order_id: str) -> None:
    p.page.wait_for_function(
        "id => window.DC_APP.orders.markers.has(id)", arg=order_id, timeout=3000
    )
    p.page.evaluate("id => new Promise(r => window.DC_APP.orders.reveal(id, r))", order_id)
    p.page.locator(f'.om[data-id="{order_id}"]').click()
    p.page.wait_for_selector("#card-body button.assign.primary", timeout=5000)


def test_dispatcher_assigns_by_clicking_the_map(open_page: Any, wall: WallCenter) -> None:
    order = wall.post_order(description="大佛景区门口路灯不亮")
    p = open_page("/dispatch", "dispatcher")
    _click_marker(p, order["id"])
    lead = order["routing"]["lead"]["code"]
    assert p.page.locator("#card-body button.assign.primary").get_attribute("data-unit") == lead
    assert "市中区" in p.page.locator("#card-body .path").inner_text()
    p.page.evaluate(
        "id => { const m = window.DC_APP.orders.markers.get(id);"
        " window.DC_MAP.map.setView(m.getLatLng(), 10, {animate: false}); }",
        order["id"],
    )
    p.page.wait_for_timeout(300)
    shot(p.page, "dispatch-console.png")
    p.page.locator("#card-body button.assign.primary").click()
    p.page.wait_for_selector('[data-outcome="assigned"]', timeout=5000)
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/orders/{order['id']}").json()
    assert got["status"] == "dispatched" and got["assigned_unit"]["code"] == lead
    # The queue drops it, by the delta.
    p.page.wait_for_function(
        "id => !window.DC_APP.state.queue.includes(id)", arg=order["id"], timeout=2000
    )
    _own_origin_only(p, wall)


def test_two_consoles_race_one_wins_the_other_sees_who(open_page: Any, wall: WallCenter) -> None:
    order = wall.post_order(description="井研县城区供水中断")
    a = open_page("/dispatch", "dispatcher")
    b = open_page("/dispatch", "duty")
    for p in (a, b):
        p.page.evaluate("id => window.DC_APP.openCard(id)", order["id"])
        p.page.wait_for_selector("#card-body button.assign.primary", timeout=5000)
    # Both click at once (same version on both cards). A console that already heard the
    # other's assignment (the delta can beat the second click) has no button left and
    # says who took it: the same outcome the server's 409 gives.
    for p in (a, b):
        p.page.evaluate(
            "(() => { const b = document.querySelector('#card-body button.assign.primary');"
            " if (b) b.click(); })()"
        )
    outcomes = {}
    for name, p in (("dispatcher", a), ("duty", b)):
        el = p.page.wait_for_selector("[data-outcome]", timeout=5000)
        outcomes[name] = (el.get_attribute("data-outcome"), el.get_attribute("data-by"))
    kinds = sorted(o for o, _ in outcomes.values())
    assert kinds == ["assigned", "taken"], outcomes
    winner = next(n for n, (o, _) in outcomes.items() if o == "assigned")
    loser = next(n for n, (o, _) in outcomes.items() if o == "taken")
    assert outcomes[loser][1] == winner


def test_wall_resumes_after_server_restart_without_gap(open_page: Any, wall: WallCenter) -> None:
    p = open_page("/wallboard", "duty")
    wall.restart()
    order = wall.post_order(description="服务重启后的新工单")
    p.page.wait_for_function(
        "id => window.DC_APP.orders.markers.has(id)", arg=order["id"], timeout=15000
    )
    stats = p.page.evaluate("window.DC_APP.client.stats")
    assert stats["gaps"] == 0 and stats["duplicates"] == 0 and stats["connects"] >= 2
    seqs = stats["seqs"]
    assert seqs == sorted(set(seqs))


def test_hq_accepts_a_suggestion_from_the_wall(open_page: Any, wall: WallCenter) -> None:
    # A scenic area over capacity raises a suggestion; the wall lists it; the holiday HQ
    # accepts it with one click and the wall turns to the holiday layout.
    with wall.client("admin") as c:
        r = c.post(
            "/api/v1/mode/triggers",
            json={
                "kind": "scenic_capacity",
                "area_id": "emeishan_wall_test",
                "area_name": "峨眉山",
                "county": "511181",
                "count": 26000,
                "capacity": 20000,
            },
        )
    assert r.status_code == 200 and r.json()["suggestion"], r.text
    p = open_page("/wallboard", "holiday_hq")
    try:
        button = p.page.locator('button.sugg[data-do="accept"]').first
        button.wait_for(timeout=5000)
        assert "峨眉山" in p.page.locator('[data-panel="suggestions"]').inner_text()
        button.click()
        p.page.wait_for_function(
            "() => document.body.classList.contains('theme-holiday')", timeout=5000
        )
        with wall.client("duty") as c:
            decided = c.get("/api/v1/mode/suggestions", params={"status": "accepted"}).json()
        assert any(s["decided_by"] == "holiday_hq" for s in decided["suggestions"])
    finally:
        _back_to_normal(wall)
