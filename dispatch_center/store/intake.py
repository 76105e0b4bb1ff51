"""SQL for the intake's own bookkeeping: the sources (credentials and limits), the durable
queue (the ``intake`` table and its workers), dead letters, and the feed health every worker
shares with its poll leases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


# -- sources ------------------------------------------------------------------------------


async def upsert_source(
    conn: Conn,
    system: str,
    *,
    key_hash: str | None,
    hmac_secret: str | None,
    rate_per_s: float,
    burst: int,
    max_bytes: int,
) -> None:
    """Create or refresh one source's credentials and limits (seeded from settings)."""
    await conn.execute(
        "INSERT INTO feed_sources (system, key_hash, hmac_secret, rate_per_s, burst, max_bytes)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (system) DO UPDATE SET"
        " key_hash = EXCLUDED.key_hash, hmac_secret = EXCLUDED.hmac_secret,"
        " rate_per_s = EXCLUDED.rate_per_s, burst = EXCLUDED.burst,"
        " max_bytes = EXCLUDED.max_bytes, updated_at = now()",
        (system, key_hash, hmac_secret, rate_per_s, burst, max_bytes),
    )


async def list_sources(conn: Conn) -> list[Row]:
    """Every source row."""
    cur = await conn.execute("SELECT * FROM feed_sources ORDER BY system")
    return await cur.fetchall()


# -- intake (the durable queue) ----------------------------------------------------------


async def intake_insert_many(
    conn: Conn, items: Sequence[tuple[str, datetime, str, bytes]], holder: str
) -> list[int]:
    """Persist accepted payloads ``(system, received_at, content_type, payload)``, claimed
    by ``holder`` (the worker that accepted them and will process them).

    Their ids, in order; the caller commits before any of their 202s goes out.
    """
    if not items:
        return []
    # Ids are drawn first and written explicitly, so each caller is told its own row's id
    # without relying on the order RETURNING happens to produce.
    cur = await conn.execute(
        "SELECT nextval(pg_get_serial_sequence('intake', 'id')) AS id FROM generate_series(1, %s)",
        (len(items),),
    )
    ids = [int(r["id"]) for r in await cur.fetchall()]
    await conn.execute(
        "INSERT INTO intake (id, system, received_at, content_type, payload, claimed_by,"
        " claimed_at)"
        " SELECT u.*, %s, now() FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[],"
        " %s::text[], %s::bytea[]) AS u",
        (
            holder,
            ids,
            [i[0] for i in items],
            [i[1] for i in items],
            [i[2] for i in items],
            [i[3] for i in items],
        ),
    )
    return ids


async def intake_finish_many(conn: Conn, done: Sequence[tuple[int, str | None]]) -> None:
    """Mark payloads done, or failed with their error, in one statement."""
    if not done:
        return
    await conn.execute(
        "UPDATE intake AS i SET status = CASE WHEN u.e IS NULL THEN 'done' ELSE 'failed' END,"
        " error = u.e, done_at = now(), attempts = i.attempts + 1"
        " FROM unnest(%s::bigint[], %s::text[]) AS u(id, e) WHERE i.id = u.id",
        ([d[0] for d in done], [d[1] for d in done]),
    )


async def intake_heartbeat(conn: Conn, worker: str, lease_s: float) -> None:
    """Say ``worker`` is alive for ``lease_s`` more seconds (the database's clock)."""
    await conn.execute(
        "INSERT INTO intake_workers (name, alive_until)"
        " VALUES (%s, now() + make_interval(secs => %s))"
        " ON CONFLICT (name) DO UPDATE SET alive_until = EXCLUDED.alive_until",
        (worker, lease_s),
    )


_CLAIMED = "RETURNING i.id, i.system, i.received_at, i.content_type, i.payload"


async def intake_claim(conn: Conn, worker: str, limit: int) -> list[Row]:
    """Claim pending payloads nobody is processing, oldest first, for ``worker``.

    Nobody is processing a row that has no claim (released at a clean stop, or from
    before claims existed) or whose worker's heartbeat has run out. Rows another worker
    is claiming right now are skipped, not waited for.
    """
    cur = await conn.execute(
        "WITH orphans AS ("
        " SELECT i.id FROM intake i WHERE i.status = 'pending' AND ("
        "  i.claimed_by IS NULL"
        "  OR (i.claimed_by <> %(me)s AND NOT EXISTS (SELECT 1 FROM intake_workers w"
        "      WHERE w.name = i.claimed_by AND w.alive_until > now())))"
        " ORDER BY i.id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " UPDATE intake i SET claimed_by = %(me)s, claimed_at = now() FROM orphans o"
        " WHERE i.id = o.id " + _CLAIMED,
        {"me": worker, "limit": limit},
    )
    return sorted(await cur.fetchall(), key=lambda r: int(r["id"]))


async def intake_own_stale(conn: Conn, worker: str, older_s: float) -> list[int]:
    """Ids of ``worker``'s pending rows claimed more than ``older_s`` seconds ago (the
    caller keeps those it does not hold: their accept's commit answer was lost).
    """
    cur = await conn.execute(
        "SELECT id FROM intake WHERE status = 'pending' AND claimed_by = %s"
        " AND claimed_at < now() - make_interval(secs => %s)",
        (worker, older_s),
    )
    return [int(r["id"]) for r in await cur.fetchall()]


async def intake_claim_ids(conn: Conn, worker: str, ids: Sequence[int]) -> list[Row]:
    """Claim these pending rows for ``worker`` (renewing its own claim); the rows."""
    cur = await conn.execute(
        "UPDATE intake i SET claimed_by = %s, claimed_at = now()"
        " WHERE i.id = ANY(%s) AND i.status = 'pending' " + _CLAIMED,
        (worker, list(ids)),
    )
    return sorted(await cur.fetchall(), key=lambda r: int(r["id"]))


