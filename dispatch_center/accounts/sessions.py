"""Signing in and out: tokens for valid credentials, logout and a new password, each of
the last two ending every token of the person at once. Wall screens' tokens live in
:mod:`dispatch_center.accounts.wall_links`: logout leaves them running, a new password
ends them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dispatch_center.accounts import throttle
from dispatch_center.accounts.ledger import Standing, announce_revocation
from dispatch_center.accounts.passwords import password_work
from dispatch_center.accounts.security import Principal, issue_token
from dispatch_center.center import Center
from dispatch_center.core.credentials import password_problem
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, Unauthorized
from dispatch_center.models import TokenPublic
from dispatch_center.store import accounts as store
from dispatch_center.store import wall_links as wall_store


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


async def sign_out(center: Center, who: Principal) -> None:
    """End every token of ``who``'s user on every device. The wall links they made keep
    running (the wall must not go dark at shift change): they end when they expire or are
    revoked (:mod:`dispatch_center.accounts.wall_links`).
    """
    await _revoke(center, who, action="auth.logout", end_wall_links=False)


async def change_password(
    center: Center, who: Principal, old: str, new: str, address: str | None = None
) -> SignedIn:
    """Set a new password after checking the old one (throttled like a sign-in) and the
    new one's strength; every older token ends (the wall links the user made too: a new
    password is how a leaked account is taken back), and the caller gets a fresh one.
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
    row = await _revoke(
        center, who, action="auth.password", end_wall_links=True, password_hash=hashed
    )
    fresh = Principal(who.username, who.role, who.unit_code, generation=row.generation)
    ttl = timedelta(minutes=center.settings.token_ttl_minutes)
    return SignedIn(fresh, _token(center, fresh, ttl))


async def _revoke(
    center: Center,
    who: Principal,
    *,
    action: str,
    end_wall_links: bool,
    password_hash: str | None = None,
) -> Standing:
    async with center.db.connection() as conn, conn.transaction():
        row = await store.revoke_tokens(conn, who.username, password_hash=password_hash)
        if row is None:
            raise Unauthorized("no such user")
        links: list[int] = []
        if end_wall_links:
            links = await wall_store.revoke_all_of(
                conn, who.username, by=who.username, reason=action
            )
        await store.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action=action,
            entity=f"user:{who.username}",
            data={"wall_links_revoked": links} if links else {},
        )
    standing = Standing(row["token_generation"], row["active"])
    await announce_revocation(center, who.username, standing, links)
    return standing


def _token(center: Center, who: Principal, ttl: timedelta) -> TokenPublic:
    return TokenPublic(
        access_token=issue_token(who, center.secret_key, ttl),
        expires_in=int(ttl.total_seconds()),
        role=who.role.value,
    )
