"""The dispatcher console's moves beside 派单, in Chromium against the live server: a
returned order (退单待审) shows its reason and is reassigned (改派) or handed back (维持退单),
a 延期 request is approved, a duplicate is merged; and the card's facts through the API
(distances to each unit's own area, the similar orders, lifts to market supervision).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.wallboard.conftest import WallCenter, shot

pytestmark = pytest.mark.browser


def _act(wall: WallCenter, who: str, order_id: str, action: str, **body: Any) -> dict[str, Any]:
    with wall.client(who) as c:
        r = c.post(f"/api/v1/orders/{order_id}/actions/{action}", json=body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _returned_order(wall: WallCenter, reason: str) -> dict[str, Any]:
    """An order dispatched to its lead, which hands it back (退单) with ``reason``."""
    order = wall.post_order(description="某小区门口垃圾桶满溢无人清运")
    # To the county itself: only the unit holding an order acts on it (issue 18), and the
    # county's handler is the account the test center has.
    county = order["routing"]["lead"]["code"][:6]
    handler = f"h_{county}"
    _act(wall, "dispatcher", order["id"], "dispatch", unit_code=county)
    return _act(wall, handler, order["id"], "request_return", note=reason)


def _open(p: Any, order_id: str, selector: str) -> None:
    p.page.evaluate("id => window.DC_APP.openCard(id)", order_id)
    p.page.wait_for_selector(selector, timeout=5000)


def test_a_returned_order_shows_its_reason_and_is_reassigned(
    open_page: Any, wall: WallCenter
) -> None:
    order = _returned_order(wall, "该点位属于相邻街道管辖，非本单位职责")
    returned_by = order["assigned_unit"]["code"]
    p = open_page("/dispatch", "dispatcher")
    _open(p, order["id"], '[data-pending="return"]')
    text = p.page.locator('[data-pending="return"]').inner_text()
    assert "非本单位职责" in text and "退单" in text
    # No button sends it back to the unit that returned it; each reads 改派.
    units = p.page.locator("#card-body button.assign").evaluate_all(
        "bs => bs.map(b => [b.dataset.unit, b.textContent])"
    )
    assert units and all(u != returned_by and label == "改派" for u, label in units)
    p.page.wait_for_timeout(200)
    shot(p.page, "dispatch-returned-order.png")
    target = units[0][0]
    p.page.locator(f'#card-body button.assign[data-unit="{target}"]').click()
    p.page.wait_for_selector('[data-outcome="assigned"]', timeout=5000)
    assert p.page.locator('[data-outcome="taken"]').count() == 0
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/orders/{order['id']}").json()
    assert got["status"] == "dispatched" and got["assigned_unit"]["code"] == target
    assert got["timeline"][-1]["action"] == "redispatch"
    assert got["timeline"][-1]["actor"] == "dispatcher"


def test_a_return_is_upheld_with_a_reason(open_page: Any, wall: WallCenter) -> None:
    order = _returned_order(wall, "人手不足")
    p = open_page("/dispatch", "dispatcher")
    _open(p, order["id"], 'button[data-action="uphold_return"]')
    p.page.locator('button[data-action="uphold_return"]').click()  # no reason: nothing sent
    p.page.wait_for_timeout(300)
    assert p.page.locator("[data-outcome]").count() == 0
    p.page.fill("#uphold-note", "属本单位职责范围，请继续办理")
    p.page.locator('button[data-action="uphold_return"]').click()
    p.page.wait_for_selector('[data-outcome="done"]', timeout=5000)
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/orders/{order['id']}").json()
    assert got["status"] == "dispatched"
    assert got["assigned_unit"]["code"] == order["assigned_unit"]["code"]
    last = got["timeline"][-1]
    assert last["action"] == "uphold_return" and last["note"] == "属本单位职责范围，请继续办理"


def test_an_extension_request_is_approved_from_the_console(
    open_page: Any, wall: WallCenter
) -> None:
    order = wall.post_order(description="老旧小区雨污管网改造进度咨询")
    # To the county itself: only the unit holding an order acts on it (issue 18), and the
    # county's handler is the account the test center has.
    county = order["routing"]["lead"]["code"][:6]
    handler = f"h_{county}"
    _act(wall, "dispatcher", order["id"], "dispatch", unit_code=county)
    _act(wall, handler, order["id"], "accept")
    before = _act(
        wall,
        handler,
        order["id"],
        "request_extension",
        extension={"value": 3, "unit": "working_days"},
        note="需协调施工单位，现场复核",
    )
    p = open_page("/dispatch", "dispatcher")
    # The request waits in the queue, tagged.
    p.page.wait_for_function(
        "id => window.DC_APP.state.queue.includes(id)", arg=order["id"], timeout=5000
    )
    _open(p, order["id"], '[data-pending="extension"]')
    text = p.page.locator('[data-pending="extension"]').inner_text()
    assert "3个工作日" in text and "现场复核" in text
    shot(p.page, "dispatch-extension-request.png")
    p.page.locator('button[data-action="approve_extension"]').click()
    p.page.wait_for_selector('[data-outcome="done"]', timeout=5000)
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/orders/{order['id']}").json()
    assert got["extension_pending"] is False
    assert got["deadlines"]["reply_by"] > before["deadlines"]["reply_by"]
    assert got["timeline"][-1]["action"] == "approve_extension"
    p.page.wait_for_function(
        "id => !window.DC_APP.state.queue.includes(id)", arg=order["id"], timeout=5000
    )


def test_a_duplicate_is_merged_from_the_similar_list(open_page: Any, wall: WallCenter) -> None:
    first = wall.post_order(
        description="张公桥好吃街烧烤油烟直排，楼上无法开窗",
        location={"lon": 103.7601, "lat": 29.5702},
        category={"type": "complaint", "code": "environment.air"},
    )
    again = wall.post_order(
        description="张公桥好吃街烧烤店油烟直排扰民",
        location={"lon": 103.7605, "lat": 29.5706},
        category={"type": "complaint", "code": "environment.air"},
    )
    p = open_page("/dispatch", "dispatcher")
    _open(p, again["id"], f'tr[data-similar="{first["id"]}"]')
    p.page.locator(f'button[data-action="merge"][data-target="{first["id"]}"]').click()
    p.page.wait_for_selector('[data-outcome="done"]', timeout=5000)
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/orders/{again['id']}").json()
    assert got["status"] == "merged" and got["merged_into"] == first["id"]


def test_distances_are_to_each_units_own_area(wall: WallCenter) -> None:
    order = wall.post_order(description="嘉州长卷附近垃圾堆积")
    with wall.client("dispatcher") as c:
        got = c.get(f"/api/v1/dispatch/orders/{order['id']}/candidates").json()
    alts = got["alternatives"]
    # The county's departments answer for the whole county: the place is inside (0 km),
    # not "the county's centre" for all of them.
    departments = [a for a in alts if a["kind"] == "department"]
    assert departments and all(a["distance_km"] == 0 for a in departments)
    townships = [a["distance_km"] for a in alts if a["kind"] == "township"]
    assert townships and min(townships) == 0 and len(set(townships)) > 1
    assert got["suggested"]["distance_km"] == 0


def test_a_trapped_lift_goes_to_market_supervision_with_119(wall: WallCenter) -> None:
    order = wall.post_order(
        description="电梯困人，两名老人被困在3楼和4楼之间",
        category={"type": "help", "code": "housing.lift"},
        urgency="urgent",
        location={"lon": 103.7502, "lat": 29.5801},
    )
    routing = order["routing"]
    assert routing["lead"]["name"] == "市中区市场监督管理局"
    assert any("119" in u["name"] for u in routing["co"])
