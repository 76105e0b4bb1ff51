"""Video supervision sessions: the session and its orders, presence, the webhook's
deliveries, instructions, attachments, closing with frozen minutes, amendments, and the
wall's live view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.store.scope import unit_clause
from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change


def session_clause(scope: Scope, alias: str = "s") -> tuple[str, dict[str, Any]]:
    """``(condition, params)`` keeping the sessions that concern ``scope``: the SQL of
    :meth:`dispatch_center.core.visibility.Scope.sees_session` (an order of the session is
    assigned within the scope, its affected area names a unit of the scope, or it invited
    the reader by username or by a unit of the scope).

    Examples
    --------
    >>> session_clause(Scope())
    ('TRUE', {})
    >>> cond, params = session_clause(Scope(frozenset({"511111"}), "h"))
    >>> sorted(params), "affected_area ?|" in cond
    (['scope_units', 'scope_user'], True)
    """
    if scope.city_wide:
        return "TRUE", {}
    assigned, params = unit_clause(scope, "o.assigned_unit")
    cond = (
        "(EXISTS (SELECT 1 FROM supervision_session_orders so JOIN orders o ON o.id = so.order_id"
        f" WHERE so.session_id = {alias}.id AND {assigned})"
        f" OR {alias}.affected_area ?| %(scope_units)s::text[]"
        f" OR EXISTS (SELECT 1 FROM jsonb_array_elements({alias}.invited) i"
        "  WHERE i ->> 'user' = %(scope_user)s OR i ->> 'unit' = ANY(%(scope_units)s)))"
    )
    return cond, {**params, "scope_user": scope.user}


async def insert_session(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A new open session with its change-log row."""
    query = with_change(
        "INSERT INTO supervision_sessions (topic, room_url, emergency, mode, affected_area,"
        " invited, created_by, created_at) VALUES (%(topic)s, %(room_url)s, %(emergency)s,"
        " %(mode)s, %(affected_area)s, %(invited)s, %(created_by)s, %(at)s) RETURNING *",
        entity="x.id::text",
    )
    params = dict(values)
    params["affected_area"] = Jsonb(list(values.get("affected_area") or []))
    params["invited"] = Jsonb(list(values.get("invited") or []))
    params.update(kind="supervision.session")
    row = await fetch_one(conn, query, params)
    assert row is not None
    return row


async def link_orders(conn: Conn, session_id: int, order_ids: Sequence[int]) -> None:
    """Link the session to its orders."""
    await conn.execute(
        "INSERT INTO supervision_session_orders (session_id, order_id)"
        " SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
        (session_id, list(order_ids)),
    )


async def get_session(conn: Conn, session_id: int) -> Row | None:
    """One session."""
    return await fetch_one(
        conn, "SELECT * FROM supervision_sessions WHERE id = %(id)s", {"id": session_id}
    )


async def list_sessions(
    conn: Conn, status: str | None = None, limit: int = 100, scope: Scope = CITY
) -> list[Row]:
    """Sessions that concern ``scope``, newest first."""
    mine, params = session_clause(scope)
    cur = await conn.execute(
        "SELECT * FROM supervision_sessions s"
        f" WHERE (%(status)s::text IS NULL OR status = %(status)s) AND {mine}"
        " ORDER BY id DESC LIMIT %(limit)s",
        {**params, "status": status, "limit": limit},
    )
    return await cur.fetchall()


async def session_order_units(conn: Conn, session_id: int) -> list[str | None]:
    """The assigned unit of each of the session's orders (whom the session concerns)."""
    cur = await conn.execute(
        "SELECT o.assigned_unit FROM supervision_session_orders so"
        " JOIN orders o ON o.id = so.order_id WHERE so.session_id = %s",
        (session_id,),
    )
    return [r["assigned_unit"] for r in await cur.fetchall()]


async def session_order_ids(conn: Conn, session_id: int) -> list[int]:
    """Ids of the session's linked orders."""
    cur = await conn.execute(
        "SELECT order_id FROM supervision_session_orders WHERE session_id = %s ORDER BY order_id",
        (session_id,),
    )
    return [int(r["order_id"]) for r in await cur.fetchall()]


async def sessions_of_order(conn: Conn, order_id: int) -> list[int]:
    """Ids of the sessions an order is linked to."""
    cur = await conn.execute(
        "SELECT session_id FROM supervision_session_orders WHERE order_id = %s ORDER BY 1",
        (order_id,),
    )
    return [int(r["session_id"]) for r in await cur.fetchall()]


