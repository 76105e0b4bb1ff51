"""Crowded labels in Debian's headless Chromium: two river gauges a few hundred metres
apart have overlapping labels when zoomed out; the wall keeps the more severe one readable
and hides the other until the map is zoomed in far enough to separate them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from feeds.payload import SHANGHAI
from tests.wallboard.conftest import WallCenter

pytestmark = pytest.mark.browser

VISIBLE = """keys => keys.map(k => {
  const it = window.DC_APP.feeds.items.get(k);
  const el = it && it.shape.getTooltip() && it.shape.getTooltip().getElement();
  return el ? getComputedStyle(el).visibility : null;
})"""


def _gauges(
    codes: list[str], levels: list[float], at: datetime, lat: float = 29.720
) -> dict[str, Any]:
    """Hydrology readings of stations about 400 m apart along latitude ``lat`` (each test
    its own latitude: another test's markers would crowd its labels)."""
    tm = at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        {
            "STCD": code,
            "STNM": f"青衣江测试{i}",
            "STTP": "ZQ",
            "RVNM": "青衣江",
            "TM": tm,
            "Z": level,
            "WRZ": 380.0,
            "GRZ": 382.0,
            "LGTD": 103.620 + i * 0.004,  # about 400 m apart
            "LTTD": lat,
            "ADDVCD": "511102",
        }
        for i, (code, level) in enumerate(zip(codes, levels, strict=True))
    ]
    return {"code": 0, "msg": "success", "data": rows}


def post_hydrology(wall: WallCenter, doc: dict[str, Any]) -> None:
    """Push a hydrology poll answer (an admin's bearer token is accepted on intake)."""
    with wall.client("admin") as c:
        r = c.post("/api/v1/feeds/hydrology/events", json=doc)
    assert r.status_code == 202, r.text


def calm(wall: WallCenter, codes: list[str], at: datetime, lat: float) -> None:
    """Bring a test's gauges back under their warning level (a reading a second later).

    The river gauges panel lists the six most severe readings, then the newest: gauges
    left over their marks (or read recently) would crowd out the next test's. Tests that
    call this date their readings half an hour back for the same reason."""
    post_hydrology(wall, _gauges(codes, [370.0] * len(codes), at + timedelta(seconds=1), lat))


def gauges_on_wall(
    open_page: Any,
    wall: WallCenter,
    levels: list[float],
    *,
    minutes_ago: int,
    lat: float = 29.720,
    names: list[str] | None = None,
) -> tuple[Any, list[str], datetime]:
    """Open the wall, push a reading per level (new stations 400 m apart) and wait until
    the wall draws them all: the page, the station codes and the readings' time."""
    codes = [f"607{uuid.uuid4().int % 10**7:07d}" for _ in levels]
    p = open_page("/wallboard", "duty")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    doc = _gauges(codes, levels, at, lat)
    for row, name in zip(doc["data"], names or [], strict=False):
        row["STNM"] = name
    post_hydrology(wall, doc)
    keys = [f"hydrology:gauges:{c}" for c in codes]
    p.page.wait_for_function(
        "keys => keys.every(k => window.DC_APP.feeds.items.has(k))", arg=keys, timeout=5000
    )
    return p, codes, at


def test_overlapping_labels_keep_the_most_severe_until_zoomed_in(
    open_page: Any, wall: WallCenter
) -> None:
    # The first well under its warning level, the second above its guarantee level.
    p, codes, _ = gauges_on_wall(open_page, wall, [375.2, 382.6], minutes_ago=5)
    keys = [f"hydrology:gauges:{c}" for c in codes]
    severities = p.page.evaluate(
        "keys => keys.map(k => window.DC_APP.feeds.items.get(k).ev.severity)", keys
    )
    assert severities[0] != severities[1]

    # Zoomed out (city or district level): the labels overlap, the more severe one shows.
    p.page.evaluate("() => window.DC_MAP.map.setView([29.72, 103.622], 12, { animate: false })")
    p.page.evaluate("() => window.DC_APP.feeds.declutter()")
    assert p.page.evaluate(VISIBLE, keys) == ["hidden", "visible"]

    # Zoomed in on the river: both readable.
    p.page.evaluate("() => window.DC_MAP.map.setView([29.72, 103.626], 17, { animate: false })")
    p.page.evaluate("() => window.DC_APP.feeds.declutter()")
    assert p.page.evaluate(VISIBLE, keys) == ["visible", "visible"]

    # And back out: decluttered again by the zoom itself, without a call.
    p.page.evaluate("() => window.DC_MAP.map.setView([29.72, 103.622], 12)")
    p.page.wait_for_function(f"() => ({VISIBLE})({keys!r})[0] === 'hidden'", timeout=5000)


def test_a_gauge_reads_against_its_warning_and_guarantee_levels(
    open_page: Any, wall: WallCenter
) -> None:
    # Warning level 380 m, guarantee level 382 m (as in _gauges): the label and the river
    # gauges panel say how far over (or how close below) the marks each station is.
    names = [f"读数测试{i}" for i in range(4)]
    levels = [375.2, 379.7, 380.62, 382.6]
    p, codes, at = gauges_on_wall(open_page, wall, levels, minutes_ago=30, lat=29.660, names=names)
    keys = [f"hydrology:gauges:{c}" for c in codes]
    labels = p.page.evaluate(
        "keys => keys.map(k => window.DC_APP.feeds.items.get(k).shape.getTooltip().getContent())",
        keys,
    )
    assert labels == [
        "青衣江读数测试0站 375.2m",
        "青衣江读数测试1站 379.7m 距警戒 0.30m",
        "青衣江读数测试2站 380.62m 超警戒 0.62m",
        "青衣江读数测试3站 382.6m 超保证 0.60m",
    ]
    panel = p.page.evaluate("() => window.DC_APP.panels.river_gauges()")
    assert '<li class="sev-extreme">青衣江读数测试3站 382.6m 超保证 0.60m</li>' in panel
    assert '<li class="sev-severe">青衣江读数测试2站 380.62m 超警戒 0.62m</li>' in panel

    en = open_page("/wallboard", "duty", lang="en")
    en.page.wait_for_function("k => window.DC_APP.feeds.items.has(k)", arg=keys[2], timeout=5000)
    label = en.page.evaluate(
        "k => window.DC_APP.feeds.items.get(k).shape.getTooltip().getContent()", keys[2]
    )
    assert label.endswith("380.62m 0.62 m over warning level")
    calm(wall, codes, at, 29.660)
