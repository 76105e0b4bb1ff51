"""Field units on the wall in Debian's headless Chromium: a rescue team's position report from
应急管理 shows as one unit marker, and its next report moves that marker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.feeds.conftest import fixture_bytes, unit_report
from tests.wallboard.conftest import WallCenter, shot

pytestmark = pytest.mark.browser

MARKER = "code => document.querySelectorAll(`.um[data-unit='${code}']`).length"
WHERE = """code => {
  const it = window.DC_APP.feeds.items.get(`emergency_mgmt:units:${code}`);
  if (!it) return null;
  const ll = it.shape.getLatLng();
  return [ll.lng, ll.lat];
}"""


def _post(wall: WallCenter, system: str, doc: dict[str, Any]) -> None:
    # An admin's bearer token is accepted on the feed intake routes.
    with wall.client("admin") as c:
        r = c.post(f"/api/v1/feeds/{system}/events", json=doc)
    assert r.status_code == 202, r.text


def test_unit_marker_appears_and_moves_with_its_next_position(
    open_page: Any, wall: WallCenter
) -> None:
    code = f"SW-FX-{uuid.uuid4().hex[:6]}"
    p = open_page("/wallboard", "duty")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=4)

    _post(wall, "emergency_mgmt", unit_report(code, t0, 103.5490, 29.4140, "出动"))
    p.page.wait_for_function(f"() => ({MARKER})('{code}') === 1", timeout=5000)
    label = p.page.locator(f".um[data-unit='{code}'] .um-label").text_content() or ""
    assert "沙湾区防汛抢险队一组" in label and "出动" in label
    assert p.page.evaluate(WHERE, code) == [103.5490, 29.4140]

    _post(
        wall,
        "emergency_mgmt",
        unit_report(code, t0 + timedelta(minutes=2), 103.5120, 29.3900, "到场"),
    )
    p.page.wait_for_function(
        f"() => JSON.stringify(({WHERE})('{code}')) === '[103.512,29.39]'", timeout=5000
    )
    # Moved, not added: still one marker for the team, now showing its new state.
    assert p.page.evaluate(MARKER, code) == 1
    assert p.page.locator(f".um[data-unit='{code}']").get_attribute("data-status") == "on_scene"
    assert "到场" in (p.page.locator(f".um[data-unit='{code}'] .um-label").text_content() or "")

    p.page.evaluate("([lon, lat]) => window.DC_MAP.map.setView([lat, lon], 12)", [103.53, 29.40])
    p.page.wait_for_timeout(400)
    shot(p.page, "wallboard-units.png")

    # A fresh wall (snapshot, not deltas) shows the team once, at its newest place.
    q = open_page("/wallboard", "duty")
    q.page.wait_for_function(f"() => ({MARKER})('{code}') === 1", timeout=5000)
    assert q.page.evaluate(WHERE, code) == [103.5120, 29.3900]


def test_events_without_a_thing_of_their_own_still_get_a_marker_each(
    open_page: Any, wall: WallCenter
) -> None:
    # Incidents key by their source id: two reports are two markers (units key by the unit).
    p = open_page("/wallboard", "duty")
    ids = [f"YJ-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for i, sid in enumerate(ids):
        doc = json.loads(fixture_bytes("emergency_mgmt", "fire.json"))
        doc.update(sjid=sid, jd=103.82 + i * 0.01)
        _post(wall, "emergency_mgmt", doc)
    keys = [f"emergency_mgmt:incidents:{sid}" for sid in ids]
    p.page.wait_for_function(
        "keys => keys.every(k => window.DC_APP.feeds.items.has(k))", arg=keys, timeout=5000
    )
    layers = p.page.evaluate("keys => keys.map(k => window.DC_APP.feeds.items.get(k).layer)", keys)
    assert layers == ["incidents", "incidents"]


def test_a_team_that_stopped_reporting_shows_as_out_of_contact(
    open_page: Any, wall: WallCenter
) -> None:
    # Last heard from 25 minutes ago: its place is still shown, greyed, with how long it
    # has been silent; its next report brings it back to its state colour.
    code = f"JKH-FX-{uuid.uuid4().hex[:6]}"
    name = "金口河区应急救援队"
    p = open_page("/wallboard", "duty")
    now = datetime.now(UTC).replace(microsecond=0)
    _post(
        wall,
        "emergency_mgmt",
        unit_report(code, now - timedelta(minutes=25), 103.08, 29.25, "出动", name),
    )
    p.page.wait_for_function(f"() => ({MARKER})('{code}') === 1", timeout=5000)
    marker = p.page.locator(f".um[data-unit='{code}']")
    assert marker.get_attribute("data-stale") == "1"
    label = marker.locator(".um-label").text_content() or ""
    assert name in label and "失联 25 分钟" in label
    # The emergency layout's team list says the same, the silent team after the live ones.
    panel = "() => window.DC_APP.panels.rescue_units()"
    p.page.wait_for_function(f"() => ({panel})().includes('{code}')", timeout=5000)
    html = p.page.evaluate(panel)
    assert "失联 25 分钟" in html and "失联 1" in html  # the count in the heading

    _post(wall, "emergency_mgmt", unit_report(code, now, 103.09, 29.26, "到场", name))
    p.page.wait_for_function(
        f"() => document.querySelector(`.um[data-unit='{code}']`).dataset.stale === '0'",
        timeout=5000,
    )
    assert "到场" in (marker.locator(".um-label").text_content() or "")

    # Silence is noticed without any delta: the wall re-checks its units on a timer.
    p.page.evaluate("() => window.DC_APP.feeds.refreshUnits(Date.now() + 11 * 60 * 1000)")
    assert marker.get_attribute("data-stale") == "1"
    assert "失联 11 分钟" in (marker.locator(".um-label").text_content() or "")
