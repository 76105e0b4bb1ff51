"""Signing in and out: tokens for valid credentials, wall-screen tokens, logout and a new
password, each of the last two ending every token of the user at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dispatch_center.accounts import throttle
from dispatch_center.accounts.ledger import Standing, announce_revocation
from dispatch_center.accounts.passwords import password_work
from dispatch_center.accounts.security import WALL_SCOPE, Principal, issue_token
from dispatch_center.center import Center
from dispatch_center.core.credentials import password_problem
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, Unauthorized
from dispatch_center.models import TokenPublic
from dispatch_center.store import accounts as store


@dataclass(frozen=True)
class SignedIn:
    """A token and who it speaks for."""

    who: Principal
    token: TokenPublic


async def sign_in(
    center: Center, username: str, password: str, address: str | None = None
) -> SignedIn:
    """A bearer token for valid credentials; one vague 401 otherwise, and 429 while the
    user or the client ``address`` is locked out (:mod:`~dispatch_center.accounts.throttle`).
    """
    async with center.db.connection() as conn:
        user = await store.get_user(conn, username)
    known = user["password_hash"] if user else None
    work = password_work(center)
    ok = await throttle.checked(center, username, address, lambda: work.verify(known, password))
    if not user or not ok or not user["active"]:
        raise Unauthorized("wrong username or password")
    who = Principal(
        user["username"],
        Role(user["role"]),
        user["unit_code"],
        generation=user["token_generation"],
    )
    return SignedIn(who, _token(center, who, timedelta(minutes=center.settings.token_ttl_minutes)))


def wall_token(center: Center, who: Principal) -> TokenPublic:
    """A token for a wall screen, valid for DISPATCH_WALL_TOKEN_TTL_DAYS: it reads the wall
    and nothing else, and ends with its issuer's other tokens (same generation).
    """
    wall = Principal(who.username, who.role, who.unit_code, WALL_SCOPE, who.generation)
    return _token(center, wall, timedelta(days=center.settings.wall_token_ttl_days))


async def sign_out(center: Center, who: Principal) -> None:
    """End every token of ``who``'s user (every device, and the wall screens they opened)."""
    await _revoke(center, who, action="auth.logout")


async def change_password(
    center: Center, who: Principal, old: str, new: str, address: str | None = None
) -> SignedIn:
    """Set a new password after checking the old one (throttled like a sign-in) and the
    new one's strength; every older token ends, and the caller gets a fresh one.
    """
    weak = password_problem(new, who.username)
    if weak is not None:
        raise Invalid(f"the new password {weak}", fields={"new_password": f"too weak: it {weak}"})
    async with center.db.connection() as conn:
        user = await store.get_user(conn, who.username)
    known = user["password_hash"] if user else None
    work = password_work(center)
    if not await throttle.checked(center, who.username, address, lambda: work.verify(known, old)):
        raise Invalid("the current password is wrong", fields={"old_password": "does not match"})
    hashed = await work.hash(new)
    row = await _revoke(center, who, action="auth.password", password_hash=hashed)
    fresh = Principal(who.username, who.role, who.unit_code, generation=row.generation)
    ttl = timedelta(minutes=center.settings.token_ttl_minutes)
    return SignedIn(fresh, _token(center, fresh, ttl))


async def _revoke(
    center: Center, who: Principal, *, action: str, password_hash: str | None = None
) -> Standing:
    async with center.db.connection() as conn, conn.transaction():
        row = await store.revoke_tokens(conn, who.username, password_hash=password_hash)
        if row is None:
            raise Unauthorized("no such user")
        await store.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action=action,
            entity=f"user:{who.username}",
            data={},
        )
    standing = Standing(row["token_generation"], row["active"])
    await announce_revocation(center, who.username, standing)
    return standing


def _token(center: Center, who: Principal, ttl: timedelta) -> TokenPublic:
    return TokenPublic(
        access_token=issue_token(who, center.secret_key, ttl),
        expires_in=int(ttl.total_seconds()),
        role=who.role.value,
    )
