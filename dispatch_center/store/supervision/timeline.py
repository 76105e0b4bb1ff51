"""Supervision on an order's timeline: entries appended without changing the order, and
the escalation steps and actions read back from it.
"""

from __future__ import annotations

from dispatch_center.store.orders import _CHANGE_TAIL, TimelineEntry
from dispatch_center.store.supervision.common import Conn, Row

_ORDER_EVENT = "WITH o AS (SELECT * FROM orders WHERE id = %(order_id)s)" + _CHANGE_TAIL


async def append_order_event(
    conn: Conn, order_id: int, entry: TimelineEntry, kind: str
) -> Row | None:
    """Append a timeline entry to an order without changing it; ``None`` if no such order.

    The change log gets the order (without personal data) under ``kind``, so the wall
    sees supervision on the order in sequence with its other changes.
    """
    params = entry.params(kind)
    params["order_id"] = order_id
    params["from_status"] = entry.from_status
    cur = await conn.execute(_ORDER_EVENT, params)
    return await cur.fetchone()


async def escalation_steps(conn: Conn, order_id: int) -> list[Row]:
    """The escalation steps on an order's timeline, oldest first."""
    cur = await conn.execute(
        "SELECT at, actor, data FROM timeline WHERE order_id = %s"
        " AND action = 'supervision.escalate' ORDER BY at, id",
        (order_id,),
    )
    return await cur.fetchall()


async def count_actions(conn: Conn, order_id: int, action: str) -> int:
    """How often ``action`` appears on the order's timeline."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM timeline WHERE order_id = %s AND action = %s",
        (order_id, action),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
