"""SQL for dispatch modes: declarations, their history, suggestions and order notes.

Mode changes write ``change_log`` rows with the next ``change_seq`` number. The
counter row is taken in the same statement that writes the log row, inside the
caller's transaction, so sequence order stays commit order (see ``store/orders.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch_center.store.locks import AdvisoryLock

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

# A transaction-scoped advisory lock: switches are planned on the state they change,
# so two headquarters switching at once on two workers take turns.
SWITCH_LOCK = int(AdvisoryLock.MODE_SWITCH)

DECLARATION_COLUMNS = (
    "mode",
    "emergency_type",
    "scope",
    "starts_at",
    "ends_at",
    "declared_by",
    "declared_role",
    "declared_at",
    "reason",
    "continues",
    "suggestion_id",
    "start_applied",
    "end_applied",
)

HISTORY_COLUMNS = (
    "at",
    "action",
    "actor",
    "role",
    "from_mode",
    "to_mode",
    "emergency_type",
    "scope",
    "reason",
    "starts_at",
    "ends_at",
    "status",
    "declaration_id",
    "suggestion_id",
    "data",
)


def _insert(table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(columns)
    vals = ", ".join(f"%({c})s" for c in columns)
    return f"INSERT INTO {table} ({cols}) VALUES ({vals}) RETURNING *"


_INSERT_DECLARATION = _insert("mode_declarations", DECLARATION_COLUMNS)
_INSERT_HISTORY = _insert("mode_history", HISTORY_COLUMNS)


async def lock_switches(conn: Conn) -> None:
    """Serialise switches until the end of the current transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SWITCH_LOCK,))


async def live_declarations(conn: Conn, since: datetime) -> list[Row]:
    """Declarations not cancelled that are in force, scheduled, ended after ``since``, or
    whose start/end effects are still pending.
    """
    cur = await conn.execute(
        "SELECT * FROM mode_declarations WHERE cancelled_at IS NULL"
        " AND (ends_at IS NULL OR ends_at > %s OR NOT start_applied OR NOT end_applied)"
        " ORDER BY id",
        (since,),
    )
    return await cur.fetchall()


async def get_declaration(conn: Conn, declaration_id: int) -> Row | None:
    """One declaration by id."""
    cur = await conn.execute("SELECT * FROM mode_declarations WHERE id = %s", (declaration_id,))
    return await cur.fetchone()


