"""SQL of the signed intake's replay memory (migration 018): signatures and nonces seen
within their timestamp window, shared by every worker. Times are the database's clock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

Row = dict[str, Any]


async def remember(
    conn: psycopg.AsyncConnection[Row], scope: str, nonce: str, digest: str, keep: timedelta
) -> str | None:
    """Record ``nonce`` of ``scope`` for ``keep``; None when it is new, else the body digest
    it was first seen with (a replay, or a retry when the digest is the same).
    """
    cur = await conn.execute(
        "INSERT INTO intake_nonces (scope, nonce, digest, expires_at)"
        " VALUES (%s, %s, %s, now() + %s) ON CONFLICT (scope, nonce) DO NOTHING RETURNING 1",
        (scope, nonce, digest, keep),
    )
    if await cur.fetchone() is not None:
        return None
    cur = await conn.execute(
        "SELECT digest FROM intake_nonces WHERE scope = %s AND nonce = %s", (scope, nonce)
    )
    row = await cur.fetchone()
    return str(row["digest"]) if row else ""


async def purge(conn: psycopg.AsyncConnection[Row]) -> int:
    """Forget what can no longer match a fresh request; how many rows."""
    cur = await conn.execute("DELETE FROM intake_nonces WHERE expires_at < now()")
    return cur.rowcount
