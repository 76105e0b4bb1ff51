"""Every read is scoped by role and unit (issue 15, finding 5): a township handler reads its
own orders, a county handler its own and its townships' and departments', the center's roles
the whole city; another county's supervision session is "not found" to a handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

COUNTY = "511102"  # 市中区
OTHER_COUNTY = "511111"  # 沙湾区
# A point in 沙湾区 (its county seat).
SHAWAN = {"lon": 103.5496, "lat": 29.4122}


def _dispatched(live: LiveCenter, unit: str, **overrides: Any) -> dict[str, Any]:
    """A new order dispatched to ``unit`` by the dispatcher."""
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order(**overrides))
        assert r.status_code == 201, r.text
        order = r.json()
        r = c.post(f"/api/v1/orders/{order['id']}/actions/dispatch", json={"unit_code": unit})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
    return body


def _townships(live: LiveCenter, county: str) -> list[str]:
    units = live.center.reference.units
    return sorted(
        c for c, u in units.items() if u["kind"] == "township" and u["parent_code"] == county
    )


@pytest.fixture(scope="module")
def tree(live: LiveCenter, make_user: Callable[..., str]) -> dict[str, Any]:
    """Orders at each tier of 市中区 and one in 沙湾区, and a handler of one township."""
    town, sibling = _townships(live, COUNTY)[:2]
    return {
        "town": town,
        "town_handler": make_user("handler", unit_code=town, prefix="town"),
        "in_town": _dispatched(live, town),
        "in_sibling": _dispatched(live, sibling),
        "in_county": _dispatched(live, COUNTY),
        "in_department": _dispatched(live, f"{COUNTY}-ZJJ"),
        "elsewhere": _dispatched(live, OTHER_COUNTY, location=SHAWAN, address="沙湾区"),
    }


def _ids(client: httpx.Client, path: str, key: str, **params: Any) -> set[str]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    items = body[key] if key in body else body["value"]
    return {str(o["id"]) for o in items}


def _within(live: LiveCenter, unit: str, assigned: str | None) -> bool:
    return unit in live.center.reference.unit_chain(assigned)


def test_county_handler_reads_its_county_and_its_townships(
    live: LiveCenter, tree: dict[str, Any]
) -> None:
    mine = {tree[k]["id"] for k in ("in_town", "in_sibling", "in_county", "in_department")}
    with live.client(f"h_{COUNTY}") as c:
        listed = c.get("/api/v1/orders", params={"limit": 500}).json()["orders"]
        assert mine <= {o["id"] for o in listed}
        assert tree["elsewhere"]["id"] not in {o["id"] for o in listed}
        assert all(_within(live, COUNTY, o["assigned_unit"]["code"]) for o in listed)
        wall = c.get("/api/v1/wallboard/sections/orders").json()["value"]
        assert mine <= {o["id"] for o in wall}
        assert {o["county"] for o in wall} <= {COUNTY, None}, "the wall lists other counties'"
        assert all(_within(live, COUNTY, o["assigned_unit"]) for o in wall)
        assert c.get(f"/api/v1/orders/{tree['in_town']['id']}").status_code == 200
        assert c.get(f"/api/v1/orders/{tree['elsewhere']['id']}").status_code == 404


def test_township_handler_reads_only_its_township(live: LiveCenter, tree: dict[str, Any]) -> None:
    with live.client(tree["town_handler"]) as c:
        for path, key in (("/api/v1/orders", "orders"), ("/api/v1/wallboard/sections/orders", "")):
            got = _ids(c, path, key or "value")
            assert tree["in_town"]["id"] in got
            others = ("in_sibling", "in_county", "in_department", "elsewhere")
            assert not got & {tree[k]["id"] for k in others}, path
        for k in ("in_sibling", "in_county", "elsewhere"):
            assert c.get(f"/api/v1/orders/{tree[k]['id']}").status_code == 404


def test_a_scoped_list_pages_within_the_scope(live: LiveCenter, tree: dict[str, Any]) -> None:
    """Filtered in the query: a page of one is the handler's newest, not an empty page."""
    with live.client(tree["town_handler"]) as c:
        page = c.get("/api/v1/orders", params={"limit": 1}).json()
    assert [o["id"] for o in page["orders"]] == [tree["in_town"]["id"]]


