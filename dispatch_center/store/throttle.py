"""SQL of sign-in throttling: failed sign-ins per key (a user, a client address), shared by
every worker. Times are the database's clock, the one clock all workers share.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

Row = dict[str, Any]


async def locked_for(conn: psycopg.AsyncConnection[Row], keys: list[str]) -> float:
    """Seconds until the last of ``keys`` is unlocked (0 when none is locked)."""
    cur = await conn.execute(
        "SELECT coalesce(extract(epoch FROM max(locked_until) - now()), 0)::float8 AS wait"
        " FROM login_throttle WHERE key = ANY(%s) AND locked_until > now()",
        (keys,),
    )
    row = await cur.fetchone()
    return float(row["wait"]) if row else 0.0


async def record_failure(conn: psycopg.AsyncConnection[Row], key: str, window: timedelta) -> int:
    """Count one failure of ``key``; returns its failures within ``window`` of each other
    (a key quiet for longer starts again at 1).
    """
    cur = await conn.execute(
        "INSERT INTO login_throttle AS t (key, failures, last_failure_at)"
        " VALUES (%(key)s, 1, now())"
        " ON CONFLICT (key) DO UPDATE SET"
        " failures = CASE WHEN t.last_failure_at < now() - %(window)s THEN 1"
        "  ELSE t.failures + 1 END,"
        " last_failure_at = now()"
        " RETURNING failures",
        {"key": key, "window": window},
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["failures"])


async def lock(conn: psycopg.AsyncConnection[Row], key: str, seconds: float) -> None:
    """Lock ``key`` for ``seconds`` from now."""
    await conn.execute(
        "UPDATE login_throttle SET locked_until = now() + make_interval(secs => %s) WHERE key = %s",
        (seconds, key),
    )


async def clear(conn: psycopg.AsyncConnection[Row], key: str) -> None:
    """Forget ``key``'s failures (a successful sign-in)."""
    await conn.execute("DELETE FROM login_throttle WHERE key = %s", (key,))


async def purge(conn: psycopg.AsyncConnection[Row], idle: timedelta) -> None:
    """Drop keys with no failure for ``idle`` and no lock in force."""
    await conn.execute(
        "DELETE FROM login_throttle WHERE last_failure_at < now() - %s"
        " AND (locked_until IS NULL OR locked_until < now())",
        (idle,),
    )