async def insert_declaration(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Insert a declaration; ``scope`` is a list of adcodes or ``None``."""
    params = {c: values.get(c) for c in DECLARATION_COLUMNS}
    params["start_applied"] = bool(values.get("start_applied", False))
    params["end_applied"] = bool(values.get("end_applied", False))
    cur = await conn.execute(_INSERT_DECLARATION, params)
    row = await cur.fetchone()
    assert row is not None
    return row


async def end_declaration(conn: Conn, declaration_id: int, at: datetime, by: str) -> Row | None:
    """Make a declaration end at ``at`` (or keep its earlier end)."""
    cur = await conn.execute(
        "UPDATE mode_declarations SET ends_at = LEAST(COALESCE(ends_at, %(at)s), %(at)s),"
        " ended_by = %(by)s WHERE id = %(id)s AND cancelled_at IS NULL RETURNING *",
        {"id": declaration_id, "at": at, "by": by},
    )
    return await cur.fetchone()


async def cancel_declaration(conn: Conn, declaration_id: int, at: datetime, by: str) -> Row | None:
    """Cancel a declaration that has not started; ``None`` if it started or is gone."""
    cur = await conn.execute(
        "UPDATE mode_declarations SET cancelled_at = %s, cancelled_by = %s"
        " WHERE id = %s AND cancelled_at IS NULL AND NOT start_applied AND starts_at > %s"
        " RETURNING *",
        (at, by, declaration_id, at),
    )
    return await cur.fetchone()


async def claim_transition(conn: Conn, declaration_id: int, kind: str) -> Row | None:
    """Flip the start/end flag; only the caller that flips it applies the effects."""
    column = {"start": "start_applied", "end": "end_applied"}[kind]
    cur = await conn.execute(
        f"UPDATE mode_declarations SET {column} = true"
        f" WHERE id = %s AND NOT {column} AND cancelled_at IS NULL RETURNING *",
        (declaration_id,),
    )
    return await cur.fetchone()


async def insert_history(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Append one history entry."""
    params = {c: values.get(c) for c in HISTORY_COLUMNS}
    params["data"] = Jsonb(dict(values.get("data") or {}))
    cur = await conn.execute(_INSERT_HISTORY, params)
    row = await cur.fetchone()
    assert row is not None
    return row


async def history(conn: Conn, *, limit: int = 100, before_id: int | None = None) -> list[Row]:
    """History entries, newest first, keyset-paginated on id."""
    cur = await conn.execute(
        "SELECT * FROM mode_history WHERE (%(before)s::bigint IS NULL OR id < %(before)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"before": before_id, "limit": limit},
    )
    return await cur.fetchall()


async def latest_history_id(conn: Conn) -> int:
    """The newest history id (0 when there is none): a cheap "did anything change?"."""
    cur = await conn.execute("SELECT COALESCE(max(id), 0) AS last FROM mode_history")
    row = await cur.fetchone()
    return int(row["last"]) if row else 0


# -- suggestions -------------------------------------------------------------------------


async def raise_suggestion(conn: Conn, values: Mapping[str, Any], at: datetime) -> tuple[Row, bool]:
    """Insert an open suggestion, or count one more sighting of the open one with its key.

    Returns the row and whether it is new.
    """
    cur = await conn.execute(
        "INSERT INTO mode_suggestions (kind, dedupe_key, mode, emergency_type, scope, reason,"
        " evidence, raised_at, last_seen_at, sources)"
        " VALUES (%(kind)s, %(dedupe_key)s, %(mode)s, %(emergency_type)s, %(scope)s, %(reason)s,"
        " %(evidence)s, %(at)s, %(at)s, %(sources)s)"
        " ON CONFLICT (dedupe_key) WHERE status = 'open'"
        " DO UPDATE SET seen_count = mode_suggestions.seen_count + 1,"
        " last_seen_at = EXCLUDED.last_seen_at,"
        # another condition over the same counties now holds the same suggestion up too
        " sources = ARRAY(SELECT DISTINCT unnest(mode_suggestions.sources || EXCLUDED.sources)"
        " ORDER BY 1)"
        " RETURNING *, (xmax = 0) AS created",
        {
            **values,
            "evidence": Jsonb(dict(values.get("evidence") or {})),
            "at": at,
            "sources": [values["source"]] if values.get("source") else [],
        },
    )
    row = await cur.fetchone()
    assert row is not None
    created = bool(row.pop("created"))
    return row, created


async def end_condition(conn: Conn, source: str, at: datetime, by: str, why: str) -> list[Row]:
    """A condition ended: drop it from the open and accepted suggestions it holds up.

    An open suggestion nothing holds up any more is withdrawn (``decided_by`` = ``by``,
    ``decision_note`` = ``why``); an accepted one stays accepted and records when and why
    its condition ended. Returns every row touched (``sources`` says what still holds it).
    The rows are locked first, so a person accepting at the same moment either wins (the
    row is accepted) or finds it withdrawn (409).
    """
    cur = await conn.execute(
        "WITH hit AS (SELECT id, status, array_remove(sources, %(src)s) AS rest"
        "   FROM mode_suggestions WHERE %(src)s = ANY(sources)"
        "   AND status IN ('open', 'accepted') FOR UPDATE)"
        ", gone AS (SELECT id, status, rest, cardinality(rest) = 0 AS ended FROM hit)"
        " UPDATE mode_suggestions m SET sources = gone.rest,"
        " status = CASE WHEN gone.ended AND gone.status = 'open' THEN 'withdrawn'"
        "   ELSE m.status END,"
        " decided_at = CASE WHEN gone.ended AND gone.status = 'open' THEN %(at)s"
        "   ELSE m.decided_at END,"
        " decided_by = CASE WHEN gone.ended AND gone.status = 'open' THEN %(by)s"
        "   ELSE m.decided_by END,"
        " decision_note = CASE WHEN gone.ended AND gone.status = 'open' THEN %(why)s"
        "   ELSE m.decision_note END,"
        " condition_ended_at = CASE WHEN gone.ended THEN %(at)s ELSE m.condition_ended_at END,"
        " condition_note = CASE WHEN gone.ended THEN %(why)s ELSE m.condition_note END"
        " FROM gone WHERE m.id = gone.id RETURNING m.*",
        {"src": source, "at": at, "by": by, "why": why},
    )
    return await cur.fetchall()


async def expired_cap_sources(conn: Conn, now: datetime) -> list[Row]:
    """CAP chains holding up open or accepted suggestions whose warning is no longer in force.

    A chain counts once it is stored (the processing hook may not have written it yet) and
    has no current Alert/Update that is unexpired. Rows: ``source``, ``expires``.
    """
    cur = await conn.execute(
        "SELECT DISTINCT s.src AS source, (SELECT max(a.expires) FROM cap_alerts a"
        "   WHERE 'cap:' || a.chain_key = s.src) AS expires"
        " FROM mode_suggestions m, unnest(m.sources) AS s(src)"
        " WHERE m.status IN ('open', 'accepted') AND m.kind = 'cap_alert'"
        " AND EXISTS (SELECT 1 FROM cap_alerts a WHERE 'cap:' || a.chain_key = s.src)"
        " AND NOT EXISTS (SELECT 1 FROM cap_alerts a WHERE 'cap:' || a.chain_key = s.src"
        "   AND a.state = 'current' AND a.msg_type IN ('Alert', 'Update')"
        "   AND (a.expires IS NULL OR a.expires > %s))",
        (now,),
    )
    return await cur.fetchall()


async def get_suggestion(conn: Conn, suggestion_id: int) -> Row | None:
    """One suggestion by id."""
    cur = await conn.execute("SELECT * FROM mode_suggestions WHERE id = %s", (suggestion_id,))
    return await cur.fetchone()


async def list_suggestions(conn: Conn, status: str | None, limit: int = 100) -> list[Row]:
    """Suggestions, newest first, optionally of one status."""
    cur = await conn.execute(
        "SELECT * FROM mode_suggestions WHERE (%(status)s::text IS NULL OR status = %(status)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"status": status, "limit": limit},
    )
    return await cur.fetchall()


async def decide_suggestion(
    conn: Conn,
    suggestion_id: int,
    status: str,
    by: str,
    at: datetime,
    note: str | None,
    declaration_id: int | None = None,
) -> Row | None:
    """Accept or dismiss an open suggestion; ``None`` when it was decided already."""
    cur = await conn.execute(
        "UPDATE mode_suggestions SET status = %s, decided_by = %s, decided_at = %s,"
        " decision_note = %s, declaration_id = %s WHERE id = %s AND status = 'open' RETURNING *",
        (status, by, at, note, declaration_id, suggestion_id),
    )
    return await cur.fetchone()


async def link_suggestion(conn: Conn, suggestion_id: int, declaration_id: int) -> None:
    """Record which declaration an accepted suggestion became."""
    await conn.execute(
        "UPDATE mode_suggestions SET declaration_id = %s WHERE id = %s",
        (declaration_id, suggestion_id),
    )


# -- open orders affected by a switch ----------------------------------------------------


async def open_orders_in(
    conn: Conn, counties: Iterable[str], include_no_county: bool, open_statuses: Sequence[str]
) -> list[Row]:
    """Open orders located in ``counties`` (and, if asked, those with no county)."""
    cur = await conn.execute(
        "SELECT id, version, status, urgency, category_code, received_at, respond_by, reply_by,"
        " deadlines_provisional, responded_at, county_code AS county FROM orders"
        " WHERE status = ANY(%(open)s) AND (county_code = ANY(%(counties)s)"
        " OR (%(none)s AND county_code IS NULL)) ORDER BY id",
        {"open": list(open_statuses), "counties": list(counties), "none": include_no_county},
    )
    return await cur.fetchall()


async def note_orders(
    conn: Conn,
    order_ids: Sequence[int],
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    note: str,
    data: Mapping[str, Any],
) -> int:
    """Append the same timeline note to many orders in one statement; return how many."""
    if not order_ids:
        return 0
    cur = await conn.execute(
        "INSERT INTO timeline"
        " (order_id, at, actor, role, action, from_status, to_status, note, data)"
        " SELECT id, %(at)s, %(actor)s, %(role)s, %(action)s, status, status, %(note)s, %(data)s"
        " FROM orders WHERE id = ANY(%(ids)s)",
        {
            "at": at,
            "actor": actor,
            "role": role,
            "action": action,
            "note": note,
            "data": Jsonb(dict(data)),
            "ids": list(order_ids),
        },
    )
    return cur.rowcount
