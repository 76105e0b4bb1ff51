"""SQL for the state of the intake channels and linked systems: attachments, voice calls,
WeChat conversations, long SMS parts, the 110 linkage messages and Open311 requests (their
public ids, privacy and tokens).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


# -- 110 linkage --------------------------------------------------------------------------


async def linkage_insert(
    conn: Conn,
    *,
    direction: str,
    msg_id: str,
    msg_type: str,
    body: Mapping[str, Any],
    order_id: int | None = None,
    ref_no: str | None = None,
) -> Row | None:
    """Record a linkage message; ``None`` when that msg_id is already recorded."""
    cur = await conn.execute(
        "INSERT INTO linkage_messages (direction, msg_id, msg_type, order_id, ref_no, body)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (msg_id) DO NOTHING RETURNING *",
        (direction, msg_id, msg_type, order_id, ref_no, Jsonb(dict(body))),
    )
    return await cur.fetchone()


async def linkage_list(
    conn: Conn, *, direction: str | None, order_id: int | None, pending: bool, limit: int
) -> list[Row]:
    """Linkage messages, newest first."""
    cur = await conn.execute(
        "SELECT * FROM linkage_messages WHERE (%(d)s::text IS NULL OR direction = %(d)s)"
        " AND (%(o)s::bigint IS NULL OR order_id = %(o)s)"
        " AND (NOT %(p)s OR (direction = 'out' AND sent_at IS NULL))"
        " ORDER BY id DESC LIMIT %(l)s",
        {"d": direction, "o": order_id, "p": pending, "l": limit},
    )
    return await cur.fetchall()


async def linkage_mark_sent(conn: Conn, ids: Iterable[int], at: datetime) -> int:
    """Outgoing messages handed to the 110 platform."""
    cur = await conn.execute(
        "UPDATE linkage_messages SET sent_at = %s WHERE id = ANY(%s) AND direction = 'out'"
        " AND sent_at IS NULL",
        (at, list(ids)),
    )
    return cur.rowcount


async def linkage_acked(conn: Conn, ref_msg_id: str, result: str) -> Row | None:
    """Record the other side's ACK on our message."""
    cur = await conn.execute(
        "UPDATE linkage_messages SET acked = %s WHERE msg_id = %s RETURNING *",
        (result, ref_msg_id),
    )
    return await cur.fetchone()


async def linkage_sent(conn: Conn, msg_id: str) -> Row | None:
    """Our outgoing message with that ``msg_id`` (what an incoming ACK refers to)."""
    cur = await conn.execute(
        "SELECT * FROM linkage_messages WHERE msg_id = %s AND direction = 'out'", (msg_id,)
    )
    return await cur.fetchone()


async def linkage_transferred(conn: Conn, number: str) -> Row | None:
    """The order numbered ``number`` if we sent it to 110 (an outgoing TRANSFER names it)."""
    cur = await conn.execute(
        "SELECT o.* FROM orders o WHERE o.number = %s AND EXISTS (SELECT 1 FROM"
        " linkage_messages m WHERE m.direction = 'out' AND m.msg_type = 'TRANSFER'"
        " AND m.order_id = o.id)",
        (number,),
    )
    return await cur.fetchone()


# -- intake channels ----------------------------------------------------------------------


async def attachment_insert(
    conn: Conn,
    *,
    source: str,
    source_id: str,
    order_id: int | None,
    filename: str,
    content_type: str,
    path: str | None,
    url: str | None,
    size: int | None,
) -> None:
    """Reference a stored attachment (or a URL) beside its order; once per file."""
    await conn.execute(
        "INSERT INTO intake_attachments (source, source_id, order_id, filename, content_type,"
        " path, url, size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (source, source_id, filename) DO NOTHING",
        (source, source_id, order_id, filename, content_type, path, url, size),
    )


