"""SQL of the analysis: the rollup worker, rollup queries and the same answers from raw orders.

Every aggregate exists twice, ``source="rollup"`` (the incrementally maintained tables of
migration 006) and ``source="plain"`` (GROUP BY over ``orders`` and ``timeline`` through the
``order_facts`` view). The plain path is the reference the rollups are tested and
benchmarked against; reports use the rollups.

Figures that depend on the clock (open orders not yet due, overdue open orders) are read
live from ``orders`` in both paths: they concern the few open orders, found through the
``(status, received_at)`` index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, Literal

import psycopg
from psycopg import sql

from dispatch_center.core import lifecycle
from dispatch_center.core.calendar import SHANGHAI, TIME_ZONE
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.store.locks import AdvisoryLock
from dispatch_center.store.scope import unit_clause

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]
Source = Literal["rollup", "plain"]

MEASURES = (
    "received",
    "responded_in_time",
    "replied",
    "replied_on_time",
    "excluded",
    "evaluated",
    "content",
    "returned",
    "reopened",
    "dispatched",
    "handle_seconds",
)
DIMS = ("day", "month", "channel", "category_code", "county_code", "unit_code")
#: Open and not replied: the statuses the live figures look at (served by orders_status_idx).
OPEN_UNREPLIED = tuple(s.value for s in lifecycle.OPEN_UNREPLIED)

# The same dimension on the raw orders table (alias o), for the live queries.
_ORDER_DIM = {
    "day": f"(o.received_at AT TIME ZONE '{TIME_ZONE}')::date",
    "month": f"date_trunc('month', o.received_at AT TIME ZONE '{TIME_ZONE}')::date",
    "channel": "o.channel",
    "category_code": "coalesce(o.category_code, '')",
    "county_code": "coalesce(o.county_code, '')",
    "unit_code": "coalesce(o.assigned_unit, '')",
}


# Queries on one dimension read rollup_dim: (dim, selected column) per requested dims.
_SINGLE: dict[tuple[str, ...], tuple[str, str]] = {
    (): ("total", ""),
    ("day",): ("total", "day"),
    ("month",): ("total", "date_trunc('month', day)::date AS month"),
    ("county_code",): ("county", "key AS county_code"),
    ("unit_code",): ("unit", "key AS unit_code"),
    ("channel",): ("channel", "key AS channel"),
    ("category_code",): ("category", "key AS category_code"),
}


def local_midnight(d: date) -> datetime:
    """Start of a local (Beijing time) day as an aware datetime."""
    return datetime.combine(d, time(0), SHANGHAI)


def _dims(dims: Sequence[str]) -> None:
    bad = [d for d in dims if d not in DIMS]
    if bad:
        raise ValueError(f"unknown dimensions {bad}")


def _dim_sql(dims: Sequence[str], table: str) -> list[sql.Composable]:
    out: list[sql.Composable] = []
    for d in dims:
        if d == "month":
            out.append(
                sql.SQL("date_trunc('month', {}.day)::date AS month").format(sql.Identifier(table))
            )
        else:
            out.append(sql.SQL("{}.{}").format(sql.Identifier(table), sql.Identifier(d)))
    return out


# --------------------------------------------------------------------------- the worker


async def claim_changes(conn: Conn, limit: int, *, wait: bool = True) -> tuple[int, list[Row]]:
    """Lock the cursor (inside the caller's transaction) and read the changes after it.

    With ``wait=False`` a cursor another worker holds means "someone is on it": no rows.
    """
    lock = "FOR UPDATE" if wait else "FOR UPDATE SKIP LOCKED"
    cur = await conn.execute(f"SELECT last_seq FROM rollup_cursor {lock}")
    row = await cur.fetchone()
    if row is None and not wait:
        return 0, []
    last = int(row["last_seq"]) if row else 0
    cur = await conn.execute(
        "SELECT seq, kind, entity_id, payload ->> 'action' AS action FROM change_log"
        " WHERE seq > %s ORDER BY seq LIMIT %s",
        (last, limit),
    )
    return last, await cur.fetchall()


async def apply_orders(
    conn: Conn, ids: Sequence[int], returned: Sequence[int], reopened: Sequence[int]
) -> int:
    """Replace the rollup contribution of ``ids`` (migration 006's ``rollup_apply``)."""
    cur = await conn.execute(
        "SELECT rollup_apply(%s::bigint[], %s::bigint[], %s::bigint[]) AS n",
        (list(ids), list(returned), list(reopened)),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def descriptions_of(conn: Conn, ids: Sequence[int]) -> list[Row]:
    """Local day and description of the given orders (for the word rollup)."""
    cur = await conn.execute(
        f"SELECT (received_at AT TIME ZONE '{TIME_ZONE}')::date AS day, description"
        " FROM orders WHERE id = ANY(%s::bigint[])",
        (list(ids),),
    )
    return await cur.fetchall()


async def add_words(conn: Conn, counts: dict[tuple[date, str], int]) -> None:
    """Add word counts to ``rollup_words``."""
    if not counts:
        return
    days, words, ns = zip(*((d, w, n) for (d, w), n in counts.items()), strict=True)
    await conn.execute(
        "INSERT INTO rollup_words AS r (day, word, count)"
        " SELECT * FROM unnest(%s::date[], %s::text[], %s::bigint[])"
        " ON CONFLICT (day, word) DO UPDATE SET count = r.count + EXCLUDED.count",
        (list(days), list(words), list(ns)),
    )


async def advance_cursor(conn: Conn, seq: int, applied: int) -> None:
    """Move the cursor to ``seq`` (same transaction as the deltas)."""
    await conn.execute(
        "UPDATE rollup_cursor SET last_seq = %s, applied = applied + %s, at = now()", (seq, applied)
    )


# --------------------------------------------------------------------------- aggregates


async def measures_by(
    conn: Conn, start: date, end: date, dims: Sequence[str], source: Source
) -> list[Row]:
    """Summed measures of orders received on local days ``[start, end)``, per ``dims``."""
    _dims(dims)
    single = _SINGLE.get(tuple(dims))
    if source == "rollup" and single is not None:
        dim, col = single
        totals = [sql.SQL("sum({m})::bigint AS {m}").format(m=sql.Identifier(m)) for m in MEASURES]
        q = sql.SQL(
            "SELECT {col}{cols} FROM rollup_dim WHERE dim = %s AND day >= %s AND day < %s"
        ).format(col=sql.SQL(col + ", ") if col else sql.SQL(""), cols=sql.SQL(", ").join(totals))
        if col:
            q += sql.SQL(" GROUP BY 1")
        cur = await conn.execute(q, (dim, start, end))
        return [r for r in await cur.fetchall() if r["received"]]
    sums: list[sql.Composable]
    if source == "rollup":
        sel = _dim_sql(dims, "rollup_daily")
        sums = [sql.SQL("sum({m})::bigint AS {m}").format(m=sql.Identifier(m)) for m in MEASURES]
        q = sql.SQL("SELECT {cols} FROM rollup_daily WHERE day >= %s AND day < %s").format(
            cols=sql.SQL(", ").join(sel + sums)
        )
        params: tuple[Any, ...] = (start, end)
    else:
        sel = _dim_sql(dims, "order_facts")
        sums = [
            sql.SQL("count(*)::bigint AS received")
            if m == "received"
            else sql.SQL("sum(handle_seconds)::bigint AS handle_seconds")
            if m == "handle_seconds"
            else sql.SQL("count(*) FILTER (WHERE {m})::bigint AS {m}").format(m=sql.Identifier(m))
            for m in MEASURES
        ]
        q = sql.SQL(
            "SELECT {cols} FROM order_facts WHERE received_at >= %s AND received_at < %s"
        ).format(cols=sql.SQL(", ").join(sel + sums))
        params = (local_midnight(start), local_midnight(end))
    if dims:
        q += sql.SQL(" GROUP BY {}").format(
            sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(dims)))
        )
    cur = await conn.execute(q, params)
    rows = await cur.fetchall()
    return [r for r in rows if r["received"]]


async def pending_by(
    conn: Conn, start: date, end: date, as_of: datetime, dims: Sequence[str]
) -> list[Row]:
    """Open orders received in ``[start, end)`` whose reply is not yet due at ``as_of`` (live)."""
    _dims(dims)
    sel = [sql.SQL(_ORDER_DIM[d] + " AS {}").format(sql.Identifier(d)) for d in dims]
    q = sql.SQL(
        "SELECT {cols} FROM orders o WHERE o.status = ANY(%s) AND o.replied_at IS NULL"
        " AND o.reply_by > %s AND o.received_at >= %s AND o.received_at < %s"
    ).format(cols=sql.SQL(", ").join([*sel, sql.SQL("count(*)::bigint AS pending")]))
    if dims:
        q += sql.SQL(" GROUP BY {}").format(
            sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(dims)))
        )
    cur = await conn.execute(
        q, (list(OPEN_UNREPLIED), as_of, local_midnight(start), local_midnight(end))
    )
    return await cur.fetchall()


