"""Supervision on an order's timeline: entries appended without changing the order, and
the escalation steps and actions read back from it.
"""

from __future__ import annotations

from dispatch_center.store.order_events import append_order_event
from dispatch_center.store.supervision.common import Conn, Row

__all__ = ["append_order_event", "count_actions", "escalation_steps"]


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
