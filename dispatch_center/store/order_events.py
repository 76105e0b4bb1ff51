"""An entry on an order's timeline that does not change the order (a team sent, a
supervision step, an incident's note), written with its change-log row.

Shared by the supervision package and the command package (teams, incidents): each writes
its own events on the same timeline, and neither reads the other's store.
"""

from __future__ import annotations

from typing import Any

import psycopg

from dispatch_center.store.orders import _CHANGE_TAIL, TimelineEntry

Row = dict[str, Any]
_ORDER_EVENT = "WITH o AS (SELECT * FROM orders WHERE id = %(order_id)s)" + _CHANGE_TAIL


async def append_order_event(
    conn: psycopg.AsyncConnection[Row], order_id: int, entry: TimelineEntry, kind: str
) -> Row | None:
    """Append a timeline entry to an order without changing it; ``None`` if no such order.

    The change log gets the order (without personal data) under ``kind``, so the wall
    sees the event in sequence with the order's other changes.
    """
    params = entry.params(kind)
    params["order_id"] = order_id
    params["from_status"] = entry.from_status
    cur = await conn.execute(_ORDER_EVENT, params)
    return await cur.fetchone()
