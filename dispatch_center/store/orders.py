"""SQL for work orders, their timeline and the change log.

Every write is one statement: the order row, its timeline entry, the next
change-log sequence number and the change-log row commit together, and the
sequence counter row is locked only for the server-side life of that statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.store.changes import change_columns, change_ctes
from dispatch_center.store.scope import order_clause

Row = dict[str, Any]

# Personal data never goes into the change log: it fans out to every wallboard.
_PUBLIC_ORDER = "to_jsonb(o) - ARRAY['reporter_phone', 'reporter_name']"

_CHANGE_TAIL = (
    change_ctes(
        "o",
        kind="%(kind)s",
        entity="o.id::text",
        payload=f"jsonb_build_object('order', {_PUBLIC_ORDER}, 'action', %(action)s::text,"
        " 'actor', %(actor)s::text)",
    )
    + """
, tl AS (INSERT INTO timeline
             (order_id, at, actor, role, action, from_status, to_status, note, data)
         SELECT o.id, %(at)s, %(actor)s, %(role)s, %(action)s, %(from_status)s, o.status,
                %(note)s, %(data)s FROM o)
SELECT o.*, """
    + change_columns(kind="%(kind)s", entity="o.id")
    + " FROM o, seq\n"
)

# Columns a transition may set besides status/version/updated_at.
UPDATABLE = frozenset(
    {
        "assigned_unit",
        "responded_at",
        "replied_at",
        "closed_at",
        "extension_pending",
        "extension_request",
        "last_rating",
        "last_solved",
        "merged_into",
        "kb_article_id",
        "reply_by",
        "respond_by",
        "deadlines_provisional",
        "routing",
        "delegation",
        "co_units",
        "co_parts",
    }
)

_JSON_COLUMNS = frozenset({"routing", "extension_request", "delegation", "co_parts"})

ORDER_COLUMNS = (
    "channel",
    "request_type",
    "category_code",
    "urgency",
    "description",
    "lon",
    "lat",
    "datum",
    "address",
    "reporter_name",
    "reporter_phone",
    "reporter_confidential",
    "source",
    "source_id",
    "routing",
    "assigned_unit",
    "status",
    "received_at",
    "respond_by",
    "reply_by",
    "deadlines_provisional",
    "created_by",
)


@dataclass(frozen=True)
class TimelineEntry:
    """Who did what to an order, to be appended with the change."""

    actor: str
    role: str
    action: str
    at: datetime
    from_status: str | None = None
    note: str | None = None
    data: Mapping[str, Any] | None = None

    def params(self, kind: str) -> dict[str, Any]:
        """SQL parameters of the change tail."""
        return {
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "from_status": self.from_status,
            "note": self.note,
            "data": Jsonb(dict(self.data or {})),
            "kind": kind,
        }


def _adapt(name: str, value: Any) -> Any:
    return Jsonb(value) if name in _JSON_COLUMNS and value is not None else value


def _insert_sql() -> str:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in ORDER_COLUMNS)
    vals = sql.SQL(", ").join(sql.Placeholder(c) for c in ORDER_COLUMNS)
    query = sql.SQL(
        # A repeat of a known source event must not take a number: a gap in the day's
        # numbers is something auditors ask about.
        "WITH n AS (INSERT INTO order_counters (day, last) SELECT %(day)s, 1"
        " WHERE NOT EXISTS (SELECT 1 FROM orders"
        "   WHERE source = %(source)s AND source_id = %(source_id)s)"
        " ON CONFLICT (day) DO UPDATE SET last = order_counters.last + 1 RETURNING last)"
        ", o AS (INSERT INTO orders (number, {cols})"
        " SELECT %(prefix)s || to_char(%(day)s::date, 'YYYYMMDD')"
        " || lpad(n.last::text, 5, '0'), {vals}"
        " FROM n ON CONFLICT (source, source_id) DO NOTHING RETURNING *)"
    ).format(cols=cols, vals=vals) + sql.SQL(_CHANGE_TAIL)
    return query.as_string(None)


# Composed once: composing per call cost more than the database round trip, and a
# stable query string lets psycopg prepare the statement server-side.
_INSERT_ORDER = _insert_sql()


async def insert_order(
    conn: psycopg.AsyncConnection[Row],
    values: Mapping[str, Any],
    *,
    prefix: str,
    day: date,
    entry: TimelineEntry,
) -> Row | None:
    """Insert a new order; ``None`` when (source, source_id) already exists.

    The readable number takes the day's next serial from ``order_counters``.
    """
    params = {c: _adapt(c, values.get(c)) for c in ORDER_COLUMNS}
    params.update(entry.params("order.created"), day=day, prefix=prefix)
    cur = await conn.execute(_INSERT_ORDER, params)
    return await cur.fetchone()


@lru_cache(maxsize=128)
def _change_sql(columns: tuple[str, ...]) -> str:
    sets: list[sql.Composable] = [
        sql.SQL("status = %(to_status)s, version = version + 1, updated_at = %(at)s")
    ]
    sets += [
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(f"u_{c}")) for c in columns
    ]
    query = sql.SQL(
        "WITH o AS (UPDATE orders SET {sets}"
        " WHERE id = %(id)s AND version = %(version)s RETURNING *)"
    ).format(sets=sql.SQL(", ").join(sets)) + sql.SQL(_CHANGE_TAIL)
    return query.as_string(None)


async def apply_change(
    conn: psycopg.AsyncConnection[Row],
    order_id: int,
    version: int,
    to_status: str,
    updates: Mapping[str, Any],
    entry: TimelineEntry,
) -> Row | None:
    """Move an order if it is still at ``version``; ``None`` when someone else moved it first."""
    unknown = set(updates) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    columns = tuple(sorted(updates))
    params: dict[str, Any] = {"id": order_id, "version": version, "to_status": to_status}
    params.update({f"u_{c}": _adapt(c, updates[c]) for c in columns})
    params.update(entry.params("order.updated"))
    cur = await conn.execute(_change_sql(columns), params)
    return await cur.fetchone()


# A note leaves the order as it is: the timeline entry and the change-log row still commit
# together, so the wall hears of it in order with every other change.
_NOTE_ORDER = "WITH o AS (SELECT * FROM orders WHERE id = %(id)s)" + _CHANGE_TAIL.replace(
    "%(from_status)s", "o.status"
)


async def note_order(
    conn: psycopg.AsyncConnection[Row], order_id: int, entry: TimelineEntry
) -> Row | None:
    """Append a timeline entry that changes nothing on the order; ``None`` if no such order.

    ``from`` and ``to`` both record the order's status at that moment; the returned row
    carries the change-log ``seq``.
    """
    params: dict[str, Any] = {"id": order_id}
    params.update(entry.params("order.updated"))
    cur = await conn.execute(_NOTE_ORDER, params)
    return await cur.fetchone()


_FOLD_ORDER = (
    "WITH o AS (UPDATE orders SET description = %(description)s, lon = %(lon)s,"
    " lat = %(lat)s, datum = %(datum)s, address = %(address)s, routing = %(routing)s,"
    " version = version + 1, updated_at = %(at)s"
    " WHERE id = %(id)s AND status = 'received' RETURNING *)"
) + _CHANGE_TAIL.replace("%(from_status)s", "o.status")


async def fold_into_order(
    conn: psycopg.AsyncConnection[Row],
    order_id: int,
    values: Mapping[str, Any],
    entry: TimelineEntry,
) -> Row | None:
    """Fold a later message of the same citizen into a still-received order.

    ``values`` holds the new ``description``, ``lon``, ``lat``, ``datum``, ``address`` and
    ``routing``; ``None`` when the order has left ``received`` (dispatched meanwhile).
    """
    params: dict[str, Any] = {
        "id": order_id,
        **{k: values.get(k) for k in ("description", "lon", "lat", "datum", "address")},
        "routing": Jsonb(values["routing"]) if values.get("routing") is not None else None,
    }
    params.update(entry.params("order.updated"))
    cur = await conn.execute(_FOLD_ORDER, params)
    return await cur.fetchone()


async def get_order(conn: psycopg.AsyncConnection[Row], order_id: int) -> Row | None:
    """One order by id."""
    cur = await conn.execute("SELECT * FROM orders WHERE id = %s", (order_id,))
    return await cur.fetchone()


async def get_by_source(
    conn: psycopg.AsyncConnection[Row], source: str, source_id: str
) -> Row | None:
    """The order already made from (source, source_id), if any."""
    cur = await conn.execute(
        "SELECT * FROM orders WHERE source = %s AND source_id = %s", (source, source_id)
    )
    return await cur.fetchone()


async def timeline(conn: psycopg.AsyncConnection[Row], order_id: int) -> list[Row]:
    """The order's timeline, oldest first."""
    cur = await conn.execute(
        "SELECT id, at, actor, role, action, from_status, to_status, note, data"
        " FROM timeline WHERE order_id = %s ORDER BY at, id",
        (order_id,),
    )
    return await cur.fetchall()


