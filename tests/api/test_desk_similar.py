"""``GET /api/v1/orders/similar`` (the desk's live duplicates) and
``GET /api/v1/orders/suggest-category``."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.conftest import new_order

# A corner of 井研县 the demo story leaves alone, moved per test run by a random offset.
BASE = (104.0300 + uuid.uuid4().int % 1000 * 1e-5, 29.6800)


def _north(metres: float) -> tuple[float, float]:
    return BASE[0], BASE[1] + metres / 111_195


def _east(metres: float) -> tuple[float, float]:
    return BASE[0] + metres / (111_195 * math.cos(math.radians(BASE[1]))), BASE[1]


def _create(c: httpx.Client, where: tuple[float, float], code: str, text: str) -> dict[str, Any]:
    body = new_order(
        category={"type": "complaint", "code": code},
        description=text,
        location={"lon": where[0], "lat": where[1]},
    )
    r = c.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def test_similar_orders_near_same_category_or_words(
    as_user: Callable[[str], httpx.Client],
) -> None:
    c = as_user("agent01")
    tag = uuid.uuid4().hex[:4]
    lift = _create(c, _north(100), "housing.lift", f"研城小区{tag}号楼电梯困人")
    words = _create(c, _east(60), "housing.property", f"研城小区{tag}号楼电梯坏了物业不修")
    other = _create(c, _east(30), "environment.noise", "广场舞音响太吵")
    far = _create(c, _north(400), "housing.lift", f"研城小区{tag}号楼电梯困人")

    r = c.get(
        "/api/v1/orders/similar",
        params={"lon": BASE[0], "lat": BASE[1], "category": "housing.lift", "text": "电梯又坏了"},
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = [i["id"] for i in items]
    assert str(lift["id"]) in ids and str(words["id"]) in ids
    assert str(other["id"]) not in ids and str(far["id"]) not in ids
    first = items[ids.index(str(lift["id"]))]
    assert set(first) >= {"id", "number", "distance_m", "score", "status"}
    assert abs(first["distance_m"] - 100) < 2 and first["number"] == lift["number"]
    assert first["status"] == "received" and 0 < first["score"] <= 1
    # the same category scores above words alone
    assert ids.index(str(lift["id"])) < ids.index(str(words["id"]))
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_a_merged_call_counts_on_its_order_and_leaves_the_list(
    as_user: Callable[[str], httpx.Client],
) -> None:
    c = as_user("agent01")
    target = _create(c, _east(10), "urban.streetlight", "研城镇路灯不亮")
    repeat = _create(c, _east(12), "urban.streetlight", "研城镇路灯还是不亮")
    r = c.post(
        f"/api/v1/orders/{repeat['id']}/actions/merge",
        json={"target_order_id": str(target["id"]), "note": "重复来电"},
    )
    assert r.status_code == 200, r.text
    items = c.get(
        "/api/v1/orders/similar",
        params={"lon": BASE[0], "lat": BASE[1], "category": "urban.streetlight"},
    ).json()["items"]
    by_id = {i["id"]: i for i in items}
    assert str(repeat["id"]) not in by_id
    assert by_id[str(target["id"])]["repeat_calls"] == 1


def test_similar_refuses_bad_input_by_field(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("agent01")
    r = c.get("/api/v1/orders/similar", params={"lat": 29.6, "category": "x"})
    assert r.status_code == 422 and "lon" in r.text
    r = c.get("/api/v1/orders/similar", params={"lon": 104.0, "lat": 29.6})
    assert r.status_code == 422 and "category" in r.json()["error"]["fields"]
    r = c.get("/api/v1/orders/similar", params={"lon": 400, "lat": 29.6, "text": "x"})
    assert r.status_code == 422
    # a role that takes no calls may not ask
    r = as_user("leader").get(
        "/api/v1/orders/similar", params={"lon": 104.0, "lat": 29.6, "text": "x"}
    )
    assert r.status_code == 403


def test_suggest_category_top3(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("agent01")
    r = c.get("/api/v1/orders/suggest-category", params={"text": "电梯卡住了，有人被关在里面"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 3
    assert items[0]["code"] == "housing.lift" and items[0]["name"] == "电梯安全（特种设备）"
    assert items[0]["score"] >= items[1]["score"] >= items[2]["score"]
    assert c.get("/api/v1/orders/suggest-category", params={"text": "qzxv"}).json() == {"items": []}
    assert c.get("/api/v1/orders/suggest-category").status_code == 422
