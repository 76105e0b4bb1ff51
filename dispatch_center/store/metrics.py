"""SQL of the figures ``/metrics`` reports: orders by status, intake and outbox backlogs.

Each query reads an index (``orders_status_idx``, the partial ``pending`` indexes of
``intake`` and ``outbox``) so a scrape every 15 s costs the database little.
"""

from __future__ import annotations

from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def orders_by_status(conn: Conn) -> list[Row]:
    """``status`` and ``n`` for every status that has orders."""
    cur = await conn.execute("SELECT status, count(*) AS n FROM orders GROUP BY status")
    return await cur.fetchall()


async def intake_backlog(conn: Conn) -> list[Row]:
    """Per outside system: accepted payloads not yet processed and the oldest one's age (s)."""
    cur = await conn.execute(
        "SELECT system, count(*) AS n,"
        " EXTRACT(EPOCH FROM now() - min(received_at))::float8 AS oldest_s"
        " FROM intake WHERE status = 'pending' GROUP BY system"
    )
    return await cur.fetchall()


async def outbox_backlog(conn: Conn) -> list[Row]:
    """Per channel: notifications not yet sent and the oldest one's age (s)."""
    cur = await conn.execute(
        "SELECT channel, count(*) AS n,"
        " EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_s"
        " FROM outbox WHERE status = 'pending' GROUP BY channel"
    )
    return await cur.fetchall()


async def change_log_head(conn: Conn) -> int:
    """The newest committed sequence number of the change log (the walls' position)."""
    cur = await conn.execute("SELECT last FROM change_seq")
    row = await cur.fetchone()
    return int(row["last"]) if row else 0
