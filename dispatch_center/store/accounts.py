"""SQL for user accounts and the audit log."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]


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
    """Create an account, or reset its password, role and unit."""
    cur = await conn.execute(
        "INSERT INTO users (username, display_name, password_hash, role, unit_code)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name,"
        " password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,"
        " unit_code = EXCLUDED.unit_code, active = true"
        " RETURNING id, username, display_name, role, unit_code, active, created_at",
        (username, display_name, password_hash, role, unit_code),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


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