async def overdue_open(conn: Conn, as_of: datetime, limit: int) -> tuple[list[Row], list[Row]]:
    """Open orders past ``reply_by`` at ``as_of``: the most overdue ones, and counts per unit."""
    cur = await conn.execute(
        "SELECT o.id, o.number, o.category_code, o.assigned_unit,"
        " o.county_code, o.status, o.received_at, o.reply_by"
        " FROM orders o WHERE o.status = ANY(%s) AND o.replied_at IS NULL AND o.reply_by < %s"
        " ORDER BY o.reply_by, o.id LIMIT %s",
        (list(OPEN_UNREPLIED), as_of, limit),
    )
    items = await cur.fetchall()
    cur = await conn.execute(
        "SELECT coalesce(o.assigned_unit, '') AS unit_code,"
        " coalesce(o.county_code, '') AS county_code, count(*)::bigint AS n"
        " FROM orders o WHERE o.status = ANY(%s) AND o.replied_at IS NULL AND o.reply_by < %s"
        " GROUP BY 1, 2",
        (list(OPEN_UNREPLIED), as_of),
    )
    return items, await cur.fetchall()


async def hourly(conn: Conn, start: date, end: date, source: Source) -> list[Row]:
    """Intake per local hour and channel over ``[start, end)``."""
    if source == "rollup":
        q = (
            "SELECT hour, channel, sum(received)::bigint AS received FROM rollup_hourly"
            " WHERE hour >= %s AND hour < %s GROUP BY 1, 2 HAVING sum(received) <> 0 ORDER BY 1, 2"
        )
        params: tuple[Any, ...] = (datetime.combine(start, time(0)), datetime.combine(end, time(0)))
    else:
        q = (
            f"SELECT date_trunc('hour', received_at AT TIME ZONE '{TIME_ZONE}') AS hour, channel,"
            " count(*)::bigint AS received FROM orders WHERE received_at >= %s AND received_at < %s"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        )
        params = (local_midnight(start), local_midnight(end))
    cur = await conn.execute(q, params)
    return await cur.fetchall()