async def intake_release(conn: Conn, worker: str) -> int:
    """A clean stop: give up ``worker``'s unfinished rows (another worker takes them at
    once) and its heartbeat; how many rows were released.
    """
    cur = await conn.execute(
        "UPDATE intake SET claimed_by = NULL, claimed_at = NULL"
        " WHERE claimed_by = %s AND status = 'pending'",
        (worker,),
    )
    await conn.execute("DELETE FROM intake_workers WHERE name = %s", (worker,))
    return cur.rowcount


async def intake_prune_workers(conn: Conn, silent_s: float) -> None:
    """Forget workers silent for ``silent_s`` seconds (their rows were taken over)."""
    await conn.execute(
        "DELETE FROM intake_workers WHERE alive_until < now() - make_interval(secs => %s)",
        (silent_s,),
    )


# -- dead letters -------------------------------------------------------------------------


async def dead_letter_insert(
    conn: Conn,
    system: str,
    received_at: datetime,
    content_type: str,
    payload: bytes,
    error: str,
    field: str | None,
) -> int:
    """Keep a payload that could not be understood."""
    cur = await conn.execute(
        "INSERT INTO dead_letters (system, received_at, content_type, payload, error, field)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (system, received_at, content_type, payload, error, field),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def dead_letters(
    conn: Conn, *, system: str | None, include_replayed: bool, before_id: int | None, limit: int
) -> list[Row]:
    """Dead letters, newest first."""
    cur = await conn.execute(
        "SELECT * FROM dead_letters WHERE (%(system)s::text IS NULL OR system = %(system)s)"
        " AND (%(all)s OR replayed_at IS NULL)"
        " AND (%(before)s::bigint IS NULL OR id < %(before)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"system": system, "all": include_replayed, "before": before_id, "limit": limit},
    )
    return await cur.fetchall()


async def dead_letter_get(conn: Conn, dead_id: int) -> Row | None:
    """One dead letter."""
    cur = await conn.execute("SELECT * FROM dead_letters WHERE id = %s", (dead_id,))
    return await cur.fetchone()


async def dead_letter_replayed(conn: Conn, dead_id: int, at: datetime, result: str) -> None:
    """Record a successful replay (a failed replay leaves the letter open)."""
    await conn.execute(
        "UPDATE dead_letters SET replayed_at = %s, replay_result = %s WHERE id = %s",
        (at, result, dead_id),
    )


# -- shared feed health and poll leases ------------------------------------------------------

HEALTH_COLUMNS = (
    "system",
    "worker",
    "mode",
    "interval_s",
    "watched_since",
    "last_seen",
    "last_attempt",
    "lag_s",
    "last_error",
    "consecutive_failures",
    "attempts",
    "failures",
    "updated_at",
)


async def health_write(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert one worker's health rows (``HEALTH_COLUMNS``), in one statement."""
    if not rows:
        return
    cols = ", ".join(HEALTH_COLUMNS)
    marks = ", ".join(["%s"] * len(HEALTH_COLUMNS))
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in HEALTH_COLUMNS[2:])
    values = ", ".join([f"({marks})"] * len(rows))
    await conn.execute(
        f"INSERT INTO feed_health ({cols}) VALUES {values}"
        f" ON CONFLICT (system, worker) DO UPDATE SET {update}",
        [r[c] for r in rows for c in HEALTH_COLUMNS],
    )


async def health_rows(conn: Conn) -> list[Row]:
    """Every worker's health rows."""
    cur = await conn.execute(
        f"SELECT {', '.join(HEALTH_COLUMNS)} FROM feed_health ORDER BY system, worker"
    )
    return await cur.fetchall()


async def health_prune(conn: Conn, before: datetime) -> int:
    """Forget workers silent since ``before`` (stopped long ago); how many rows went."""
    cur = await conn.execute("DELETE FROM feed_health WHERE updated_at < %s", (before,))
    return cur.rowcount


async def poll_claim(conn: Conn, system: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew the lease to poll ``system`` until ``until``; False if another holds it."""
    cur = await conn.execute(
        "INSERT INTO feed_poll_leases (system, holder, until) VALUES (%s, %s, %s)"
        " ON CONFLICT (system) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until"
        " WHERE feed_poll_leases.holder = EXCLUDED.holder OR feed_poll_leases.until < %s"
        " RETURNING holder",
        (system, holder, until, now),
    )
    return await cur.fetchone() is not None


async def poll_release(conn: Conn, holder: str) -> None:
    """Give up every lease of ``holder`` (a clean stop: another worker takes over at once)."""
    await conn.execute("DELETE FROM feed_poll_leases WHERE holder = %s", (holder,))


async def announce_health(conn: Conn, statuses: Mapping[str, str], at: datetime) -> list[str]:
    """Record feed statuses as announced; the systems whose announced status this changed.

    Runs in the transaction that writes the ``feed.health`` change: a worker racing with
    another on the same new status waits on the row lock and then changes nothing, so it
    announces nothing.
    """
    if not statuses:
        return []
    cur = await conn.execute(
        "INSERT INTO feed_health_announced AS a (system, status, at)"
        " SELECT s, st, %s FROM unnest(%s::text[], %s::text[]) AS u(s, st)"
        " ON CONFLICT (system) DO UPDATE SET status = EXCLUDED.status, at = EXCLUDED.at"
        " WHERE a.status IS DISTINCT FROM EXCLUDED.status"
        " RETURNING system",
        (at, list(statuses), list(statuses.values())),
    )
    return [r["system"] for r in await cur.fetchall()]
