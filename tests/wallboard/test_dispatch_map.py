"""The dispatcher console's map is the wall's live map, in Debian's headless Chromium: the
feed layers (gauges, warnings, teams) are drawn and kept live, and the ticker opens with
what is already urgent rather than with "nothing urgent"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.wallboard.conftest import WallCenter
from tests.wallboard.test_wall_labels import _gauges, calm, post_hydrology

pytestmark = pytest.mark.browser

LABEL = "k => window.DC_APP.feeds.items.get(k).shape.getTooltip().getContent()"


AT = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)  # see calm()


def _post_gauge(wall: WallCenter, code: str, level: float, name: str | None = None) -> None:
    doc = _gauges([code], [level], AT, lat=29.600)
    if name:
        doc["data"][0]["STNM"] = name
    post_hydrology(wall, doc)


def test_the_console_draws_the_feed_layers_from_its_snapshot_and_deltas(
    open_page: Any, wall: WallCenter
) -> None:
    before, after = (f"6074{uuid.uuid4().int % 10**6:06d}" for _ in range(2))
    _post_gauge(wall, before, 380.4)  # known before the console opens: in its snapshot
    p = open_page("/dispatch", "dispatcher")
    key = f"hydrology:gauges:{before}"
    p.page.wait_for_function("k => window.DC_APP.feeds.items.has(k)", arg=key, timeout=5000)
    assert p.page.evaluate(LABEL, key).endswith("380.4m 超警戒 0.40m")

    _post_gauge(wall, after, 379.2)  # while it is open: a delta
    key = f"hydrology:gauges:{after}"
    p.page.wait_for_function("k => window.DC_APP.feeds.items.has(k)", arg=key, timeout=5000)
    assert p.page.evaluate(LABEL, key).endswith("379.2m")
    calm(wall, [before, after], AT, 29.600)


def test_the_console_ticker_opens_with_the_urgent_orders_already_open(
    open_page: Any, wall: WallCenter
) -> None:
    order = wall.post_order(urgency="urgent", description="苏稽镇峨眉河堤坝渗水，请速派人")
    p = open_page("/dispatch", "dispatcher")
    ticker = p.page.locator("#ticker").inner_text()
    assert order["number"] in ticker and "堤坝渗水" in ticker


@pytest.mark.parametrize(("path", "user"), [("/wallboard", "duty"), ("/dispatch", "dispatcher")])
def test_a_severe_reading_reaches_the_ticker_under_its_systems_name(
    open_page: Any, wall: WallCenter, path: str, user: str
) -> None:
    p = open_page(path, user)
    code = f"6076{uuid.uuid4().int % 10**6:06d}"
    name = f"苏稽{code[-4:]}"
    _post_gauge(wall, code, 380.9, name)  # over the warning level: severe
    p.page.wait_for_function(
        "n => document.querySelector('#ticker').innerText.includes(n)", arg=name, timeout=5000
    )
    lines = [s for s in p.page.locator("#ticker span").all_inner_texts() if name in s]
    assert lines and all("防汛水雨情" in s and "hydrology" not in s for s in lines), lines
    calm(wall, [code], AT, 29.600)


def test_a_river_back_under_its_mark_leaves_the_wall_and_says_so(
    open_page: Any, wall: WallCenter
) -> None:
    p = open_page("/wallboard", "duty")
    code = f"6077{uuid.uuid4().int % 10**6:06d}"
    name = f"临江{code[-4:]}"
    key = f"hydrology:warnings:{code}"
    has = "k => window.DC_APP.feeds.items.has(k)"
    panel = "() => window.DC_APP.panels.cap_warnings()"
    _post_gauge(wall, code, 380.7, name)  # over: a flood alert on the map and in the panel
    p.page.wait_for_function(has, arg=key, timeout=5000)
    assert name in p.page.evaluate(panel)

    doc = _gauges([code], [379.1], AT + timedelta(minutes=10), lat=29.600)
    doc["data"][0]["STNM"] = name
    post_hydrology(wall, doc)
    p.page.wait_for_function(f"k => !({has})(k)", arg=key, timeout=5000)
    assert name not in p.page.evaluate(panel)
    ticker = p.page.locator("#ticker").inner_text()
    assert f"{name}站水位回落至警戒水位以下" in ticker