async def last_actor(conn: psycopg.AsyncConnection[Row], order_id: int) -> Row | None:
    """The newest timeline entry: who moved the order last."""
    cur = await conn.execute(
        "SELECT actor, role, action, at FROM timeline WHERE order_id = %s"
        " ORDER BY at DESC, id DESC LIMIT 1",
        (order_id,),
    )
    return await cur.fetchone()


@dataclass(frozen=True)
class OrderFilter:
    """What a list of orders is narrowed to."""

    statuses: Sequence[str] = ()
    urgency: str | None = None
    unit: str | None = None
    county: str | None = None
    category: str | None = None
    overdue_before: datetime | None = None
    open_statuses: Sequence[str] = ()
    after_id: int | None = None
    limit: int = 50
    queue: str | None = None  # routing.queue: dispatch | manual | transfer
    #: The readable number (LS2026…) people read out and type.
    number: str | None = None
    #: Who reads: the list holds only what that reader may see (core.visibility).
    scope: Scope = CITY


async def list_orders(conn: psycopg.AsyncConnection[Row], f: OrderFilter) -> list[Row]:
    """Orders matching ``f`` within its reader's scope, newest first, keyset-paginated on id."""
    where: list[sql.Composable] = []
    params: dict[str, Any] = {"limit": f.limit}
    if not f.scope.city_wide:
        # A co-handling unit (协办) reads the order as well (core.visibility).
        condition, scoped = order_clause(f.scope)
        where.append(sql.SQL(condition))
        params.update(scoped)
    if f.statuses:
        where.append(sql.SQL("status = ANY(%(statuses)s)"))
        params["statuses"] = list(f.statuses)
    if f.urgency:
        where.append(sql.SQL("urgency = %(urgency)s"))
        params["urgency"] = f.urgency
    if f.unit:
        where.append(sql.SQL("assigned_unit = %(unit)s"))
        params["unit"] = f.unit
    if f.county:
        where.append(sql.SQL("county_code = %(county)s"))
        params["county"] = f.county
    if f.category:
        where.append(sql.SQL("category_code = %(category)s"))
        params["category"] = f.category
    if f.queue:
        where.append(sql.SQL("routing ->> 'queue' = %(queue)s"))
        params["queue"] = f.queue
    if f.number:
        where.append(sql.SQL("number = %(number)s"))
        params["number"] = f.number
    if f.overdue_before is not None:
        where.append(sql.SQL("reply_by < %(overdue_before)s AND status = ANY(%(open)s)"))
        params["overdue_before"] = f.overdue_before
        params["open"] = list(f.open_statuses)
    if f.after_id is not None:
        where.append(sql.SQL("id < %(after_id)s"))
        params["after_id"] = f.after_id
    clause = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL("")
    query = sql.SQL("SELECT * FROM orders{} ORDER BY id DESC LIMIT %(limit)s").format(clause)
    cur = await conn.execute(query, params)
    return await cur.fetchall()