async def cells(conn: Conn, start: date, end: date, source: Source, limit: int) -> list[Row]:
    """The busiest hotspot grid cells (0.01°) over ``[start, end)``."""
    if source == "rollup":
        # Whole months from the monthly cells, the days around them from the daily cells.
        first = start if start.day == 1 else _next_month(start)
        last = end.replace(day=1)
        if first >= last:
            first = last = start
        q = (
            "SELECT cell_x, cell_y, sum(received)::bigint AS n FROM ("
            " SELECT cell_x, cell_y, received FROM rollup_cells_month"
            " WHERE month >= %s AND month < %s"
            " UNION ALL SELECT cell_x, cell_y, received FROM rollup_cells"
            " WHERE day >= %s AND day < %s AND NOT (day >= %s AND day < %s)) c"
            " GROUP BY 1, 2 HAVING sum(received) > 0 ORDER BY n DESC, cell_x, cell_y LIMIT %s"
        )
        params: tuple[Any, ...] = (first, last, start, end, first, last, limit)
    else:
        q = (
            "SELECT floor(lon / 0.01)::integer AS cell_x, floor(lat / 0.01)::integer AS cell_y,"
            " count(*)::bigint AS n FROM orders WHERE received_at >= %s AND received_at < %s"
            " AND lon IS NOT NULL AND lat IS NOT NULL GROUP BY 1, 2"
            " ORDER BY n DESC, cell_x, cell_y LIMIT %s"
        )
        params = (local_midnight(start), local_midnight(end), limit)
    cur = await conn.execute(q, params)
    return await cur.fetchall()


