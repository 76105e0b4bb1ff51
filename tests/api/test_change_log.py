"""The ordered change log: one gap-free sequence number per committed change, and
append-only history.

The bus's subscribers live on the server's event loop (another thread here), and the
change log is the truth the bus only announces, so the test reads the log's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.api.conftest import LiveCenter, new_order

WORKERS = 10


@pytest.fixture
def db(live: LiveCenter) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(live.center.db.url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def _contiguous(db: psycopg.Connection[dict[str, Any]]) -> list[int]:
    seqs = [r["seq"] for r in db.execute("SELECT seq FROM change_log ORDER BY seq")]
    last = db.execute("SELECT last FROM change_seq").fetchone()
    assert last is not None
    assert seqs == list(range(1, len(seqs) + 1)), "gap or duplicate in change_log.seq"
    assert last["last"] == len(seqs)
    return seqs


def test_burst_of_concurrent_changes_gets_gap_free_sequence(
    live: LiveCenter, db: psycopg.Connection[dict[str, Any]]
) -> None:
    _contiguous(db)
    clients = [live.client("dispatcher") for _ in range(WORKERS)]
    tag = uuid.uuid4().hex[:8]

    def create(i: int) -> httpx.Response:
        # Every fifth request repeats the one before it: 200, and no change.
        sid = f"{tag}-{i - 1 if i % 5 == 4 else i}"
        return clients[i % WORKERS].post(
            "/api/v1/orders", json=new_order(source="burst", source_id=sid)
        )

    def dispatch(job: tuple[int, str]) -> httpx.Response:
        i, order_id = job
        # Two workers per order race the same dispatch: one 200, one 409 (no change).
        return clients[i % WORKERS].post(
            f"/api/v1/orders/{order_id}/actions/dispatch", json={"unit_code": "511102"}
        )

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            created = list(pool.map(create, range(25)))
            ids = sorted({r.json()["id"] for r in created})
            jobs = [(i, oid) for i, oid in enumerate(ids * 2)][:25]
            acted = list(pool.map(dispatch, jobs))
    finally:
        for c in clients:
            c.close()

    assert all(r.status_code in (200, 201) for r in created), [r.text for r in created]
    new = sum(r.status_code == 201 for r in created)
    assert new == len(ids) == 20
    assert {r.status_code for r in acted} <= {200, 409}
    moved = sum(r.status_code == 200 for r in acted)
    assert moved == len({oid for _, oid in jobs})  # each order dispatched exactly once

    _contiguous(db)
    rows = db.execute(
        "SELECT seq, kind, entity_id, payload FROM change_log WHERE entity_id = ANY(%s)"
        " ORDER BY seq",
        (ids,),
    ).fetchall()
    # One row per committed change, none for a repeat or a refused action.
    assert len(rows) == new + moved
    assert sum(r["kind"] == "order.created" for r in rows) == new
    assert sum(r["kind"] == "order.updated" for r in rows) == moved

    with live.client("dispatcher") as c:
        for oid in ids:
            mine = [r for r in rows if r["entity_id"] == oid]
            assert mine[0]["kind"] == "order.created"
            # The newest row for the order is the order as GET shows it now.
            latest = mine[-1]["payload"]["order"]
            now = c.get(f"/api/v1/orders/{oid}").json()
            assert (latest["status"], latest["version"]) == (now["status"], now["version"])
            assert latest["number"] == now["number"]
            # Versions rise with the sequence.
            versions = [r["payload"]["order"]["version"] for r in mine]
            assert versions == sorted(versions) == list(range(1, len(mine) + 1))
    # Personal data never reaches the log that fans out to every wall screen.
    for r in rows:
        assert "reporter_phone" not in r["payload"]["order"]
        assert "reporter_name" not in r["payload"]["order"]
        assert "13812345678" not in str(r["payload"])


def test_every_api_change_is_logged_in_order(
    as_user: Callable[[str], httpx.Client], db: psycopg.Connection[dict[str, Any]]
) -> None:
    c = as_user("dispatcher")
    h = as_user("h_511102")
    start = _contiguous(db)[-1] if _contiguous(db) else 0
    order = c.post("/api/v1/orders", json=new_order()).json()
    base = f"/api/v1/orders/{order['id']}/actions"
    steps = [
        (c, "dispatch", {"unit_code": "511102"}),
        (h, "accept", {}),
        (h, "start", {}),
        (h, "reply", {"note": "已处理"}),
    ]
    for client, action, body in steps:
        assert client.post(f"{base}/{action}", json=body).status_code == 200
    assert c.post(f"{base}/close").status_code == 409  # refused: no row
    rows = db.execute(
        "SELECT seq, entity_id, payload FROM change_log WHERE seq > %s ORDER BY seq", (start,)
    ).fetchall()
    assert [r["seq"] for r in rows] == list(range(start + 1, start + 1 + len(rows)))
    assert [r["payload"]["action"] for r in rows if r["entity_id"] == order["id"]] == [
        "receive",
        "dispatch",
        "accept",
        "start",
        "reply",
    ]
    assert rows[-1]["payload"]["actor"] == "h_511102"


@pytest.mark.parametrize("table", ["timeline", "change_log", "audit_log"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET at = at WHERE true", "DELETE FROM {table} WHERE true"],
    ids=["update", "delete"],
)
def test_history_is_append_only(
    as_user: Callable[[str], httpx.Client],
    db: psycopg.Connection[dict[str, Any]],
    table: str,
    statement: str,
) -> None:
    # Make sure each table has a row for the trigger to refuse.
    c = as_user("dispatcher")
    c.post("/api/v1/orders", json=new_order())
    # An ordinary day stays ordinary, but the admin's edit is audited.
    r = as_user("admin").put("/api/v1/calendar/days/2026-12-31", json={"kind": None, "name": ""})
    assert r.status_code == 200, r.text
    before = db.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
    assert before is not None and before["n"] > 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        db.execute(statement.format(table=table))
    after = db.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
    assert after == before
