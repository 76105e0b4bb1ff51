"""Accounts: sign-in, creation, listing and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dispatch_center.accounts.security import Principal, hash_password, issue_token, verify_password
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Invalid, Unauthorized
from dispatch_center.models import TokenPublic, UserCreate
from dispatch_center.store import accounts as store


async def sign_in(center: Center, username: str, password: str) -> TokenPublic:
    """A bearer token for valid credentials; one vague 401 otherwise."""
    async with center.db.connection() as conn:
        user = await store.get_user(conn, username)
    ok = verify_password(user["password_hash"] if user else None, password)
    if not user or not ok or not user["active"]:
        raise Unauthorized("wrong username or password")
    ttl = timedelta(minutes=center.settings.token_ttl_minutes)
    who = Principal(user["username"], Role(user["role"]), user["unit_code"])
    return TokenPublic(
        access_token=issue_token(who, center.secret_key, ttl),
        expires_in=int(ttl.total_seconds()),
        role=who.role.value,
    )


def wall_token(center: Center, who: Principal) -> TokenPublic:
    """A read-only token for a wall screen, valid for DISPATCH_WALL_TOKEN_TTL_DAYS."""
    ttl = timedelta(days=center.settings.wall_token_ttl_days)
    wall = Principal(who.username, who.role, who.unit_code, scope="wall")
    return TokenPublic(
        access_token=issue_token(wall, center.secret_key, ttl),
        expires_in=int(ttl.total_seconds()),
        role=who.role.value,
    )


async def create_user(center: Center, who: Principal, body: UserCreate) -> dict[str, Any]:
    """Create an account; a handler must name a known unit."""
    if body.role == "handler" and not body.unit_code:
        raise Invalid("a handler is bound to a unit", fields={"unit_code": "required for handler"})
    if body.unit_code and body.unit_code not in center.reference.units:
        raise Invalid(f"unknown unit {body.unit_code!r}", fields={"unit_code": "not a known unit"})
    async with center.db.connection() as conn:
        if await store.get_user(conn, body.username):
            raise Conflict(f"user {body.username!r} exists", fields={"username": "taken"})
        async with conn.transaction():
            row = await store.upsert_user(
                conn,
                username=body.username,
                display_name=body.display_name,
                password_hash=hash_password(body.password),
                role=body.role,
                unit_code=body.unit_code,
            )
            await store.audit(
                conn,
                actor=who.username,
                role=who.role.value,
                action="user.create",
                entity=f"user:{body.username}",
                data={"role": body.role, "unit_code": body.unit_code},
            )
    return _public(row)


async def list_users(center: Center) -> list[dict[str, Any]]:
    """Every account, public fields only."""
    async with center.db.connection() as conn:
        return [_public(r) for r in await store.list_users(conn)]


async def audit_entries(center: Center, limit: int) -> list[dict[str, Any]]:
    """Newest audit entries."""
    async with center.db.connection() as conn:
        rows = await store.audit_entries(conn, limit)
    return [{**r, "id": str(r["id"]), "at": r["at"].isoformat()} for r in rows]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "unit_code": row["unit_code"],
        "active": row["active"],
        "created_at": row["created_at"].isoformat(),
    }
