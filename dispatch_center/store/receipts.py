"""SQL for action receipts (``action_receipts``, migration 025): the first answer to an
action a phone sent with a client id, so a repeat of it does not act twice.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]


async def get_receipt(
    conn: psycopg.AsyncConnection[Row], username: str, client_id: str
) -> Row | None:
    """The receipt of ``username``'s action ``client_id``, if it was applied."""
    cur = await conn.execute(
        "SELECT order_id, action, status, answer, at FROM action_receipts"
        " WHERE username = %s AND client_id = %s",
        (username, client_id),
    )
    return await cur.fetchone()


async def add_receipt(
    conn: psycopg.AsyncConnection[Row],
    username: str,
    client_id: str,
    order_id: int,
    action: str,
    answer: dict[str, Any],
) -> None:
    """Record an applied action; a second record of the same id is ignored."""
    await conn.execute(
        "INSERT INTO action_receipts (username, client_id, order_id, action, status, answer)"
        " VALUES (%s, %s, %s, %s, 200, %s) ON CONFLICT DO NOTHING",
        (username, client_id, order_id, action, Jsonb(answer)),
    )
