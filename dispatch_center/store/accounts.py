"""SQL for user accounts, their token generations and the audit log.

A user's ``token_generation`` rises whenever their tokens must end (logout, a new password,
deactivation, a new role or unit). Every statement that draws a generation first takes
:attr:`~dispatch_center.store.locks.AdvisoryLock.TOKEN_GENERATION`, so generations commit in
the order they were drawn and :func:`token_generations` after N misses none.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch_center.store import wall_links
from dispatch_center.store.locks import AdvisoryLock

Row = dict[str, Any]

_LOCK = "SELECT pg_advisory_xact_lock(%s)"


async def get_user(conn: psycopg.AsyncConnection[Row], username: str) -> Row | None:
    """One account by username."""
    cur = await conn.execute("SELECT * FROM users WHERE username = %s", (username,))
    return await cur.fetchone()


async def list_users(conn: psycopg.AsyncConnection[Row]) -> list[Row]:
    """Every account, without password hashes."""
    cur = await conn.execute(
        "SELECT id, username, display_name, role, unit_code, active, created_at"
        " FROM users ORDER BY username"
    )
    return await cur.fetchall()


async def upsert_user(
    conn: psycopg.AsyncConnection[Row],
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    unit_code: str | None,
) -> Row:
    """Create an account, or reset its password, role and unit.

    A reset that changes the role or the unit, or reactivates the account, ends its tokens
    and its wall links (they carry the old role and unit); one that changes nothing else
    keeps them, so the demo, which resets its accounts at every start, does not sign
    everyone out.
    """
    async with conn.transaction():
        await conn.execute(_LOCK, (int(AdvisoryLock.TOKEN_GENERATION),))
        cur = await conn.execute(
            "SELECT token_generation FROM users WHERE username = %s FOR UPDATE", (username,)
        )
        before = await cur.fetchone()
        cur = await conn.execute(
            "INSERT INTO users (username, display_name, password_hash, role, unit_code)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name,"
            " password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,"
            " unit_code = EXCLUDED.unit_code, active = true,"
            " token_generation = CASE"
            "  WHEN (users.role, users.unit_code, users.active)"
            "   IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.unit_code, true)"
            "  THEN nextval('user_token_generation') ELSE users.token_generation END"
            " RETURNING id, username, display_name, role, unit_code, active, created_at,"
            " token_generation",
            (username, display_name, password_hash, role, unit_code),
        )
        row = await cur.fetchone()
        assert row is not None
        if before is not None and before["token_generation"] != row["token_generation"]:
            # The wall links carry the old role and unit too.
            await wall_links.revoke_all_of(conn, username, by="system", reason="account changed")
    return row


async def token_generations(conn: psycopg.AsyncConnection[Row], after: int) -> list[Row]:
    """``username``, ``token_generation`` and ``active`` of every user whose generation is
    above ``after`` (all users for ``after`` = -1), lowest first.
    """
    cur = await conn.execute(
        "SELECT username, token_generation, active FROM users"
        " WHERE token_generation > %s ORDER BY token_generation",
        (after,),
    )
    return await cur.fetchall()


async def token_standing(conn: psycopg.AsyncConnection[Row], username: str) -> Row | None:
    """One user's ``token_generation`` and ``active``."""
    cur = await conn.execute(
        "SELECT username, token_generation, active FROM users WHERE username = %s",
        (username,),
    )
    return await cur.fetchone()


async def revoke_tokens(
    conn: psycopg.AsyncConnection[Row],
    username: str,
    *,
    deactivate: bool = False,
    password_hash: str | None = None,
) -> Row | None:
    """Give ``username`` a new token generation (ending every token issued before), and
    optionally deactivate the account or set a new password in the same statement.

    Returns the account's public fields with its new ``token_generation``; None when
    there is no such user.
    """
    async with conn.transaction():
        await conn.execute(_LOCK, (int(AdvisoryLock.TOKEN_GENERATION),))
        cur = await conn.execute(
            "UPDATE users SET token_generation = nextval('user_token_generation'),"
            " active = active AND NOT %s, password_hash = coalesce(%s, password_hash)"
            " WHERE username = %s"
            " RETURNING id, username, display_name, role, unit_code, active, created_at,"
            " token_generation",
            (deactivate, password_hash, username),
        )
        return await cur.fetchone()


async def audit(
    conn: psycopg.AsyncConnection[Row],
    *,
    actor: str,
    role: str,
    action: str,
    entity: str,
    data: dict[str, Any],
) -> None:
    """Append one entry to the audit log."""
    await conn.execute(
        "INSERT INTO audit_log (actor, role, action, entity, data) VALUES (%s, %s, %s, %s, %s)",
        (actor, role, action, entity, Jsonb(data)),
    )


async def audit_entries(conn: psycopg.AsyncConnection[Row], limit: int = 200) -> list[Row]:
    """The newest audit entries."""
    cur = await conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT %s", (limit,))
    return await cur.fetchall()
