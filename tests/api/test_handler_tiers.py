"""一级抓一级 over HTTP (issue 18): an order passed county → township → village and the
answer climbing back up, the contract of ``assign_down``, and a unit's list holding what
its children hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

COUNTY = "511102"
TOWNSHIP = "511102S01"
VILLAGE = "511102S01V01"


def _dispatched(live: LiveCenter, unit: str = COUNTY, **order: Any) -> dict[str, Any]:
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order(**order))
        assert r.status_code == 201, r.text
        r = c.post(f"/api/v1/orders/{r.json()['id']}/actions/dispatch", json={"unit_code": unit})
        assert r.status_code == 200, r.text
        return dict(r.json())


def _act(c: httpx.Client, order: dict[str, Any], action: str, **body: Any) -> httpx.Response:
    return c.post(
        f"/api/v1/orders/{order['id']}/actions/{action}",
        json={"version": order["version"], **body},
    )


@pytest.fixture(scope="module")
def people(make_user: Callable[..., str], live: LiveCenter) -> dict[str, httpx.Client]:
    clients = {
        "county": live.client("h_511102"),
        "township": live.client(make_user("handler", TOWNSHIP, prefix="town")),
        "village": live.client(make_user("handler", VILLAGE, prefix="vil")),
        "other_township": live.client(make_user("handler", "511102S02", prefix="town2")),
        "dispatcher": live.client("dispatcher"),
    }
    yield clients  # type: ignore[misc]
    for c in clients.values():
        c.close()


def test_children_of_a_county_and_of_a_village(people: dict[str, httpx.Client]) -> None:
    c = people["county"]
    r = c.get(f"/api/v1/units/{COUNTY}/children")
    assert r.status_code == 200, r.text
    codes = [u["code"] for u in r.json()["units"]]
    assert TOWNSHIP in codes and f"{COUNTY}-ZJJ" in codes and VILLAGE not in codes
    assert all(u["parent_code"] == COUNTY for u in r.json()["units"])
    r = c.get(f"/api/v1/units/{VILLAGE}/children")
    assert r.status_code == 200 and r.json()["units"] == []
    assert c.get("/api/v1/units/nowhere/children").status_code == 404


def test_county_township_village_and_the_answer_climbing_back(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    order = _dispatched(live)
    county, town, village = people["county"], people["township"], people["village"]
    # The village cannot see the order yet; the county signs and passes it down.
    assert village.get(f"/api/v1/orders/{order['id']}").status_code == 404
    r = _act(county, order, "accept")
    assert r.status_code == 200, r.text
    order = r.json()
    assert "assign_down" in order["allowed_actions"]
    due = (datetime.fromisoformat(order["deadlines"]["reply_by"]) - timedelta(hours=2)).isoformat()
    r = _act(county, order, "assign_down", unit_code=TOWNSHIP, note="请街道核实处理", due=due)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["status"] == "dispatched" and order["assigned_unit"]["code"] == TOWNSHIP
    assert order["lead_unit"]["code"] == COUNTY
    assert order["delegation"][0]["note"] == "请街道核实处理"
    assert datetime.fromisoformat(order["delegation"][0]["due"]) == datetime.fromisoformat(due)
    # The county still reads it (it answers for it) but no longer acts on it.
    seen = county.get(f"/api/v1/orders/{order['id']}").json()
    assert seen["allowed_actions"] == [] and seen["assigned_unit"]["code"] == TOWNSHIP
    assert _act(county, order, "accept").status_code == 404
    # The township signs and passes it on to a village.
    order = _act(town, order, "accept").json()
    r = _act(town, order, "assign_down", unit_code=VILLAGE, note="请网格员上门")
    assert r.status_code == 200, r.text
    order = r.json()
    assert [s["child"]["code"] for s in order["delegation"]] == [TOWNSHIP, VILLAGE]
    # The village signs, works, and reports up; it may not answer the citizen itself.
    order = _act(village, order, "accept").json()
    assert "reply" not in order["allowed_actions"]
    assert set(order["allowed_actions"]) >= {"report_up", "hand_back"}
    r = _act(village, order, "reply", note="已处理")
    assert r.status_code == 409
    r = _act(village, order, "report_up", note="已上门清理完毕", outcome="solved")
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["assigned_unit"]["code"] == TOWNSHIP and order["status"] == "in_progress"
    # The township reports up to the county, which answers for the whole (办结).
    order = _act(town, order, "report_up", note="村里已处理，街道复核属实").json()
    assert order["assigned_unit"]["code"] == COUNTY and order["delegation"] == []
    r = _act(county, order, "reply", note="经街道、社区处理，垃圾已清运")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "replied"
    # The center sees every step on the timeline, with who and where it went.
    tl = people["dispatcher"].get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    steps = [(t["action"], t["actor"], (t["data"] or {}).get("unit")) for t in tl]
    assert [s[0] for s in steps] == [
        "receive",
        "dispatch",
        "accept",
        "assign_down",
        "accept",
        "assign_down",
        "accept",
        "report_up",
        "report_up",
        "reply",
    ]
    assert steps[3][2] == TOWNSHIP and steps[5][2] == VILLAGE and steps[7][2] == TOWNSHIP
    assert steps[8][2] == COUNTY and steps[9][1] == "h_511102"
    assert tl[7]["data"]["outcome"] == "solved"


def test_hand_back_with_a_reason(live: LiveCenter, people: dict[str, httpx.Client]) -> None:
    order = _dispatched(live)
    county, town = people["county"], people["township"]
    order = _act(county, order, "accept").json()
    order = _act(county, order, "assign_down", unit_code=TOWNSHIP, note="请处理").json()
    r = _act(town, order, "hand_back", note="地点在隔壁街道", reason_code="bored")
    assert r.status_code == 422 and "reason_code" in r.json()["error"]["fields"]
    r = _act(town, order, "hand_back", note="地点在隔壁街道", reason_code="wrong_area")
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["assigned_unit"]["code"] == COUNTY and order["status"] == "in_progress"
    assert order["allowed_actions"] == []  # the township's view: no longer its to act on
    assert town.get(f"/api/v1/orders/{order['id']}").status_code == 404
    order = county.get(f"/api/v1/orders/{order['id']}").json()
    assert "reply" in order["allowed_actions"] and "assign_down" in order["allowed_actions"]
    # The county may pass it to another township, and a return to the center is its own.
    r = _act(county, order, "assign_down", unit_code="511102S02", note="改由二街道处理")
    assert r.status_code == 200, r.text


def test_assign_down_contract(live: LiveCenter, people: dict[str, httpx.Client]) -> None:
    order = _dispatched(live)
    county = people["county"]
    order = _act(county, order, "accept").json()
    # A unit that is not a child of the holder: 422 naming unit_code.
    for bad in (VILLAGE, "511111", COUNTY, "nowhere"):
        r = _act(county, order, "assign_down", unit_code=bad, note="x")
        assert r.status_code == 422, (bad, r.text)
        assert "unit_code" in r.json()["error"]["fields"]
    r = _act(county, order, "assign_down", note="x")
    assert r.status_code == 422 and "unit_code" in r.json()["error"]["fields"]
    # An internal deadline past the order's: 422 naming due.
    late = (datetime.fromisoformat(order["deadlines"]["reply_by"]) + timedelta(days=1)).isoformat()
    r = _act(county, order, "assign_down", unit_code=TOWNSHIP, due=late)
    assert r.status_code == 422 and "due" in r.json()["error"]["fields"]
    # Handlers not holding the order: 404 (below, beside, or another county).
    for who in ("township", "other_township"):
        r = _act(people[who], order, "assign_down", unit_code=VILLAGE, note="x")
        assert r.status_code == 404, (who, r.text)
    with live.client("h_511111") as other:
        assert _act(other, order, "assign_down", unit_code=TOWNSHIP).status_code == 404
    # The dispatcher may not pass down (403); a stale version is 409.
    assert _act(people["dispatcher"], order, "assign_down", unit_code=TOWNSHIP).status_code == 403
    r = _act(county, order, "assign_down", unit_code=TOWNSHIP, note="请处理")
    assert r.status_code == 200, r.text
    r = _act(county, order, "assign_down", unit_code=TOWNSHIP, note="请处理")
    assert r.status_code == 404  # no longer the county's to act on


def test_a_unit_list_holds_what_its_children_hold(
    live: LiveCenter, people: dict[str, httpx.Client]
) -> None:
    dept = _dispatched(live, f"{COUNTY}-ZJJ")
    town = _dispatched(live, TOWNSHIP)
    ids = {o["id"] for o in people["county"].get("/api/v1/orders?limit=500").json()["orders"]}
    assert {dept["id"], town["id"]} <= ids
    ids = {o["id"] for o in people["township"].get("/api/v1/orders?limit=500").json()["orders"]}
    assert town["id"] in ids and dept["id"] not in ids
