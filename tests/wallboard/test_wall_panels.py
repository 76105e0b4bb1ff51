"""The wall's side panels follow the feed deltas, not only the snapshot: a gauge rising
after the wall opened shows its new level in the river-gauge panel, in Chromium."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from feeds.payload import SHANGHAI
from tests.wallboard.conftest import WallCenter
from tests.wallboard.test_wall_labels import post_hydrology

pytestmark = pytest.mark.browser


def _gauge(code: str, at: datetime, level: float) -> dict[str, Any]:
    return {
        "code": 0,
        "msg": "success",
        "data": [
            {
                "STCD": code,
                "STNM": "沙湾测试",
                "STTP": "ZQ",
                "RVNM": "大渡河",
                "TM": at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                "Z": level,
                "WRZ": 424.0,
                "GRZ": 426.0,
                "LGTD": 103.55,
                "LTTD": 29.41,
                "ADDVCD": "511111",
            }
        ],
    }


def test_gauge_panel_shows_the_new_level_of_a_rising_river(
    open_page: Any, wall: WallCenter
) -> None:
    code = f"6070{uuid.uuid4().int % 10**6:06d}"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    post_hydrology(wall, _gauge(code, t0, 424.10))
    p = open_page("/wallboard", "duty")
    panel = "() => window.DC_APP.panels.river_gauges()"
    p.page.wait_for_function(f"() => ({panel})().includes('424.1m')", timeout=5000)

    # Above the warning level after the wall opened: only a delta can tell the panel.
    post_hydrology(wall, _gauge(code, t0 + timedelta(minutes=5), 425.35))
    p.page.wait_for_function(f"() => ({panel})().includes('425.35m')", timeout=5000)
    html = p.page.evaluate(panel)
    assert "424.1m" not in html  # replaced, not listed twice
    assert "沙湾测试" in html

    # A late, older reading does not put the river back down.
    post_hydrology(wall, _gauge(code, t0 + timedelta(minutes=1), 424.20))
    p.page.wait_for_timeout(1500)
    html = p.page.evaluate(panel)
    assert "425.35m" in html and "424.2m" not in html
