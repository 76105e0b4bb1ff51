"""Accounts: creation, deactivation, listing and the audit trail."""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.ledger import Standing, announce_revocation
from dispatch_center.accounts.passwords import password_work
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.credentials import password_problem
from dispatch_center.errors import Conflict, Invalid, NotFound
from dispatch_center.models import UserCreate
from dispatch_center.store import accounts as store
from dispatch_center.store import wall_links as wall_store


async def create_user(center: Center, who: Principal, body: UserCreate) -> dict[str, Any]:
    """Create an account; a handler must name a known unit, and the password must pass
    :func:`~dispatch_center.core.credentials.password_problem`.
    """
    if body.role == "handler" and not body.unit_code:
        raise Invalid("a handler is bound to a unit", fields={"unit_code": "required for handler"})
    # `is not None`: an empty code is no unit either, and it reached the foreign key (500).
    if body.unit_code is not None and body.unit_code not in center.reference.units:
        raise Invalid(f"unknown unit {body.unit_code!r}", fields={"unit_code": "not a known unit"})
    weak = password_problem(body.password, body.username)
    if weak is not None:
        raise Invalid(f"the password {weak}", fields={"password": f"too weak: it {weak}"})
    async with center.db.connection() as conn:
        if await store.get_user(conn, body.username):
            raise Conflict(f"user {body.username!r} exists", fields={"username": "taken"})
    hashed = await password_work(center).hash(body.password)
    async with center.db.connection() as conn:
        if await store.get_user(conn, body.username):
            raise Conflict(f"user {body.username!r} exists", fields={"username": "taken"})
        async with conn.transaction():
            row = await store.upsert_user(
                conn,
                username=body.username,
                display_name=body.display_name,
                password_hash=hashed,
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


async def deactivate_user(center: Center, who: Principal, username: str) -> dict[str, Any]:
    """Deactivate an account: it can no longer sign in, and every token it holds ends at
    once (the wall links it made are revoked too).
    """
    if username == who.username:
        raise Conflict("you cannot deactivate your own account", fields={"username": "yourself"})
    async with center.db.connection() as conn, conn.transaction():
        row = await store.revoke_tokens(conn, username, deactivate=True)
        if row is None:
            raise NotFound(f"no user {username!r}")
        links = await wall_store.revoke_all_of(
            conn, username, by=who.username, reason="user.deactivate"
        )
        await store.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="user.deactivate",
            entity=f"user:{username}",
            data={"wall_links_revoked": links} if links else {},
        )
    standing = Standing(row["token_generation"], False)
    await announce_revocation(center, username, standing, links)
    return _public(row)


async def list_users(center: Center) -> list[dict[str, Any]]:
    """Every account, public fields only."""
    async with center.db.connection() as conn:
        return [_public(r) for r in await store.list_users(conn)]


async def display_name(center: Center, username: str) -> str:
    """The name a page shows for ``username`` (the username when none is set)."""
    async with center.db.connection() as conn:
        row = await store.get_user(conn, username)
    return str(row["display_name"] or username) if row else username


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
