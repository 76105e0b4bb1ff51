"""SQL behind the wall screen and the dispatcher console: live orders, KPI figures,
the dispatch queue and each unit's current load.

Reporter name and phone are never selected here: everything these queries return
fans out to every wall screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from dispatch_center.core.lifecycle import OPEN_UNREPLIED
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.store.scope import order_clause, unit_clause

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

#: Statuses of an order that still needs work (not replied, closed, merged or handed to 110).
OPEN_STATUSES = tuple(s.value for s in OPEN_UNREPLIED)

_PUBLIC_COLUMNS = (
    "id, number, channel, request_type, category_code, urgency, description, lon, lat,"
    " address, routing, assigned_unit, status, version, received_at, respond_by, reply_by,"
    " responded_at, replied_at, closed_at, extension_pending, updated_at, co_units"
)


async def live_orders(conn: Conn, limit: int = 5000, scope: Scope = CITY) -> list[Row]:
    """Open orders within ``scope``, newest first, without the reporter's personal data.

    Examples
    --------
    >>> rows = await live_orders(conn, limit=100)  # doctest: +SKIP
    """
    mine, params = order_clause(scope)  # co-handling units (协办) see theirs too
    cur = await conn.execute(
        f"SELECT {_PUBLIC_COLUMNS} FROM orders WHERE status = ANY(%(open)s) AND {mine}"
        " ORDER BY id DESC LIMIT %(limit)s",
        {**params, "open": list(OPEN_STATUSES), "limit": limit},
    )
    return await cur.fetchall()


async def kpi_figures(
    conn: Conn, day_start: datetime, now: datetime, window_start: datetime, scope: Scope = CITY
) -> Row:
    """Today's intake by channel, open and overdue orders by tier of the responsible unit,
    the on-time reply rate and the satisfaction rate over ``window_start``..``now``, of the
    orders within ``scope`` (a handler's figures are its units').

    Rates are ``None`` when nothing was replied or rated in the window (the wall shows N/A).

    Examples
    --------
    >>> k = await kpi_figures(conn, day_start, now, now - timedelta(days=30))  # doctest: +SKIP
    >>> sorted(k)  # doctest: +SKIP
    ['intake_by_channel', 'intake_today', 'on_time_rate', 'open_by_tier', ...]
    """
    mine, scoped = unit_clause(scope, "o.assigned_unit")
    cur = await conn.execute(
        "SELECT channel, count(*) AS n FROM orders o WHERE received_at >= %(day)s"
        f" AND {mine} GROUP BY channel ORDER BY n DESC",
        {**scoped, "day": day_start},
    )
    by_channel = {r["channel"]: int(r["n"]) for r in await cur.fetchall()}
    cur = await conn.execute(
        "SELECT COALESCE(u.tier, 1) AS tier, count(*) AS open,"
        " count(*) FILTER (WHERE o.reply_by < %(now)s) AS overdue"
        " FROM orders o LEFT JOIN units u ON u.code = o.assigned_unit"
        f" WHERE o.status = ANY(%(open)s) AND {mine} GROUP BY 1 ORDER BY 1",
        {**scoped, "now": now, "open": list(OPEN_STATUSES)},
    )
    tiers = {
        int(r["tier"]): {"open": int(r["open"]), "overdue": int(r["overdue"])}
        for r in await cur.fetchall()
    }
    cur = await conn.execute(
        "SELECT count(*) AS replied, count(*) FILTER (WHERE replied_at <= reply_by) AS on_time"
        f" FROM orders o WHERE replied_at >= %(start)s AND replied_at <= %(now)s AND {mine}",
        {**scoped, "start": window_start, "now": now},
    )
    rep = await cur.fetchone() or {"replied": 0, "on_time": 0}
    cur = await conn.execute(
        "SELECT count(*) AS rated,"
        " count(*) FILTER (WHERE last_rating IN ('satisfied', 'basically_satisfied')) AS content"
        f" FROM orders o WHERE last_rating IS NOT NULL AND updated_at >= %(start)s AND {mine}",
        {**scoped, "start": window_start},
    )
    sat = await cur.fetchone() or {"rated": 0, "content": 0}
    replied, rated = int(rep["replied"]), int(sat["rated"])
    return {
        "intake_today": sum(by_channel.values()),
        "intake_by_channel": by_channel,
        "open_by_tier": {str(t): v for t, v in tiers.items()},
        "open_total": sum(v["open"] for v in tiers.values()),
        "overdue_total": sum(v["overdue"] for v in tiers.values()),
        "on_time_rate": round(int(rep["on_time"]) / replied, 4) if replied else None,
        "replied_in_window": replied,
        "satisfaction_rate": round(int(sat["content"]) / rated, 4) if rated else None,
        "rated_in_window": rated,
    }


async def open_load(conn: Conn, unit_codes: Sequence[str]) -> dict[str, int]:
    """Open orders currently assigned to each of ``unit_codes`` (0 for none).

    Examples
    --------
    >>> await open_load(conn, ["511102.urban"])  # doctest: +SKIP
    {'511102.urban': 3}
    """
    if not unit_codes:
        return {}
    cur = await conn.execute(
        "SELECT assigned_unit, count(*) AS n FROM orders"
        " WHERE assigned_unit = ANY(%s) AND status = ANY(%s) GROUP BY assigned_unit",
        (list(unit_codes), list(OPEN_STATUSES)),
    )
    load = {code: 0 for code in unit_codes}
    load.update({r["assigned_unit"]: int(r["n"]) for r in await cur.fetchall()})
    return load


async def open_orders_near(
    conn: Conn,
    *,
    exclude_id: int,
    lon: float,
    lat: float,
    half_side_deg: float,
    category_prefix: str | None,
    limit: int = 50,
) -> list[Row]:
    """Open orders (not yet replied, not merged) in a box around a point, optionally of
    one category family: the candidates the console ranks as possible duplicates (并单).

    Examples
    --------
    >>> rows = await open_orders_near(conn, exclude_id=7, lon=103.76, lat=29.55,
    ...                               half_side_deg=0.02, category_prefix="urban")  # doctest: +SKIP
    """
    cur = await conn.execute(
        f"SELECT {_PUBLIC_COLUMNS} FROM orders WHERE status = ANY(%(open)s) AND id <> %(id)s"
        " AND lon BETWEEN %(lon0)s AND %(lon1)s AND lat BETWEEN %(lat0)s AND %(lat1)s"
        " AND (%(cat)s::text IS NULL OR category_code = %(cat)s"
        "      OR category_code LIKE %(cat)s || '.%%')"
        " ORDER BY id DESC LIMIT %(limit)s",
        {
            "open": list(OPEN_STATUSES),
            "id": exclude_id,
            "lon0": lon - half_side_deg,
            "lon1": lon + half_side_deg,
            "lat0": lat - half_side_deg,
            "lat1": lat + half_side_deg,
            "cat": category_prefix,
            "limit": limit,
        },
    )
    return await cur.fetchall()


async def last_entry(conn: Conn, order_id: int, action: str) -> Row | None:
    """The newest timeline entry of one action on an order (the reason of a 退单, the
    request of a 延期), or None.
    """
    cur = await conn.execute(
        "SELECT at, actor, role, action, note, data FROM timeline"
        " WHERE order_id = %s AND action = %s ORDER BY at DESC, id DESC LIMIT 1",
        (order_id, action),
    )
    return await cur.fetchone()
