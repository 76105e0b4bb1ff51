"""The facts behind the rates per unit (response, resolution, satisfaction, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dispatch_center.store.supervision.common import Conn, Row


async def rate_rows(
    conn: Conn, units: Sequence[str] | None, start: datetime, end: datetime
) -> list[Row]:
    """Per order received in [start, end) and answered for by one of ``units`` (all when
    None): its deadlines, response and reply times, newest rating, returns and reopens.

    The unit that answers for an order is its lead, the unit the center dispatched it to,
    even while a unit below it holds it (一级抓一级: the bottom of ``delegation``). Each
    co-handling unit's part (协办) is a row of its own (``co`` true) with the part's own
    response (accepted) and reply times, no rating, return or reopen: those are the lead's.
    """
    cur = await conn.execute(
        "SELECT COALESCE(o.delegation -> 0 ->> 'parent', o.assigned_unit) AS unit, false AS co,"
        " o.respond_by, o.reply_by, o.responded_at, o.replied_at,"
        " (SELECT t.data ->> 'rating' FROM timeline t WHERE t.order_id = o.id"
        "   AND t.action = 'evaluate' ORDER BY t.at DESC, t.id DESC LIMIT 1) AS rating,"
        " (SELECT count(*) FROM timeline t WHERE t.order_id = o.id"
        "   AND t.action = 'request_return') AS returns,"
        " (SELECT count(*) FROM timeline t WHERE t.order_id = o.id AND t.action = 'reopen')"
        "   AS reopens"
        " FROM orders o WHERE o.assigned_unit IS NOT NULL AND o.status <> 'merged'"
        " AND (%(units)s::text[] IS NULL"
        "      OR COALESCE(o.delegation -> 0 ->> 'parent', o.assigned_unit) = ANY(%(units)s))"
        " AND o.received_at >= %(start)s AND o.received_at < %(end)s"
        " UNION ALL"
        " SELECT p.key, true, o.respond_by, o.reply_by, (p.value ->> 'accepted_at')::timestamptz,"
        " (p.value ->> 'replied_at')::timestamptz, NULL, 0, 0"
        " FROM orders o, jsonb_each(o.co_parts) p WHERE o.status <> 'merged'"
        " AND (%(units)s::text[] IS NULL OR p.key = ANY(%(units)s))"
        " AND o.received_at >= %(start)s AND o.received_at < %(end)s",
        {"units": list(units) if units is not None else None, "start": start, "end": end},
    )
    return await cur.fetchall()