async def voice_merge(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Fold one CTI event into its call (events may come twice or out of order)."""
    cur = await conn.execute(
        "INSERT INTO voice_calls AS c (call_id, caller, rang_at, answered_at, ended_at, agent_id,"
        " recording_url) VALUES (%(call_id)s, %(caller)s, %(rang_at)s, %(answered_at)s,"
        " %(ended_at)s, %(agent_id)s, %(recording_url)s) ON CONFLICT (call_id) DO UPDATE SET"
        " rang_at = COALESCE(EXCLUDED.rang_at, c.rang_at),"
        " answered_at = COALESCE(EXCLUDED.answered_at, c.answered_at),"
        " ended_at = COALESCE(EXCLUDED.ended_at, c.ended_at),"
        " agent_id = COALESCE(EXCLUDED.agent_id, c.agent_id),"
        " recording_url = COALESCE(EXCLUDED.recording_url, c.recording_url) RETURNING *",
        dict(values),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def voice_call(conn: Conn, call_id: str) -> Row | None:
    """One call as the CTI events described it."""
    cur = await conn.execute("SELECT * FROM voice_calls WHERE call_id = %s", (call_id,))
    return await cur.fetchone()


async def wechat_lock(conn: Conn, openid: str) -> None:
    """Serialise one citizen's messages until the end of the transaction (any worker)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 12345))", (openid,))


async def wechat_message(conn: Conn, msg_id: str) -> Row | None:
    """The record of a message already handled."""
    cur = await conn.execute("SELECT * FROM wechat_messages WHERE msg_id = %s", (msg_id,))
    return await cur.fetchone()


async def wechat_open_order(
    conn: Conn, openid: str, since: datetime, status: str = "received"
) -> Row | None:
    """The order of the citizen's latest message since ``since``, if still at ``status``."""
    cur = await conn.execute(
        "SELECT o.* FROM wechat_messages w JOIN orders o ON o.id = w.order_id"
        " WHERE w.openid = %s AND w.at >= %s ORDER BY w.at DESC, w.msg_id DESC LIMIT 1",
        (openid, since),
    )
    row = await cur.fetchone()
    return row if row is not None and row["status"] == status else None


async def wechat_record(
    conn: Conn, msg_id: str, openid: str, order_id: int, at: datetime, *, folded: bool
) -> None:
    """Remember which order a message made or joined."""
    await conn.execute(
        "INSERT INTO wechat_messages (msg_id, openid, order_id, at, folded)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (msg_id) DO NOTHING",
        (msg_id, openid, order_id, at, folded),
    )


async def sms_add_part(conn: Conn, values: Mapping[str, Any]) -> list[Row]:
    """Keep one part; return all parts of its message held so far (in sequence order)."""
    await conn.execute(
        "INSERT INTO sms_parts (sender, dest, ref, total, seq, msg_id, content, received_at)"
        " VALUES (%(sender)s, %(dest)s, %(ref)s, %(total)s, %(seq)s, %(msg_id)s, %(content)s,"
        " %(received_at)s) ON CONFLICT DO NOTHING",
        dict(values),
    )
    cur = await conn.execute(
        "SELECT * FROM sms_parts WHERE sender = %(sender)s AND dest = %(dest)s AND ref = %(ref)s"
        " AND total = %(total)s ORDER BY seq FOR UPDATE",
        dict(values),
    )
    return await cur.fetchall()


async def sms_release(conn: Conn, sender: str, dest: str, ref: int, total: int) -> None:
    """Forget a message's parts once its order exists."""
    await conn.execute(
        "DELETE FROM sms_parts WHERE sender = %s AND dest = %s AND ref = %s AND total = %s",
        (sender, dest, ref, total),
    )


async def sms_stale(conn: Conn, before: datetime) -> list[Row]:
    """Parts of messages first seen before ``before`` (released with their gaps marked)."""
    cur = await conn.execute(
        "SELECT * FROM sms_parts p WHERE EXISTS (SELECT 1 FROM sms_parts q WHERE"
        " q.sender = p.sender AND q.dest = p.dest AND q.ref = p.ref AND q.total = p.total"
        " GROUP BY q.sender HAVING min(q.first_seen) < %s) ORDER BY sender, dest, ref, seq",
        (before,),
    )
    return await cur.fetchall()


# -- Open311 ------------------------------------------------------------------------------


async def open311_request_insert(
    conn: Conn, *, order_id: int, public_id: str, token: str, private: bool
) -> None:
    """Remember a POSTed request: its public id, whether to keep it private, its token."""
    await conn.execute(
        "INSERT INTO open311_requests (order_id, public_id, private) VALUES (%s, %s, %s)"
        " ON CONFLICT (order_id) DO NOTHING",
        (order_id, public_id, private),
    )
    await conn.execute(
        "INSERT INTO open311_tokens (token, order_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (token, order_id),
    )


async def open311_token(conn: Conn, token: str) -> Row | None:
    """The request a token stands for: ``public_id`` (None for a request without one)."""
    cur = await conn.execute(
        "SELECT t.token, r.public_id FROM open311_tokens t"
        " LEFT JOIN open311_requests r ON r.order_id = t.order_id WHERE t.token = %s",
        (token,),
    )
    return await cur.fetchone()


async def open311_published(
    conn: Conn,
    *,
    hidden_types: Sequence[str],
    hidden_statuses: Sequence[str],
    public_ids: Sequence[str] = (),
    codes: Sequence[str] = (),
    statuses: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[Row]:
    """The orders ``GET requests`` may show, each with its ``public_id``: posted through
    Open311, not asked to be kept private, in a category marked public, and of none of the
    ``hidden_types`` or ``hidden_statuses``. By public id when ``public_ids`` are given,
    else by service code, status set and window, newest first.
    """
    cur = await conn.execute(
        "SELECT o.*, r.public_id FROM open311_requests r"
        " JOIN orders o ON o.id = r.order_id"
        " JOIN taxonomy t ON t.code = o.category_code"
        " WHERE t.public AND NOT r.private AND o.channel = 'open311'"
        " AND o.request_type <> ALL(%(hidden_types)s) AND o.status <> ALL(%(hidden_st)s)"
        " AND (cardinality(%(pids)s::text[]) = 0 OR r.public_id = ANY(%(pids)s))"
        " AND (cardinality(%(pids)s::text[]) > 0 OR ("
        "  (cardinality(%(codes)s::text[]) = 0 OR o.category_code = ANY(%(codes)s))"
        "  AND (%(st)s::text[] IS NULL OR o.status = ANY(%(st)s))"
        "  AND (%(start)s::timestamptz IS NULL OR o.received_at >= %(start)s)"
        "  AND (%(end)s::timestamptz IS NULL OR o.received_at <= %(end)s)))"
        " ORDER BY o.received_at DESC, o.id DESC LIMIT %(limit)s",
        {
            "hidden_types": list(hidden_types),
            "hidden_st": list(hidden_statuses),
            "pids": list(public_ids),
            "codes": list(codes),
            "st": list(statuses) if statuses is not None else None,
            "start": start,
            "end": end,
            "limit": limit,
        },
    )
    return await cur.fetchall()
    cur = await conn.execute(
        "SELECT * FROM orders WHERE (cardinality(%(codes)s::text[]) = 0"
        " OR category_code = ANY(%(codes)s))"
        " AND (%(st)s::text[] IS NULL OR status = ANY(%(st)s))"
        " AND (%(start)s::timestamptz IS NULL OR received_at >= %(start)s)"
        " AND (%(end)s::timestamptz IS NULL OR received_at <= %(end)s)"
        " ORDER BY received_at DESC, id DESC LIMIT %(limit)s",
        {
            "codes": list(codes),
            "st": list(statuses) if statuses is not None else None,
            "start": start,
            "end": end,
            "limit": limit,
        },
    )
    return await cur.fetchall()
