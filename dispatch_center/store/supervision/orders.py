"""Supervision orders (督办单): issued on a work order, answered once by its unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change


async def insert_supervision_order(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A new 督办单 with its change-log row."""
    query = with_change(
        "INSERT INTO supervision_orders (order_id, level, requirement, answer_by, unit_code,"
        " issued_by, issued_at) VALUES (%(order_id)s, %(level)s, %(requirement)s, %(answer_by)s,"
        " %(unit_code)s, %(issued_by)s, %(at)s) RETURNING *"
    )
    row = await fetch_one(
        conn, query, {**values, "kind": "supervision.order", "entity": str(values["order_id"])}
    )
    assert row is not None
    return row


async def get_supervision_order(conn: Conn, sid: int) -> Row | None:
    """One 督办单."""
    return await fetch_one(conn, "SELECT * FROM supervision_orders WHERE id = %(id)s", {"id": sid})


async def answer_supervision_order(
    conn: Conn, sid: int, answer: str, by: str, at: datetime
) -> Row | None:
    """Record the handler's answer; ``None`` when it was answered already."""
    query = with_change(
        "UPDATE supervision_orders SET status = 'answered', answer = %(answer)s,"
        " answered_by = %(by)s, answered_at = %(at)s WHERE id = %(id)s AND status = 'open'"
        " RETURNING *"
    )
    params = {"id": sid, "answer": answer, "by": by, "at": at}
    return await fetch_one(conn, query, {**params, "kind": "supervision.order", "entity": str(sid)})


async def supervision_orders_for(
    conn: Conn, *, order_id: int | None = None, units: Sequence[str] | None = None
) -> list[Row]:
    """督办单 of one order, or addressed to any of ``units``; oldest first."""
    if order_id is not None:
        cur = await conn.execute(
            "SELECT * FROM supervision_orders WHERE order_id = %s ORDER BY id", (order_id,)
        )
    else:
        cur = await conn.execute(
            "SELECT s.*, o.number FROM supervision_orders s JOIN orders o ON o.id = s.order_id"
            " WHERE s.unit_code = ANY(%s) ORDER BY s.id",
            (list(units or ()),),
        )
    return await cur.fetchall()
