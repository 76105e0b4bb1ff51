"""SQL of Web Push: the phones that allowed notifications (``push_subscriptions``,
migration 025) and the ``webpush`` messages of the outbox addressed to a unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def add_subscription(
    conn: Conn, username: str, endpoint: str, p256dh: str, auth: str
) -> None:
    """Keep a browser's subscription (the same endpoint again replaces it)."""
    await conn.execute(
        "INSERT INTO push_subscriptions (endpoint, username, p256dh, auth) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (endpoint) DO UPDATE SET username = EXCLUDED.username,"
        " p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth",
        (endpoint, username, p256dh, auth),
    )


async def drop_subscription(conn: Conn, endpoint: str) -> None:
    """Forget a subscription (the push service said it is gone)."""
    await conn.execute("DELETE FROM push_subscriptions WHERE endpoint = %s", (endpoint,))


async def unit_subscriptions(conn: Conn, unit: str) -> list[Row]:
    """The subscriptions of the active accounts of ``unit``."""
    cur = await conn.execute(
        "SELECT s.endpoint, s.p256dh, s.auth, s.username FROM push_subscriptions s"
        " JOIN users u ON u.username = s.username"
        " WHERE u.unit_code = %s AND u.active",
        (unit,),
    )
    return await cur.fetchall()


async def enqueue_push(
    conn: Conn, unit: str | None, body: str, ref_kind: str, ref_id: str, at: datetime
) -> None:
    """Queue a ``webpush`` message to ``unit`` in the outbox, only when one of its people
    allowed notifications (no pending rows for units nobody will ever read on a phone).
    """
    if not unit:
        return
    await conn.execute(
        "INSERT INTO outbox (channel, recipient, body, ref_kind, ref_id, created_at)"
        " SELECT 'webpush', %(recipient)s, %(body)s, %(kind)s, %(ref)s, %(at)s"
        " WHERE EXISTS (SELECT 1 FROM push_subscriptions s JOIN users u"
        "   ON u.username = s.username WHERE u.unit_code = %(unit)s AND u.active)",
        {
            "recipient": f"unit:{unit}",
            "body": body,
            "kind": ref_kind,
            "ref": ref_id,
            "at": at,
            "unit": unit,
        },
    )