_HAVERSINE = (
    "2 * 6371008.8 * asin(least(1, sqrt(power(sin(radians(e.lat - s.lat) / 2), 2)"
    " + cos(radians(s.lat)) * cos(radians(e.lat)) * power(sin(radians(e.lon - s.lon) / 2), 2))))"
)

_PLAIN_POINTS = (
    "(SELECT id AS order_id, received_at, coalesce(category_code, '') AS category_code, lon, lat,"
    " floor(lon / 0.01)::integer AS cell_x, floor(lat / 0.01)::integer AS cell_y"
    " FROM orders WHERE received_at >= %(from)s AND received_at < %(end)s AND lon IS NOT NULL)"
)


async def repeats(
    conn: Conn, start: date, end: date, metres: float, days: int, source: Source, limit: int
) -> tuple[int, list[Row]]:
    """Orders received in ``[start, end)`` that repeat an earlier one (重复反映): same category,
    within ``metres`` and ``days``; each is linked to the earliest such order. Returns the
    count and the first ``limit`` links.
    """
    # Cells are about 970 m wide at Leshan's latitude; widen by enough to never miss.
    k = max(1, math.ceil(metres / 780))
    pts = "rollup_order_state" if source == "rollup" else _PLAIN_POINTS
    match = (
        "e.category_code = s.category_code"
        " AND e.cell_x = s.cell_x + dx AND e.cell_y = s.cell_y + dy"
        " AND e.received_at < s.received_at"
        " AND e.received_at >= s.received_at - make_interval(days => %(days)s)"
    )
    if source == "rollup":
        # A probe of the (category, cell, received_at) index per request and neighbour cell:
        # the cost follows the period's volume, not the history's.
        join = (
            "JOIN LATERAL (SELECT e.order_id, e.received_at, e.lon, e.lat"
            f" FROM rollup_order_state e WHERE {match}) e ON true"
        )
    else:
        join = f"JOIN {pts} e ON {match} AND e.received_at >= %(from)s AND e.received_at < %(end)s"
    q = f"""
        WITH s AS (SELECT * FROM {pts} p
                   WHERE p.received_at >= %(start)s AND p.received_at < %(end)s
                   AND p.cell_x IS NOT NULL AND p.category_code <> ''),
        links AS (
            SELECT DISTINCT ON (s.order_id) s.order_id, e.order_id AS first_id, s.category_code,
                   s.received_at, e.received_at AS first_at, s.lon, s.lat,
                   round(({_HAVERSINE})::numeric, 1)::float8 AS distance_m
            FROM s
            CROSS JOIN generate_series(-%(k)s::int, %(k)s::int) dx
            CROSS JOIN generate_series(-%(k)s::int, %(k)s::int) dy
            {join}
            WHERE {_HAVERSINE} <= %(metres)s
            ORDER BY s.order_id, e.received_at, e.order_id)
        SELECT l.*, (SELECT count(*) FROM links) AS total,
               (SELECT number FROM orders WHERE id = l.order_id) AS number,
               (SELECT number FROM orders WHERE id = l.first_id) AS first_number
        FROM links l ORDER BY l.received_at DESC, l.order_id LIMIT %(limit)s
    """
    params = {
        "start": local_midnight(start),
        "end": local_midnight(end),
        "from": local_midnight(start) - _days(days),
        "k": k,
        "days": days,
        "metres": metres,
        "limit": limit,
    }
    async with conn.transaction():
        # Many small index probes: JIT compiling them costs more than it saves.
        await conn.execute("SET LOCAL jit = off")
        cur = await conn.execute(q.encode(), params)
        rows = await cur.fetchall()
    total = int(rows[0]["total"]) if rows else 0
    for r in rows:
        r.pop("total", None)
    return total, rows


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


