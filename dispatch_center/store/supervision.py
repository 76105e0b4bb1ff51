"""SQL for supervision: reminders, the outbox, supervision orders, video supervision
sessions, tasks, callback tasks and the rates query.

Each change that the wall or a console must see is written in one statement together
with its change-log row and the next gap-free sequence number (the pattern of
:mod:`dispatch_center.store.orders`): a CTE ``x`` makes the change, and the tail takes a
sequence number only when ``x`` produced a row, so a repeat (a second "join", a second
worker's reminder) writes nothing and takes no number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch_center.store.changes import change_columns, change_ctes
from dispatch_center.store.orders import _CHANGE_TAIL, TimelineEntry

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

TICK_LOCK_KEY = 1_234_512_346  # advisory lock: one worker's timer works a tick


@lru_cache(maxsize=64)
def _with_change(change_sql: str, kind_param: str = "kind", entity: str = "%(entity)s") -> str:
    """``change_sql`` (returning one row) plus its change-log row, in one statement."""
    kind = f"%({kind_param})s"
    return (
        f"WITH x AS ({change_sql})"
        + change_ctes("x", kind=kind, entity=entity, payload="to_jsonb(x)")
        + f" SELECT x.*, {change_columns(kind=kind, entity=entity)} FROM x, seq"
    )


async def _one(conn: Conn, query: str, params: Mapping[str, Any]) -> Row | None:
    cur = await conn.execute(query, dict(params))
    return await cur.fetchone()


# -- order timeline ----------------------------------------------------------------------------

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


# -- reminder timer ----------------------------------------------------------------------------


async def try_tick_lock(conn: Conn) -> bool:
    """Take the timer's session lock on this connection; False when another worker has it.

    A session lock (not a transaction's) lets the tick write in short autocommit
    statements, so the change-log counter is never held for the whole tick.
    """
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (TICK_LOCK_KEY,))
    row = await cur.fetchone()
    return bool(row and row["got"])


async def release_tick_lock(conn: Conn) -> None:
    """Give the timer's lock back before the connection returns to the pool."""
    await conn.execute("SELECT pg_advisory_unlock(%s)", (TICK_LOCK_KEY,))


async def reminder_candidates(
    conn: Conn, statuses: Sequence[str], now: datetime, horizon_minutes: int, fraction: float
) -> list[Row]:
    """Unreplied assigned orders that are overdue or near their reply deadline, with the
    reminder kinds already sent for the current ``reply_by``."""
    cur = await conn.execute(
        "SELECT o.id, o.number, o.assigned_unit, o.received_at, o.respond_by, o.reply_by,"
        " o.urgency, o.category_code, o.routing, o.county_code,"
        " COALESCE((SELECT array_agg(r.kind) FROM supervision_reminders r"
        "           WHERE r.order_id = o.id AND r.reply_by = o.reply_by), '{}') AS sent"
        " FROM orders o"
        " WHERE o.status = ANY(%(statuses)s) AND o.assigned_unit IS NOT NULL"
        " AND (o.reply_by <= %(now)s + make_interval(mins => %(mins)s)"
        "      OR %(now)s >= o.reply_by - (o.reply_by - o.received_at) * %(fraction)s)"
        " ORDER BY o.reply_by LIMIT 2000",
        {"statuses": list(statuses), "now": now, "mins": horizon_minutes, "fraction": fraction},
    )
    return await cur.fetchall()


async def insert_reminder(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Record a reminder; ``None`` when this (order, kind, reply_by) was reminded already."""
    query = _with_change(
        "INSERT INTO supervision_reminders (order_id, unit_code, kind, reply_by, at, message)"
        " VALUES (%(order_id)s, %(unit_code)s, %(rkind)s, %(reply_by)s, %(at)s, %(message)s)"
        " ON CONFLICT (order_id, kind, reply_by) DO NOTHING RETURNING *"
    )
    params = {**values, "rkind": values["kind"], "kind": "supervision.reminder"}
    params["entity"] = str(values["order_id"])
    return await _one(conn, query, params)


async def reminders_for_units(conn: Conn, units: Sequence[str], limit: int = 100) -> list[Row]:
    """Newest reminders addressed to any of ``units``."""
    cur = await conn.execute(
        "SELECT r.*, o.number, o.status FROM supervision_reminders r"
        " JOIN orders o ON o.id = r.order_id WHERE r.unit_code = ANY(%s)"
        " ORDER BY r.at DESC, r.id DESC LIMIT %s",
        (list(units), limit),
    )
    return await cur.fetchall()


async def reminders_for_order(conn: Conn, order_id: int) -> list[Row]:
    """An order's reminders, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_reminders WHERE order_id = %s ORDER BY at, id", (order_id,)
    )
    return await cur.fetchall()


# -- outbox ------------------------------------------------------------------------------------


async def enqueue(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Queue an outbound message (status pending)."""
    cur = await conn.execute(
        "INSERT INTO outbox (channel, recipient, body, ref_kind, ref_id, created_at)"
        " VALUES (%(channel)s, %(recipient)s, %(body)s, %(ref_kind)s, %(ref_id)s, %(at)s)"
        " RETURNING *",
        dict(values),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def claim_pending(conn: Conn, channels: Sequence[str], limit: int = 50) -> list[Row]:
    """Pending messages of ``channels``, locked for this transaction (others skip them)."""
    cur = await conn.execute(
        "SELECT * FROM outbox WHERE status = 'pending' AND channel = ANY(%s)"
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (list(channels), limit),
    )
    return await cur.fetchall()


async def mark_outbox(
    conn: Conn, message_id: int, status: str, at: datetime, error: str | None = None
) -> None:
    """Record a delivery attempt's result."""
    await conn.execute(
        "UPDATE outbox SET status = %s, attempts = attempts + 1, error = %s,"
        " sent_at = CASE WHEN %s = 'sent' THEN %s ELSE sent_at END WHERE id = %s",
        (status, error, status, at, message_id),
    )


async def outbox_for(conn: Conn, ref_kind: str, ref_id: str) -> list[Row]:
    """Messages queued about one thing (a reminder, a callback task)."""
    cur = await conn.execute(
        "SELECT * FROM outbox WHERE ref_kind = %s AND ref_id = %s ORDER BY id", (ref_kind, ref_id)
    )
    return await cur.fetchall()


# -- supervision orders (督办单) -----------------------------------------------------------------


async def insert_supervision_order(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A new 督办单 with its change-log row."""
    query = _with_change(
        "INSERT INTO supervision_orders (order_id, level, requirement, answer_by, unit_code,"
        " issued_by, issued_at) VALUES (%(order_id)s, %(level)s, %(requirement)s, %(answer_by)s,"
        " %(unit_code)s, %(issued_by)s, %(at)s) RETURNING *"
    )
    row = await _one(
        conn, query, {**values, "kind": "supervision.order", "entity": str(values["order_id"])}
    )
    assert row is not None
    return row


async def get_supervision_order(conn: Conn, sid: int) -> Row | None:
    """One 督办单."""
    return await _one(conn, "SELECT * FROM supervision_orders WHERE id = %(id)s", {"id": sid})


async def answer_supervision_order(
    conn: Conn, sid: int, answer: str, by: str, at: datetime
) -> Row | None:
    """Record the handler's answer; ``None`` when it was answered already."""
    query = _with_change(
        "UPDATE supervision_orders SET status = 'answered', answer = %(answer)s,"
        " answered_by = %(by)s, answered_at = %(at)s WHERE id = %(id)s AND status = 'open'"
        " RETURNING *"
    )
    params = {"id": sid, "answer": answer, "by": by, "at": at}
    return await _one(conn, query, {**params, "kind": "supervision.order", "entity": str(sid)})


async def supervision_orders_for(
    conn: Conn, *, order_id: int | None = None, units: Sequence[str] | None = None
) -> list[Row]:
    """督办单 of one order, or addressed to any of ``units``; oldest first."""
    if order_id is not None:
        cur = await conn.execute(
            "SELECT * FROM supervision_orders WHERE order_id = %s ORDER BY id", (order_id,)
        )
    else:
        cur = await conn.execute(
            "SELECT s.*, o.number FROM supervision_orders s JOIN orders o ON o.id = s.order_id"
            " WHERE s.unit_code = ANY(%s) ORDER BY s.id",
            (list(units or ()),),
        )
    return await cur.fetchall()


# -- sessions ----------------------------------------------------------------------------------


async def insert_session(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A new open session with its change-log row."""
    query = _with_change(
        "INSERT INTO supervision_sessions (topic, room_url, emergency, mode, affected_area,"
        " invited, created_by, created_at) VALUES (%(topic)s, %(room_url)s, %(emergency)s,"
        " %(mode)s, %(affected_area)s, %(invited)s, %(created_by)s, %(at)s) RETURNING *",
        entity="x.id::text",
    )
    params = dict(values)
    params["affected_area"] = Jsonb(list(values.get("affected_area") or []))
    params["invited"] = Jsonb(list(values.get("invited") or []))
    params.update(kind="supervision.session")
    row = await _one(conn, query, params)
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
    return await _one(
        conn, "SELECT * FROM supervision_sessions WHERE id = %(id)s", {"id": session_id}
    )


async def list_sessions(conn: Conn, status: str | None = None, limit: int = 100) -> list[Row]:
    """Sessions, newest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_sessions WHERE (%(status)s::text IS NULL OR status = %(status)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"status": status, "limit": limit},
    )
    return await cur.fetchall()


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


# The session row is read FOR SHARE: a close that commits first makes these writes find
# no open session, and a close that comes second waits for them.
_OPEN_SESSION = (
    "(SELECT id FROM supervision_sessions WHERE id = %(session_id)s AND status = 'open' FOR SHARE)"
)


async def join(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Open a presence interval; ``None`` when the participant is already in (or closed)."""
    query = _with_change(
        "INSERT INTO supervision_presence (session_id, participant, display_name, role,"
        " joined_at, joined_via) SELECT s.id, %(participant)s, %(display_name)s, %(role)s,"
        f" %(at)s, %(via)s FROM {_OPEN_SESSION} s"
        " ON CONFLICT (session_id, participant) WHERE left_at IS NULL DO NOTHING RETURNING *"
    )
    params = {**values, "kind": "supervision.joined", "entity": str(values["session_id"])}
    return await _one(conn, query, params)


async def leave(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Close the participant's open interval; ``None`` when they were not in."""
    query = _with_change(
        "UPDATE supervision_presence p SET left_at = GREATEST(%(at)s, p.joined_at),"
        f" left_via = %(via)s FROM {_OPEN_SESSION} s WHERE p.session_id = s.id"
        " AND p.participant = %(participant)s AND p.left_at IS NULL RETURNING p.*"
    )
    params = {**values, "kind": "supervision.left", "entity": str(values["session_id"])}
    return await _one(conn, query, params)


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
    return await _one(
        conn,
        "SELECT * FROM supervision_sessions WHERE room_url = %(u)s AND status = 'open'"
        " ORDER BY id DESC LIMIT 1",
        {"u": room_url},
    )


async def insert_instruction(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """An instruction or decision; ``None`` when the session is closed."""
    query = _with_change(
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
    return await _one(conn, query, params)


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


async def insert_task(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A tracked task (open)."""
    query = _with_change(
        "INSERT INTO supervision_tasks (source, source_id, title, owner, due, created_by,"
        " created_at) VALUES (%(source)s, %(source_id)s, %(title)s, %(owner)s, %(due)s,"
        " %(created_by)s, %(at)s) RETURNING *"
    )
    params = {**values, "kind": "supervision.task", "entity": str(values.get("source_id"))}
    row = await _one(conn, query, params)
    assert row is not None
    return row


async def get_task(conn: Conn, task_id: int) -> Row | None:
    """One task."""
    return await _one(conn, "SELECT * FROM supervision_tasks WHERE id = %(id)s", {"id": task_id})


async def finish_task(
    conn: Conn, task_id: int, status: str, result: str | None, by: str, at: datetime
) -> Row | None:
    """Mark an open task done or cancelled; ``None`` when it is not open."""
    query = _with_change(
        "UPDATE supervision_tasks SET status = %(status)s, result = %(result)s, done_by = %(by)s,"
        " done_at = %(at)s WHERE id = %(id)s AND status = 'open' RETURNING *"
    )
    params = {"id": task_id, "status": status, "result": result, "by": by, "at": at}
    return await _one(conn, query, {**params, "kind": "supervision.task", "entity": str(task_id)})


async def tasks(conn: Conn, *, owner: str | None = None, status: str | None = None) -> list[Row]:
    """Tasks, optionally of one owner and status, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_tasks WHERE (%(owner)s::text IS NULL OR owner = %(owner)s)"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY id",
        {"owner": owner, "status": status},
    )
    return await cur.fetchall()


async def insert_attachment(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """An attachment; ``None`` when the session is closed."""
    query = _with_change(
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
    return await _one(conn, query, params)


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
    query = _with_change(
        "UPDATE supervision_sessions SET status = 'closed', closed_by = %(by)s, closed_at = %(at)s"
        " WHERE id = %(id)s AND status = 'open' RETURNING *"
    )
    params = {"id": session_id, "by": by, "at": at, "kind": "supervision.closed"}
    return await _one(conn, query, {**params, "entity": str(session_id)})


async def store_minutes(conn: Conn, session_id: int, minutes: Mapping[str, Any]) -> None:
    """Freeze the minutes of a session just closed (in the closing transaction)."""
    await conn.execute(
        "UPDATE supervision_sessions SET minutes = %s WHERE id = %s AND minutes IS NULL",
        (Jsonb(dict(minutes)), session_id),
    )


async def insert_amendment(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Append an amendment to a (closed) session's record."""
    query = _with_change(
        "INSERT INTO supervision_amendments (session_id, text, author, at)"
        " VALUES (%(session_id)s, %(text)s, %(author)s, %(at)s) RETURNING *"
    )
    params = {**values, "kind": "supervision.amendment", "entity": str(values["session_id"])}
    row = await _one(conn, query, params)
    assert row is not None
    return row


async def amendments(conn: Conn, session_id: int) -> list[Row]:
    """A session's amendments, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM supervision_amendments WHERE session_id = %s ORDER BY at, id", (session_id,)
    )
    return await cur.fetchall()


async def live_sessions(conn: Conn) -> list[Row]:
    """Open sessions with who is in them now, oldest first."""
    cur = await conn.execute(
        "SELECT s.id, s.topic, s.room_url, s.mode, s.emergency, s.affected_area, s.created_at,"
        " COALESCE((SELECT jsonb_agg(jsonb_build_object('participant', p.participant,"
        "   'name', p.display_name, 'role', p.role, 'joined_at', p.joined_at) ORDER BY p.joined_at)"
        "   FROM supervision_presence p WHERE p.session_id = s.id AND p.left_at IS NULL), '[]')"
        "   AS present,"
        " (SELECT array_agg(order_id ORDER BY order_id) FROM supervision_session_orders so"
        "   WHERE so.session_id = s.id) AS order_ids"
        " FROM supervision_sessions s WHERE s.status = 'open' ORDER BY s.id"
    )
    return await cur.fetchall()


# -- callbacks (回、评) ---------------------------------------------------------------------------


async def create_callback_tasks(conn: Conn, at: datetime) -> list[Row]:
    """A pending callback task for every replied order without one for its reply."""
    cur = await conn.execute(
        "INSERT INTO callback_tasks (order_id, channel, replied_at, created_at)"
        " SELECT o.id, CASE WHEN o.channel = 'sms' THEN 'sms' ELSE 'phone' END, o.replied_at, %s"
        " FROM orders o WHERE o.status = 'replied' AND o.replied_at IS NOT NULL"
        " ON CONFLICT (order_id, replied_at) DO NOTHING RETURNING *",
        (at,),
    )
    return await cur.fetchall()


async def get_callback(conn: Conn, callback_id: int) -> Row | None:
    """One callback task."""
    return await _one(conn, "SELECT * FROM callback_tasks WHERE id = %(id)s", {"id": callback_id})


async def callback_for_order(conn: Conn, order_id: int) -> Row | None:
    """The order's newest callback task."""
    return await _one(
        conn,
        "SELECT * FROM callback_tasks WHERE order_id = %(id)s ORDER BY id DESC LIMIT 1",
        {"id": order_id},
    )


async def finish_callback(conn: Conn, callback_id: int, values: Mapping[str, Any]) -> Row | None:
    """Record the citizen's answer; ``None`` when the task was done already."""
    query = _with_change(
        "UPDATE callback_tasks SET status = 'done', rating = %(rating)s, solved = %(solved)s,"
        " outcome = %(outcome)s, done_by = %(done_by)s, done_at = %(at)s"
        " WHERE id = %(id)s AND status = 'pending' RETURNING *"
    )
    params = {
        **values,
        "id": callback_id,
        "kind": "supervision.callback",
        "entity": str(callback_id),
    }
    return await _one(conn, query, params)


async def pending_callbacks(conn: Conn, limit: int = 100) -> list[Row]:
    """Callback tasks still to call, oldest first."""
    cur = await conn.execute(
        "SELECT c.*, o.number FROM callback_tasks c JOIN orders o ON o.id = c.order_id"
        " WHERE c.status = 'pending' ORDER BY c.id LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()


# -- rates -------------------------------------------------------------------------------------


async def rate_rows(
    conn: Conn, units: Sequence[str] | None, start: datetime, end: datetime
) -> list[Row]:
    """Per order received in [start, end) and assigned to one of ``units`` (all when None):
    its deadlines, response and reply times, newest rating, returns and reopens."""
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
