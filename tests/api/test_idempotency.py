"""The same source event twice makes one order, never a second one."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.conftest import LiveCenter, new_order


def _rows(live: LiveCenter, source: str, source_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(live.center.db.url) as conn:
        return conn.execute(
            "SELECT id, number FROM orders WHERE source = %s AND source_id = %s",
            (source, source_id),
        ).fetchall()


def test_same_source_twice_sequentially(
    live: LiveCenter, as_user: Callable[[str], httpx.Client]
) -> None:
    c = as_user("dispatcher")
    sid = uuid.uuid4().hex
    body = new_order(source="wechat-gateway", source_id=sid, channel="wechat")
    first = c.post("/api/v1/orders", json=body)
    assert first.status_code == 201, first.text
    # A retry, even with a different description or by another person, is the same event.
    again = c.post("/api/v1/orders", json={**body, "description": "重发"})
    assert again.status_code == 200, again.text
    third = as_user("duty").post("/api/v1/orders", json=body)
    assert third.status_code == 200
    assert first.json()["id"] == again.json()["id"] == third.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["description"] == body["description"]
    assert _rows(live, "wechat-gateway", sid) == [(int(first.json()["id"]), first.json()["number"])]
    # The retry did not touch the order's history either.
    timeline = c.get(f"/api/v1/orders/{first.json()['id']}").json()["timeline"]
    assert [t["action"] for t in timeline] == ["receive"]


def test_same_source_ten_at_once(live: LiveCenter) -> None:
    sid = uuid.uuid4().hex
    body = new_order(source="sms-gateway", source_id=sid, channel="sms")
    clients = [live.client("dispatcher") for _ in range(10)]
    barrier = threading.Barrier(len(clients))
    results: list[httpx.Response | None] = [None] * len(clients)

    def post(i: int) -> None:
        barrier.wait()
        results[i] = clients[i].post("/api/v1/orders", json=body)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in clients:
        c.close()
    responses = [r for r in results if r is not None]
    assert len(responses) == 10
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 9 + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    assert len(_rows(live, "sms-gateway", sid)) == 1


def test_different_source_id_or_source_is_a_new_order(
    as_user: Callable[[str], httpx.Client],
) -> None:
    c = as_user("dispatcher")
    sid = uuid.uuid4().hex
    a = c.post("/api/v1/orders", json=new_order(source="email", source_id=sid))
    b = c.post("/api/v1/orders", json=new_order(source="email", source_id=sid + "-2"))
    other = c.post("/api/v1/orders", json=new_order(source="letter", source_id=sid))
    plain1 = c.post("/api/v1/orders", json=new_order())
    plain2 = c.post("/api/v1/orders", json=new_order())
    responses = [a, b, other, plain1, plain2]
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["id"] for r in responses}) == 5
    assert len({r.json()["number"] for r in responses}) == 5


@pytest.mark.parametrize(
    "extra",
    [
        {"source": "email"},
        {"source_id": "abc-1"},
        {"source": "", "source_id": "x"},
        {"source": "email", "source_id": ""},
    ],
    ids=["source-only", "source_id-only", "empty-source", "empty-source_id"],
)
def test_source_and_source_id_go_together(
    as_user: Callable[[str], httpx.Client], extra: dict[str, str]
) -> None:
    r = as_user("dispatcher").post("/api/v1/orders", json=new_order(**extra))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid"
    assert {"source", "source_id"} & set(err["fields"]), err


def test_a_repeat_takes_no_number(as_user: Callable[[str], httpx.Client]) -> None:
    """Feeds retry: the day's numbers must stay gap-free across repeats."""
    c = as_user("dispatcher")
    body = new_order(source="open311", source_id=uuid.uuid4().hex, channel="open311")
    first = c.post("/api/v1/orders", json=body).json()
    for _ in range(3):
        assert c.post("/api/v1/orders", json=body).status_code == 200
    nxt = c.post("/api/v1/orders", json=new_order()).json()
    assert nxt["number"][:10] == first["number"][:10]
    assert int(nxt["number"][-5:]) == int(first["number"][-5:]) + 1