# -- presence and the webhook ----------------------------------------------------------------------

# The session row is read FOR SHARE: a close that commits first makes these writes find
# no open session, and a close that comes second waits for them.
_OPEN_SESSION = (
    "(SELECT id FROM supervision_sessions WHERE id = %(session_id)s AND status = 'open' FOR SHARE)"
)


async def join(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Open a presence interval; ``None`` when the participant is already in (or closed)."""
    query = with_change(
        "INSERT INTO supervision_presence (session_id, participant, display_name, role,"
        " joined_at, joined_via) SELECT s.id, %(participant)s, %(display_name)s, %(role)s,"
        f" %(at)s, %(via)s FROM {_OPEN_SESSION} s"
        " ON CONFLICT (session_id, participant) WHERE left_at IS NULL DO NOTHING RETURNING *"
    )
    params = {**values, "kind": "supervision.joined", "entity": str(values["session_id"])}
    return await fetch_one(conn, query, params)


async def leave(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Close the participant's open interval; ``None`` when they were not in."""
    query = with_change(
        "UPDATE supervision_presence p SET left_at = GREATEST(%(at)s, p.joined_at),"
        f" left_via = %(via)s FROM {_OPEN_SESSION} s WHERE p.session_id = s.id"
        " AND p.participant = %(participant)s AND p.left_at IS NULL RETURNING p.*"
    )
    params = {**values, "kind": "supervision.left", "entity": str(values["session_id"])}
    return await fetch_one(conn, query, params)


async def presence(conn: Conn, session_id: int) -> list[Row]:
    """Every presence interval of a session, in joining order."""
    cur = await conn.execute(
        "SELECT * FROM supervision_presence WHERE session_id = %s ORDER BY joined_at, id",
        (session_id,),
    )
    return await cur.fetchall()


async def seen_webhook(conn: Conn, event_id: str, at: datetime, payload: Mapping[str, Any]) -> bool:
    """Record a webhook delivery; False when this event id was seen before."""
    cur = await conn.execute(
        "INSERT INTO supervision_webhook_events (event_id, received_at, payload)"
        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING event_id",
        (event_id, at, Jsonb(dict(payload))),
    )
    return await cur.fetchone() is not None


async def session_by_room(conn: Conn, room_url: str) -> Row | None:
    """The newest open session in ``room_url``."""
    return await fetch_one(
        conn,
        "SELECT * FROM supervision_sessions WHERE room_url = %(u)s AND status = 'open'"
        " ORDER BY id DESC LIMIT 1",
        {"u": room_url},
    )


# -- what a session records ------------------------------------------------------------------------


async def insert_instruction(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """An instruction or decision; ``None`` when the session is closed."""
    query = with_change(
        "INSERT INTO supervision_instructions (session_id, text, owner, due, kind, issued_by,"
        " issued_at) SELECT s.id, %(text)s, %(owner)s, %(due)s, %(ikind)s, %(issued_by)s, %(at)s"
        f" FROM {_OPEN_SESSION} s RETURNING *"
    )
    params = {
        **values,
        "ikind": values.get("kind", "instruction"),
        "kind": "supervision.instruction",
        "entity": str(values["session_id"]),
    }
    return await fetch_one(conn, query, params)


async def link_instruction(
    conn: Conn, instruction_id: int, *, task_id: int | None = None, order_id: int | None = None
) -> None:
    """Note the task or order an instruction became."""
    await conn.execute(
        "UPDATE supervision_instructions SET task_id = %s, order_id = %s WHERE id = %s",
        (task_id, order_id, instruction_id),
    )


async def instructions(conn: Conn, session_id: int) -> list[Row]:
    """A session's instructions with their task's status, in issuing order."""
    cur = await conn.execute(
        "SELECT i.*, t.status AS task_status, o.number AS order_number, o.status AS order_status"
        " FROM supervision_instructions i LEFT JOIN supervision_tasks t ON t.id = i.task_id"
        " LEFT JOIN orders o ON o.id = i.order_id WHERE i.session_id = %s ORDER BY i.id",
        (session_id,),
    )
    return await cur.fetchall()


async def insert_attachment(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """An attachment; ``None`` when the session is closed."""
    query = with_change(
        "INSERT INTO supervision_attachments (session_id, kind, title, url, added_by, added_at)"
        " SELECT s.id, %(akind)s, %(title)s, %(url)s, %(added_by)s, %(at)s"
        f" FROM {_OPEN_SESSION} s RETURNING *"
    )
    params = {
        **values,
        "akind": values["kind"],
        "kind": "supervision.attachment",
        "entity": str(values["session_id"]),
    }
    return await fetch_one(conn, query, params)


async def attachments(conn: Conn, session_id: int) -> list[Row]:
    """A session's attachments in adding order."""
    cur = await conn.execute(
        "SELECT * FROM supervision_attachments WHERE session_id = %s ORDER BY id", (session_id,)
    )
    return await cur.fetchall()


async def close_session(conn: Conn, session_id: int, by: str, at: datetime) -> Row | None:
    """Close an open session (everyone still in leaves now); ``None`` if not open."""
    await conn.execute(
        "UPDATE supervision_presence SET left_at = GREATEST(%s, joined_at), left_via = 'close'"
        " WHERE session_id = %s AND left_at IS NULL"
        " AND EXISTS (SELECT 1 FROM supervision_sessions WHERE id = %s AND status = 'open')",
        (at, session_id, session_id),
    )
    query = with_change(
        "UPDATE supervision_sessions SET status = 'closed', closed_by = %(by)s, closed_at = %(at)s"
        " WHERE id = %(id)s AND status = 'open' RETURNING *"
    )
    params = {"id": session_id, "by": by, "at": at, "kind": "supervision.closed"}
    return await fetch_one(conn, query, {**params, "entity": str(session_id)})


async def store_minutes(conn: Conn, session_id: int, minutes: Mapping[str, Any]) -> None:
    """Freeze the minutes of a session just closed (in the closing transaction)."""
    await conn.execute(
        "UPDATE supervision_sessions SET minutes = %s WHERE id = %s AND minutes IS NULL",
        (Jsonb(dict(minutes)), session_id),
    )


async def insert_amendment(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Append an amendment to a (closed) session's record."""
    query = with_change(
        "INSERT INTO supervision_amendments (session_id, text, author, at)"
        " VALUES (%(session_id)s, %(text)s, %(author)s, %(at)s) RETURNING *"
    )
    params = {**values, "kind": "supervision.amendment", "entity": str(values["session_id"])}
    row = await fetch_one(conn, query, params)
    assert row is not None
    return row


async def amendments(conn: Conn, session_id: int) -> list[Row]:
    """A session's amendments, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_amendments WHERE session_id = %s ORDER BY at, id", (session_id,)
    )
    return await cur.fetchall()


async def live_sessions(conn: Conn, scope: Scope = CITY) -> list[Row]:
    """Open sessions that concern ``scope``, with who is in them now, oldest first."""
    mine, params = session_clause(scope)
    cur = await conn.execute(
        "SELECT s.id, s.topic, s.room_url, s.mode, s.emergency, s.affected_area, s.created_at,"
        " COALESCE((SELECT jsonb_agg(jsonb_build_object('participant', p.participant,"
        "   'name', p.display_name, 'role', p.role, 'joined_at', p.joined_at) ORDER BY p.joined_at)"
        "   FROM supervision_presence p WHERE p.session_id = s.id AND p.left_at IS NULL), '[]')"
        "   AS present,"
        " (SELECT array_agg(order_id ORDER BY order_id) FROM supervision_session_orders so"
        "   WHERE so.session_id = s.id) AS order_ids"
        f" FROM supervision_sessions s WHERE s.status = 'open' AND {mine} ORDER BY s.id",
        params,
    )
    return await cur.fetchall()


async def add_invitees(
    conn: Conn, session_id: int, invitees: Sequence[Mapping[str, Any]], at: datetime
) -> Row | None:
    """Append ``invitees`` to an open session's invited list, with its change-log row;
    ``None`` if the session is not open.
    """
    query = with_change(
        "UPDATE supervision_sessions SET invited = COALESCE(invited, '[]'::jsonb) || %(more)s"
        " WHERE id = %(id)s AND status = 'open' RETURNING *"
    )
    params = {
        "id": session_id,
        "more": Jsonb([dict(i) for i in invitees]),
        "kind": "supervision.invited",
        "entity": str(session_id),
        "at": at,
    }
    return await fetch_one(conn, query, params)
