"""SQL for wall links: the wall-screen tokens a duty officer (or an admin) made, each a row.

A link is revoked on its own (its issuer or an admin) or with every other link of its
issuer (a new password, deactivation, a new role or unit). A revocation draws a generation
from ``user_token_generation`` under
:attr:`~dispatch_center.store.locks.AdvisoryLock.TOKEN_GENERATION`, like the users' own
revocations in :mod:`dispatch_center.store.accounts`, so :func:`revoked_after` N misses none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from dispatch_center.store.locks import AdvisoryLock

Row = dict[str, Any]

_LOCK = "SELECT pg_advisory_xact_lock(%s)"
_COLUMNS = (
    "id, issued_by, role, unit_code, issued_at, expires_at, revoked_at, revoked_by,"
    " revoked_reason, revoked_generation"
)


async def issue(
    conn: psycopg.AsyncConnection[Row],
    username: str,
    generation: int,
    issued_at: datetime,
    ttl: timedelta,
) -> Row | None:
    """A new link for ``username``, valid for ``ttl`` from ``issued_at`` (the token's own
    times); None unless the account is active and still in token ``generation`` (the
    issuer's token was not revoked meanwhile).
    """
    cur = await conn.execute(
        f"INSERT INTO wall_links (issued_by, role, unit_code, issued_at, expires_at)"
        f" SELECT username, role, unit_code, %s, %s FROM users"
        f" WHERE username = %s AND active AND token_generation = %s"
        f" RETURNING {_COLUMNS}",
        (issued_at, issued_at + ttl, username, generation),
    )
    return await cur.fetchone()


async def links(
    conn: psycopg.AsyncConnection[Row], issued_by: str | None, limit: int = 100
) -> list[Row]:
    """The newest links of ``issued_by`` (every issuer's for None), newest first."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS}, expires_at <= now() AS expired FROM wall_links"
        f" WHERE %s::text IS NULL OR issued_by = %s ORDER BY id DESC LIMIT %s",
        (issued_by, issued_by, limit),
    )
    return await cur.fetchall()


async def get(conn: psycopg.AsyncConnection[Row], link_id: int) -> Row | None:
    """One link (with ``expired``), or None."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS}, expires_at <= now() AS expired FROM wall_links WHERE id = %s",
        (link_id,),
    )
    return await cur.fetchone()


async def revoke(
    conn: psycopg.AsyncConnection[Row], link_id: int, *, by: str, reason: str
) -> Row | None:
    """Revoke one link still in force; None when it is already revoked (or there is none)."""
    async with conn.transaction():
        await conn.execute(_LOCK, (int(AdvisoryLock.TOKEN_GENERATION),))
        cur = await conn.execute(
            "UPDATE wall_links SET revoked_at = now(), revoked_by = %s, revoked_reason = %s,"
            " revoked_generation = nextval('user_token_generation')"
            f" WHERE id = %s AND revoked_at IS NULL RETURNING {_COLUMNS}",
            (by, reason, link_id),
        )
        return await cur.fetchone()


async def revoke_all_of(
    conn: psycopg.AsyncConnection[Row], username: str, *, by: str, reason: str
) -> list[int]:
    """Revoke every unexpired link ``username`` issued; the ids revoked."""
    async with conn.transaction():
        await conn.execute(_LOCK, (int(AdvisoryLock.TOKEN_GENERATION),))
        cur = await conn.execute(
            "UPDATE wall_links SET revoked_at = now(), revoked_by = %s, revoked_reason = %s,"
            " revoked_generation = nextval('user_token_generation')"
            " WHERE issued_by = %s AND revoked_at IS NULL AND expires_at > now() RETURNING id",
            (by, reason, username),
        )
        return [r["id"] for r in await cur.fetchall()]


async def revoked_after(conn: psycopg.AsyncConnection[Row], after: int) -> list[Row]:
    """``id`` and ``revoked_generation`` of every unexpired link revoked above generation
    ``after``, lowest first (an expired link's token is refused by its expiry anyway).
    """
    cur = await conn.execute(
        "SELECT id, revoked_generation FROM wall_links"
        " WHERE revoked_generation > %s AND expires_at > now() ORDER BY revoked_generation",
        (after,),
    )
    return await cur.fetchall()


async def standing(conn: psycopg.AsyncConnection[Row], link_id: int) -> Row | None:
    """Whether one link is revoked: ``revoked`` (bool), or None when there is no such link."""
    cur = await conn.execute(
        "SELECT id, revoked_at IS NOT NULL AS revoked FROM wall_links WHERE id = %s",
        (link_id,),
    )
    return await cur.fetchone()
