"""The facts behind the rates per unit (response, resolution, satisfaction, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dispatch_center.store.supervision.common import Conn, Row


async def rate_rows(
    conn: Conn, units: Sequence[str] | None, start: datetime, end: datetime
) -> list[Row]:
    """Per order received in [start, end) and assigned to one of ``units`` (all when None):
    its deadlines, response and reply times, newest rating, returns and reopens.
    """
    cur = await conn.execute(
        "SELECT o.assigned_unit AS unit, o.respond_by, o.reply_by, o.responded_at, o.replied_at,"
        " (SELECT t.data ->> 'rating' FROM timeline t WHERE t.order_id = o.id"
        "   AND t.action = 'evaluate' ORDER BY t.at DESC, t.id DESC LIMIT 1) AS rating,"
        " (SELECT count(*) FROM timeline t WHERE t.order_id = o.id"
        "   AND t.action = 'request_return') AS returns,"
        " (SELECT count(*) FROM timeline t WHERE t.order_id = o.id AND t.action = 'reopen')"
        "   AS reopens"
        " FROM orders o WHERE o.assigned_unit IS NOT NULL AND o.status <> 'merged'"
        " AND (%(units)s::text[] IS NULL OR o.assigned_unit = ANY(%(units)s))"
        " AND o.received_at >= %(start)s AND o.received_at < %(end)s",
        {"units": list(units) if units is not None else None, "start": start, "end": end},
    )
    return await cur.fetchall()
