"""SQL of the citizen's replies to the callback survey and of the callback desk: which
survey a text answers, the replies kept whole, the callbacks due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def open_survey(conn: Conn, phone: str, number: str | None = None) -> Row | None:
    """The newest survey texted to ``phone`` whose callback is still pending (of order
    ``number`` when the reply names one).
    """
    cur = await conn.execute(
        "SELECT c.id AS callback_id, c.order_id, m.id AS outbox_id, o.number"
        " FROM outbox m"
        " JOIN callback_tasks c ON m.ref_kind = 'callback' AND c.id = m.ref_id::bigint"
        " JOIN orders o ON o.id = c.order_id"
        " WHERE m.template = 'survey' AND m.recipient = %(phone)s AND c.status = 'pending'"
        " AND (%(number)s::text IS NULL OR o.number = %(number)s)"
        " ORDER BY m.id DESC LIMIT 1",
        {"phone": phone, "number": number},
    )
    return await cur.fetchone()


async def keep_reply(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Keep a reply's text whole, with what became of it."""
    params = {"order_id": None, "callback_id": None, "outbox_id": None, **values}
    cur = await conn.execute(
        "INSERT INTO sms_replies (sender, body, received_at, order_id, callback_id,"
        " outbox_id, outcome) VALUES (%(sender)s, %(body)s, %(at)s, %(order_id)s,"
        " %(callback_id)s, %(outbox_id)s, %(outcome)s) RETURNING *",
        params,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def send_to_desk(conn: Conn, callback_id: int, reason: str) -> None:
    """A seat must call: the reply was unclear."""
    await conn.execute(
        "UPDATE callback_tasks SET desk_reason = %s WHERE id = %s AND status = 'pending'",
        (reason, callback_id),
    )


async def mark_answered_via(conn: Conn, callback_id: int, via: str) -> None:
    """Where the evaluation came from: ``sms`` or ``phone``."""
    await conn.execute(
        "UPDATE callback_tasks SET answered_via = %s WHERE id = %s", (via, callback_id)
    )


async def callbacks_due(conn: Conn, limit: int = 200) -> list[Row]:
    """Pending callbacks with their order, soonest due first (due: ``due_days`` after
    the reply is computed by the caller from ``replied_at``).
    """
    cur = await conn.execute(
        "SELECT c.id, c.order_id, c.channel, c.replied_at, c.created_at, c.desk_reason,"
        " o.number, o.reporter_name, o.reporter_phone, o.reporter_confidential,"
        " o.description, o.assigned_unit, u.name AS unit_name, o.category_code, o.urgency,"
        " (SELECT r.body FROM sms_replies r WHERE r.callback_id = c.id"
        "  ORDER BY r.id DESC LIMIT 1) AS last_reply"
        " FROM callback_tasks c JOIN orders o ON o.id = c.order_id"
        " LEFT JOIN units u ON u.code = o.assigned_unit"
        " WHERE c.status = 'pending' ORDER BY c.replied_at, c.id LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()


async def unmatched_replies(conn: Conn, limit: int = 100) -> list[Row]:
    """Texts that looked like survey answers but had no open survey: a seat reads them."""
    cur = await conn.execute(
        "SELECT * FROM sms_replies WHERE outcome = 'no_survey' AND handled_at IS NULL"
        " ORDER BY id LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()


async def handle_reply(conn: Conn, reply_id: int, by: str, at: datetime) -> Row | None:
    """A seat has dealt with an unmatched reply."""
    cur = await conn.execute(
        "UPDATE sms_replies SET handled_at = %s, handled_by = %s"
        " WHERE id = %s AND handled_at IS NULL RETURNING *",
        (at, by, reply_id),
    )
    return await cur.fetchone()


async def evaluation_sources(conn: Conn, since: datetime, until: datetime) -> dict[str, int]:
    """How the callbacks of replies in ``[since, until)`` were answered: by SMS, by
    phone, or not (yet).
    """
    cur = await conn.execute(
        "SELECT CASE WHEN status = 'done' THEN COALESCE(answered_via, 'phone')"
        " ELSE 'none' END AS via, count(*) AS n FROM callback_tasks"
        " WHERE replied_at >= %s AND replied_at < %s GROUP BY 1",
        (since, until),
    )
    got = {r["via"]: int(r["n"]) for r in await cur.fetchall()}
    return {k: got.get(k, 0) for k in ("sms", "phone", "none")}


async def order_for_lookup(conn: Conn, number: str) -> Row | None:
    """What the public status lookup may tell of order ``number``, plus the reporter's
    phone to check the digits against (never shown) and the unit's last reply.
    """
    cur = await conn.execute(
        "SELECT o.id, o.number, o.status, o.received_at, o.reply_by, o.reporter_phone,"
        " u.name AS unit_name,"
        " (SELECT t.note FROM timeline t WHERE t.order_id = o.id AND t.action = 'reply'"
        "  ORDER BY t.at DESC, t.id DESC LIMIT 1) AS reply"
        " FROM orders o LEFT JOIN units u ON u.code = o.assigned_unit"
        " WHERE o.number = %s",
        (number,),
    )
    return await cur.fetchone()


async def wechat_owns(conn: Conn, openid: str, order_id: int) -> bool:
    """Whether one of ``openid``'s WeChat messages made or joined order ``order_id``."""
    cur = await conn.execute(
        "SELECT 1 FROM wechat_messages WHERE openid = %s AND order_id = %s LIMIT 1",
        (openid, order_id),
    )
    return await cur.fetchone() is not None
