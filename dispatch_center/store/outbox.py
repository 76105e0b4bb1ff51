"""SQL of the outbound notification queue (``outbox``): queued by supervision, delivered
by :mod:`dispatch_center.messaging.outbox`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


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