async def word_counts(
    conn: Conn, start: date, end: date, words: Sequence[str] | None, limit: int
) -> dict[str, int]:
    """Word counts from ``rollup_words``: the top ``limit`` words, or the given ``words``."""
    if words is None:
        cur = await conn.execute(
            "SELECT word, sum(count)::bigint AS n FROM rollup_words WHERE day >= %s AND day < %s"
            " GROUP BY word ORDER BY n DESC, word LIMIT %s",
            (start, end, limit),
        )
    else:
        cur = await conn.execute(
            "SELECT word, sum(count)::bigint AS n FROM rollup_words WHERE day >= %s AND day < %s"
            " AND word = ANY(%s) GROUP BY word",
            (start, end, list(words)),
        )
    return {r["word"]: int(r["n"]) for r in await cur.fetchall()}


async def descriptions(conn: Conn, start: date, end: date) -> list[str]:
    """Descriptions of the orders received in ``[start, end)`` (the plain word count)."""
    cur = await conn.execute(
        "SELECT description FROM orders WHERE received_at >= %s AND received_at < %s",
        (local_midnight(start), local_midnight(end)),
    )
    return [r["description"] for r in await cur.fetchall()]


async def unit_names(conn: Conn) -> dict[str, Row]:
    """Units by code (name, kind, county)."""
    cur = await conn.execute("SELECT code, name, kind, county_code FROM units")
    return {r["code"]: r for r in await cur.fetchall()}


async def category_names(conn: Conn) -> dict[str, str]:
    """Category names (Chinese) by code."""
    cur = await conn.execute("SELECT code, name_zh FROM taxonomy")
    return {r["code"]: r["name_zh"] for r in await cur.fetchall()}


# --------------------------------------------------------------------------- reports, follow-ups


async def save_report(conn: Conn, row: Row) -> Row:
    """Keep a generated report (one row per generation)."""
    from psycopg.types.json import Jsonb

    cur = await conn.execute(
        "INSERT INTO reports (kind, period_start, period_end, label, title, trigger, generated_by,"
        " generated_at, data, files) VALUES (%(kind)s, %(period_start)s, %(period_end)s, %(label)s,"
        " %(title)s, %(trigger)s, %(generated_by)s, %(generated_at)s, %(data)s, %(files)s)"
        " RETURNING id, kind, period_start, period_end, label, title, trigger, generated_by,"
        " generated_at, files",
        {**row, "data": Jsonb(row["data"]), "files": Jsonb(row.get("files") or {})},
    )
    out = await cur.fetchone()
    assert out is not None
    return out


async def set_report_files(conn: Conn, report_id: int, files: dict[str, str]) -> None:
    """Record the rendered files of a report."""
    from psycopg.types.json import Jsonb

    await conn.execute(
        "UPDATE reports SET files = files || %s WHERE id = %s", (Jsonb(files), report_id)
    )


