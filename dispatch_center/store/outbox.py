"""SQL of the outbound notification queue (``outbox``): queued by supervision and by the
order lifecycle (the citizen's texts), delivered by :mod:`dispatch_center.messaging.outbox`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

# Who a gateway can reach: a phone number (units' and roles' SMS wait for a directory).
PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,24}$"


async def enqueue(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Queue an outbound message (status pending)."""
    params = {"template": None, "order_id": None, "urgent": False, **values}
    cur = await conn.execute(
        "INSERT INTO outbox (channel, recipient, body, ref_kind, ref_id, created_at,"
        " template, order_id, urgent)"
        " VALUES (%(channel)s, %(recipient)s, %(body)s, %(ref_kind)s, %(ref_id)s, %(at)s,"
        " %(template)s, %(order_id)s, %(urgent)s)"
        " RETURNING *",
        params,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def claim_pending(
    conn: Conn, channels: Sequence[str], limit: int, now: datetime, lease_until: datetime
) -> list[Row]:
    """Lease the pending messages of ``channels`` due at ``now`` (SMS only for phone
    numbers), most urgent first: their next try moves to ``lease_until``, so once this
    statement commits no other worker takes them while this one sends outside any
    transaction; a worker that dies mid-send leaves them to be tried again then.
    """
    cur = await conn.execute(
        "UPDATE outbox SET next_attempt_at = %(lease)s WHERE id IN ("
        " SELECT id FROM outbox WHERE status = 'pending' AND channel = ANY(%(ch)s)"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)"
        " AND (channel <> 'sms' OR recipient ~ %(phone)s)"
        " ORDER BY urgent DESC, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " RETURNING *",
        {
            "ch": list(channels),
            "now": now,
            "phone": PHONE_PATTERN,
            "limit": limit,
            "lease": lease_until,
        },
    )
    rows = await cur.fetchall()
    return sorted(rows, key=lambda r: (not r["urgent"], r["id"]))


async def mark_outbox(
    conn: Conn, message_id: int, status: str, at: datetime, error: str | None = None
) -> None:
    """Record a delivery attempt's result."""
    await conn.execute(
        "UPDATE outbox SET status = %s, attempts = attempts + 1, error = %s,"
        " sent_at = CASE WHEN %s = 'sent' THEN %s ELSE sent_at END WHERE id = %s",
        (status, error, status, at, message_id),
    )


async def mark_sent(conn: Conn, message_id: int, at: datetime, gateway_ref: str | None) -> None:
    """The gateway took the message (a delivery report may have come first: kept)."""
    await conn.execute(
        # Each CASE reads the row as it was: a report's final state and its error stay.
        "UPDATE outbox SET status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END,"
        " error = CASE WHEN status = 'pending' THEN NULL ELSE error END,"
        " attempts = attempts + 1, sent_at = %s,"
        " gateway_ref = COALESCE(gateway_ref, %s) WHERE id = %s",
        (at, gateway_ref, message_id),
    )


async def retry_later(conn: Conn, message_id: int, at: datetime, error: str, failed: bool) -> None:
    """A failed try: wait until ``at`` for the next, or give up (``failed``)."""
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, error = %s, next_attempt_at = %s,"
        # A delivery report may have settled it while we waited for the gateway.
        " status = CASE WHEN %s AND status = 'pending' THEN 'failed' ELSE status END"
        " WHERE id = %s",
        (error, at, failed, message_id),
    )


async def defer(conn: Conn, message_id: int, until: datetime, reason: str) -> None:
    """Not now (quiet hours, the number's rate limit): no attempt is counted."""
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = %s, error = %s WHERE id = %s AND status = 'pending'",
        (until, reason, message_id),
    )


async def sent_since(conn: Conn, recipient: str, since: datetime) -> int:
    """How many messages went to ``recipient`` since ``since``."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM outbox WHERE recipient = %s AND sent_at >= %s",
        (recipient, since),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def apply_report(
    conn: Conn,
    state: str,
    at: datetime,
    detail: str,
    outbox_id: int | None = None,
    gateway_ref: str | None = None,
) -> Row | None:
    """A gateway's delivery report. A final state (delivered, failed) is never undone; a
    'sent' report only records the gateway's reference.
    """
    where = "id = %(id)s" if outbox_id is not None else "gateway_ref = %(ref)s"
    params = {"id": outbox_id, "ref": gateway_ref, "state": state, "at": at, "detail": detail}
    if state == "sent":
        sql = (
            # The first part's id names a long text: its receipt decides.
            "UPDATE outbox SET gateway_ref = COALESCE(gateway_ref, %(ref)s),"
            " dlr_status = %(detail)s WHERE " + where + " RETURNING *"
        )
    else:
        sql = (
            "UPDATE outbox SET status = %(state)s, dlr_status = %(detail)s,"
            " delivered_at = CASE WHEN %(state)s = 'delivered' THEN %(at)s END,"
            " error = CASE WHEN %(state)s = 'failed' THEN %(detail)s ELSE error END"
            " WHERE " + where + " AND status IN ('pending', 'sent') RETURNING *"
        )
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def has_gateway_ref(conn: Conn, gateway_ref: str) -> bool:
    """Whether a message carries the gateway's reference ``gateway_ref`` yet."""
    cur = await conn.execute("SELECT 1 FROM outbox WHERE gateway_ref = %s LIMIT 1", (gateway_ref,))
    return await cur.fetchone() is not None


