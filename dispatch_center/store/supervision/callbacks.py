"""Callback tasks (回、评): one per reply of an order, done when the citizen answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change


async def create_callback_tasks(conn: Conn, at: datetime) -> list[Row]:
    """A pending callback task for every replied order without one for its reply."""
    cur = await conn.execute(
        "INSERT INTO callback_tasks (order_id, channel, replied_at, created_at)"
        # A mobile gets the survey by SMS (a seat calls if the reply is unclear); a
        # landline is called.
        " SELECT o.id, CASE WHEN regexp_replace(coalesce(o.reporter_phone, ''), '[ ()-]', '', 'g')"
        " ~ '^(\\+?86)?1[3-9][0-9]{9}$' THEN 'sms' ELSE 'phone' END, o.replied_at, %s"
        " FROM orders o WHERE o.status = 'replied' AND o.replied_at IS NOT NULL"
        " ON CONFLICT (order_id, replied_at) DO NOTHING RETURNING *",
        (at,),
    )
    return await cur.fetchall()


async def get_callback(conn: Conn, callback_id: int) -> Row | None:
    """One callback task."""
    return await fetch_one(
        conn, "SELECT * FROM callback_tasks WHERE id = %(id)s", {"id": callback_id}
    )


async def callback_for_order(conn: Conn, order_id: int) -> Row | None:
    """The order's newest callback task."""
    return await fetch_one(
        conn,
        "SELECT * FROM callback_tasks WHERE order_id = %(id)s ORDER BY id DESC LIMIT 1",
        {"id": order_id},
    )


async def finish_callback(conn: Conn, callback_id: int, values: Mapping[str, Any]) -> Row | None:
    """Record the citizen's answer; ``None`` when the task was done already."""
    query = with_change(
        "UPDATE callback_tasks SET status = 'done', rating = %(rating)s, solved = %(solved)s,"
        " outcome = %(outcome)s, done_by = %(done_by)s, done_at = %(at)s"
        " WHERE id = %(id)s AND status = 'pending' RETURNING *"
    )
    params = {
        **values,
        "id": callback_id,
        "kind": "supervision.callback",
        "entity": str(callback_id),
    }
    return await fetch_one(conn, query, params)


async def pending_callbacks(conn: Conn, limit: int = 100) -> list[Row]:
    """Callback tasks still to call, oldest first."""
    cur = await conn.execute(
        "SELECT c.*, o.number FROM callback_tasks c JOIN orders o ON o.id = c.order_id"
        " WHERE c.status = 'pending' ORDER BY c.id LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()