async def list_reports(conn: Conn, kind: str | None, limit: int) -> list[Row]:
    """Kept reports, newest first."""
    cur = await conn.execute(
        "SELECT id, kind, period_start, period_end, label, title, trigger, generated_by,"
        " generated_at,"
        " files FROM reports WHERE %(kind)s::text IS NULL OR kind = %(kind)s"
        " ORDER BY generated_at DESC, id DESC LIMIT %(limit)s",
        {"kind": kind, "limit": limit},
    )
    return await cur.fetchall()


async def get_report(conn: Conn, report_id: int) -> Row | None:
    """One kept report with its data."""
    cur = await conn.execute("SELECT * FROM reports WHERE id = %s", (report_id,))
    return await cur.fetchone()


async def kept_file(conn: Conn, kind: str, start: date, end: date, fmt: str) -> Row | None:
    """The newest kept report of the period with a ``fmt`` file (``id``, ``files``)."""
    cur = await conn.execute(
        "SELECT id, files FROM reports WHERE kind = %s AND period_start = %s"
        " AND period_end = %s AND files ? %s ORDER BY generated_at DESC, id DESC LIMIT 1",
        (kind, start, end, fmt),
    )
    return await cur.fetchone()


# Several workers run the daily report's schedule; this transaction-scoped lock lets one
# make the report (a key of its own: a report being rendered must not hold up a switch).
SCHEDULE_LOCK = int(AdvisoryLock.DAILY_REPORT)


async def lock_report_schedule(conn: Conn) -> None:
    """Serialise the daily report's schedule across workers until the end of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEDULE_LOCK,))


async def has_report(conn: Conn, kind: str, start: date, trigger: str) -> bool:
    """Whether a report of ``kind`` for the period starting ``start`` was made by ``trigger``."""
    cur = await conn.execute(
        "SELECT 1 FROM reports WHERE kind = %s AND period_start = %s AND trigger = %s LIMIT 1",
        (kind, start, trigger),
    )
    return await cur.fetchone() is not None


async def ensure_followups(conn: Conn, quarter: str, kind: str, bottom: Sequence[Row]) -> None:
    """Open a follow-up for each unit at the bottom of a closed quarter's list (once)."""
    for b in bottom:
        await conn.execute(
            "INSERT INTO ranking_followups (quarter, kind, unit_code, unit_name, rank, score)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (quarter, kind, b["code"], b["name"], b["rank"], b["score"]),
        )


async def followups(
    conn: Conn, quarter: str | None, kind: str | None, scope: Scope = CITY
) -> list[Row]:
    """Follow-ups of units within ``scope``, optionally for one quarter and kind."""
    mine, params = unit_clause(scope, "unit_code")
    cur = await conn.execute(
        "SELECT * FROM ranking_followups WHERE (%(q)s::text IS NULL OR quarter = %(q)s)"
        f" AND (%(k)s::text IS NULL OR kind = %(k)s) AND {mine} ORDER BY quarter DESC, kind, rank",
        {**params, "q": quarter, "k": kind},
    )
    return await cur.fetchall()


async def get_followup(conn: Conn, quarter: str, kind: str, code: str) -> Row | None:
    """One follow-up."""
    cur = await conn.execute(
        "SELECT * FROM ranking_followups WHERE quarter = %s AND kind = %s AND unit_code = %s",
        (quarter, kind, code),
    )
    return await cur.fetchone()


async def update_followup(
    conn: Conn, quarter: str, kind: str, code: str, expect: str, values: Row
) -> Row | None:
    """Move a follow-up on if it is still at status ``expect``; ``None`` otherwise."""
    sets = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values
    )
    q = sql.SQL(
        "UPDATE ranking_followups SET {} WHERE quarter = %(q)s AND kind = %(kd)s"
        " AND unit_code = %(c)s AND status = %(expect)s RETURNING *"
    ).format(sets)
    cur = await conn.execute(q, {**values, "q": quarter, "kd": kind, "c": code, "expect": expect})
    return await cur.fetchone()
