"""A 4K wall in Debian's headless Chromium: the panels follow the viewport, and so must the
map's glyphs, or an order or a gauge on a 3840×2160 wall is half the size it is on a
1080p one and too small to read from across the room."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.wallboard.conftest import WallCenter
from tests.wallboard.test_wall_labels import _gauges, post_hydrology

pytestmark = pytest.mark.browser

SIZES = """key => {
  const probe = document.createElement("div");
  probe.className = "om";
  document.body.append(probe);
  const marker = probe.getBoundingClientRect().width;
  probe.remove();
  const icon = window.DC_APP.orders.icon({ id: "x", number: "x", urgency: "general",
    status: "received" }).options.iconSize[0];
  const gauge = window.DC_APP.feeds.items.get(key).shape.getRadius();
  const text = parseFloat(getComputedStyle(document.querySelector(".panel h2")).fontSize);
  const make = window.DC_MAP.cluster.options.iconCreateFunction;
  const cluster = make({ getChildCount: () => 12 }).options.iconSize.x;
  return { marker, icon, gauge, text, cluster };
}"""


def test_map_glyphs_scale_with_the_wall_like_its_text(open_page: Any, wall: WallCenter) -> None:
    code = f"6075{uuid.uuid4().int % 10**6:06d}"
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)  # see calm()
    post_hydrology(wall, _gauges([code], [376.0], at, 29.54))
    key = f"hydrology:gauges:{code}"
    sizes = []
    for width, height in ((1920, 1080), (3840, 2160)):
        p = open_page("/wallboard", "duty", width=width, height=height)
        p.page.wait_for_function("k => window.DC_APP.feeds.items.has(k)", arg=key, timeout=5000)
        sizes.append(p.page.evaluate(SIZES, key))
    hd, uhd = sizes
    assert hd["marker"] == pytest.approx(18, abs=1) and hd["icon"] == 22 and hd["gauge"] == 8
    assert hd["cluster"] == 40
    for what in ("text", "marker", "icon", "gauge", "cluster"):
        assert uhd[what] / hd[what] == pytest.approx(2.0, rel=0.05), (what, hd, uhd)
