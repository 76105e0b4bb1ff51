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


def _gauges(codes: list[str], levels: list[float], at: datetime) -> dict[str, Any]:
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
            "LTTD": 29.720,
            "ADDVCD": "511102",
        }
        for i, (code, level) in enumerate(zip(codes, levels, strict=True))
    ]
    return {"code": 0, "msg": "success", "data": rows}


def test_overlapping_labels_keep_the_most_severe_until_zoomed_in(
    open_page: Any, wall: WallCenter
) -> None:
    codes = [f"6072{uuid.uuid4().int % 10**6:06d}" for _ in range(2)]
    keys = [f"hydrology:gauges:{c}" for c in codes]
    p = open_page("/wallboard", "duty")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    # The first well under its warning level, the second above its guarantee level.
    with wall.client("admin") as c:
        r = c.post("/api/v1/feeds/hydrology/events", json=_gauges(codes, [375.2, 382.6], at))
    assert r.status_code == 202, r.text
    p.page.wait_for_function(
        "keys => keys.every(k => window.DC_APP.feeds.items.has(k))", arg=keys, timeout=5000
    )
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