async def park_report(
    conn: Conn, gateway_ref: str, state: str, detail: str, at: datetime, kept_until: datetime
) -> None:
    """Keep a delivery report whose reference no message carries yet, until ``kept_until``.

    One report is kept per reference: a final one (delivered, failed) is never replaced,
    a 'sent' one gives way to any later report.
    """
    await conn.execute(
        "INSERT INTO outbox_unmatched_reports AS r (gateway_ref, state, detail, reported_at,"
        " kept_until) VALUES (%(ref)s, %(state)s, %(detail)s, %(at)s, %(until)s)"
        " ON CONFLICT (gateway_ref) DO UPDATE SET"
        # Each CASE reads the kept row as it was.
        " state = CASE WHEN r.state = 'sent' THEN EXCLUDED.state ELSE r.state END,"
        " detail = CASE WHEN r.state = 'sent' THEN EXCLUDED.detail ELSE r.detail END,"
        " reported_at = CASE WHEN r.state = 'sent' THEN EXCLUDED.reported_at"
        " ELSE r.reported_at END,"
        " kept_until = GREATEST(r.kept_until, EXCLUDED.kept_until)",
        {"ref": gateway_ref, "state": state, "detail": detail, "at": at, "until": kept_until},
    )


# The parked reports whose reference a message carries now are taken (deleted, rows that
# another worker is taking skipped) and applied by the rules of apply_report in the same
# statement: a report is applied once, and a final state is never undone.
_APPLY_PARKED = (
    "WITH taken AS ("
    " DELETE FROM outbox_unmatched_reports WHERE gateway_ref IN ("
    "  SELECT r.gateway_ref FROM outbox_unmatched_reports r"
    "  WHERE (%(refs)s::text[] IS NULL OR r.gateway_ref = ANY(%(refs)s))"
    "  AND EXISTS (SELECT 1 FROM outbox m WHERE m.gateway_ref = r.gateway_ref)"
    "  FOR UPDATE OF r SKIP LOCKED)"
    " RETURNING *)"
    " UPDATE outbox m SET"
    " status = CASE WHEN t.state <> 'sent' AND m.status IN ('pending', 'sent')"
    "  THEN t.state ELSE m.status END,"
    " dlr_status = CASE WHEN t.state = 'sent' OR m.status IN ('pending', 'sent')"
    "  THEN t.detail ELSE m.dlr_status END,"
    " delivered_at = CASE WHEN t.state <> 'sent' AND m.status IN ('pending', 'sent')"
    "  THEN CASE WHEN t.state = 'delivered' THEN t.reported_at END ELSE m.delivered_at END,"
    " error = CASE WHEN t.state = 'failed' AND m.status IN ('pending', 'sent')"
    "  THEN t.detail ELSE m.error END"
    " FROM taken t WHERE m.gateway_ref = t.gateway_ref"
    " RETURNING m.id, m.gateway_ref, t.state AS report_state"
)


async def apply_parked_reports(conn: Conn, gateway_refs: Sequence[str] | None = None) -> int:
    """Apply the parked reports (of ``gateway_refs``, or all) whose reference a message
    carries now, and forget them; returns how many messages they reached.

    Safe with concurrent workers: a report being taken by another is skipped, not waited
    for, and each is applied once.
    """
    refs = list(gateway_refs) if gateway_refs is not None else None
    cur = await conn.execute(_APPLY_PARKED, {"refs": refs})
    return len(await cur.fetchall())


async def drop_expired_reports(conn: Conn, now: datetime) -> int:
    """Forget the parked reports kept past their time; returns how many."""
    cur = await conn.execute("DELETE FROM outbox_unmatched_reports WHERE kept_until <= %s", (now,))
    return cur.rowcount


async def parked_report(conn: Conn, gateway_ref: str) -> Row | None:
    """The report kept for ``gateway_ref``, if any."""
    cur = await conn.execute(
        "SELECT * FROM outbox_unmatched_reports WHERE gateway_ref = %s", (gateway_ref,)
    )
    return await cur.fetchone()


async def list_messages(
    conn: Conn, channel: str | None, order_id: int | None, limit: int = 200
) -> list[Row]:
    """Messages, newest first, of one channel and/or one order."""
    cur = await conn.execute(
        "SELECT m.*, o.number FROM outbox m LEFT JOIN orders o ON o.id = m.order_id"
        " WHERE (%(ch)s::text IS NULL OR m.channel = %(ch)s)"
        " AND (%(oid)s::bigint IS NULL OR m.order_id = %(oid)s)"
        " ORDER BY m.id DESC LIMIT %(limit)s",
        {"ch": channel, "oid": order_id, "limit": limit},
    )
    return await cur.fetchall()


async def get_message(conn: Conn, message_id: int) -> Row | None:
    """One message."""
    cur = await conn.execute("SELECT * FROM outbox WHERE id = %s", (message_id,))
    return await cur.fetchone()