def test_an_order_is_found_by_its_number_within_the_scope(
    live: LiveCenter, tree: dict[str, Any]
) -> None:
    """``?number=`` finds the order people read out (LS2026…), as the HQ console types it;
    another unit's order, or a number that does not exist, is an empty list.
    """
    mine, theirs = tree["in_town"], tree["elsewhere"]
    with live.client(tree["town_handler"]) as c:
        got = c.get("/api/v1/orders", params={"number": mine["number"]}).json()["orders"]
        assert [o["id"] for o in got] == [mine["id"]]
        assert c.get("/api/v1/orders", params={"number": theirs["number"]}).json()["orders"] == []
    with live.client("flood_hq") as c:
        got = c.get("/api/v1/orders", params={"number": theirs["number"]}).json()["orders"]
        assert [o["number"] for o in got] == [theirs["number"]]
        assert c.get("/api/v1/orders", params={"number": "LS20990101999999"}).json() == {
            "orders": [],
            "next_before_id": None,
        }
        r = c.get("/api/v1/orders", params={"number": "x" * 40})
        assert r.status_code == 422 and "number" in r.text


def test_center_roles_read_the_whole_city(live: LiveCenter, tree: dict[str, Any]) -> None:
    for user in ("duty", "dispatcher", "leader", "auditor", "flood_hq"):
        with live.client(user) as c:
            got = _ids(c, "/api/v1/wallboard/sections/orders", "value")
        assert {tree["in_town"]["id"], tree["elsewhere"]["id"]} <= got, user


def test_kpi_of_a_handler_counts_its_own_orders(live: LiveCenter, tree: dict[str, Any]) -> None:
    with live.client("duty") as c:
        city = c.get("/api/v1/wallboard/sections/kpi").json()["value"]
    with live.client(tree["town_handler"]) as c:
        town = c.get("/api/v1/wallboard/sections/kpi").json()["value"]
    assert town["open_total"] >= 1
    assert city["open_total"] > town["open_total"]


def _session(live: LiveCenter, order_id: str) -> str:
    with live.client("duty") as c:
        r = c.post(
            "/api/v1/supervision/sessions",
            json={
                "topic": "沙湾区积水督办",
                "order_ids": [order_id],
                "room_url": "https://vc.example.gov.cn/r/1",
            },
        )
        assert r.status_code == 201, r.text
        sid = str(r.json()["id"])
        assert c.post(f"/api/v1/supervision/sessions/{sid}/close").status_code == 200
    return sid


def test_another_countys_session_is_not_found_to_a_handler(
    live: LiveCenter, tree: dict[str, Any]
) -> None:
    sid = _session(live, tree["elsewhere"]["id"])
    with live.client(f"h_{COUNTY}") as c:
        for path in (
            f"/api/v1/supervision/sessions/{sid}",
            f"/api/v1/supervision/sessions/{sid}/minutes",
            f"/api/v1/supervision/sessions/{sid}/minutes?format=json",
        ):
            r = c.get(path)
            assert r.status_code == 404, (path, r.status_code)
        assert c.post(f"/api/v1/supervision/sessions/{sid}/join").status_code == 404
        listed = c.get("/api/v1/supervision/sessions").json()["sessions"]
        assert sid not in {s["id"] for s in listed}
        assert c.get(f"/api/v1/supervision/sessions/{10**9}").status_code == 404
    with live.client(f"h_{OTHER_COUNTY}") as c:
        assert c.get(f"/api/v1/supervision/sessions/{sid}").status_code == 200
        listed = c.get("/api/v1/supervision/sessions").json()["sessions"]
        assert sid in {s["id"] for s in listed}
    with live.client("leader") as c:
        assert c.get(f"/api/v1/supervision/sessions/{sid}/minutes?format=json").status_code == 200


def test_a_handlers_console_lists_its_subtree_in_the_query(
    live: LiveCenter, tree: dict[str, Any]
) -> None:
    with live.client(f"h_{COUNTY}") as c:
        my = c.get("/api/v1/supervision/my").json()
    ids = {o["id"] for o in my["orders"]}
    assert {tree["in_town"]["id"], tree["in_department"]["id"]} <= ids
    assert tree["elsewhere"]["id"] not in ids
