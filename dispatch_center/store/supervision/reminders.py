"""The reminder timer's SQL (督): its lock, the orders near or past their deadline, and
the reminders sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.store.locks import AdvisoryLock
from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change

TICK_LOCK_KEY = int(AdvisoryLock.SUPERVISION_TICK)  # one worker's timer works a tick


async def try_tick_lock(conn: Conn) -> bool:
    """Take the timer's session lock on this connection; False when another worker has it.

    A session lock (not a transaction's) lets the tick write in short autocommit
    statements, so the change-log counter is never held for the whole tick.
    """
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (TICK_LOCK_KEY,))
    row = await cur.fetchone()
    return bool(row and row["got"])


async def release_tick_lock(conn: Conn) -> None:
    """Give the timer's lock back before the connection returns to the pool."""
    await conn.execute("SELECT pg_advisory_unlock(%s)", (TICK_LOCK_KEY,))


async def reminder_candidates(
    conn: Conn, statuses: Sequence[str], now: datetime, horizon_minutes: int, fraction: float
) -> list[Row]:
    """Unreplied assigned orders that are overdue or near their reply deadline, with the
    reminder kinds already sent for the current ``reply_by``.
    """
    cur = await conn.execute(
        "SELECT o.id, o.number, o.assigned_unit, o.received_at, o.respond_by, o.reply_by,"
        " o.urgency, o.category_code, o.routing, o.county_code,"
        " COALESCE((SELECT array_agg(r.kind) FROM supervision_reminders r"
        "           WHERE r.order_id = o.id AND r.reply_by = o.reply_by), '{}') AS sent"
        " FROM orders o"
        " WHERE o.status = ANY(%(statuses)s) AND o.assigned_unit IS NOT NULL"
        " AND (o.reply_by <= %(now)s + make_interval(mins => %(mins)s)"
        "      OR %(now)s >= o.reply_by - (o.reply_by - o.received_at) * %(fraction)s)"
        " ORDER BY o.reply_by LIMIT 2000",
        {"statuses": list(statuses), "now": now, "mins": horizon_minutes, "fraction": fraction},
    )
    return await cur.fetchall()


async def insert_reminder(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Record a reminder; ``None`` when this (order, kind, reply_by) was reminded already."""
    query = with_change(
        "INSERT INTO supervision_reminders (order_id, unit_code, kind, reply_by, at, message)"
        " VALUES (%(order_id)s, %(unit_code)s, %(rkind)s, %(reply_by)s, %(at)s, %(message)s)"
        " ON CONFLICT (order_id, kind, reply_by) DO NOTHING RETURNING *"
    )
    params = {**values, "rkind": values["kind"], "kind": "supervision.reminder"}
    params["entity"] = str(values["order_id"])
    return await fetch_one(conn, query, params)


async def reminders_for_units(conn: Conn, units: Sequence[str], limit: int = 100) -> list[Row]:
    """Newest reminders addressed to any of ``units``."""
    cur = await conn.execute(
        "SELECT r.*, o.number, o.status FROM supervision_reminders r"
        " JOIN orders o ON o.id = r.order_id WHERE r.unit_code = ANY(%s)"
        " ORDER BY r.at DESC, r.id DESC LIMIT %s",
        (list(units), limit),
    )
    return await cur.fetchall()


async def reminders_for_order(conn: Conn, order_id: int) -> list[Row]:
    """An order's reminders, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_reminders WHERE order_id = %s ORDER BY at, id", (order_id,)
    )
    return await cur.fetchall()
