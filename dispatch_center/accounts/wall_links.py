"""Wall links: the long-lived tokens a duty officer (or an admin) makes for wall screens.

Each link is a row (:mod:`dispatch_center.store.wall_links`) and its token names the row,
so a link lives its own life: it runs for ``DISPATCH_WALL_TOKEN_TTL_DAYS`` whatever its
issuer does with their own session (signing out at shift change leaves the wall lit), and
ends when it expires or is revoked here: by its issuer, or by an admin. A new password,
deactivation, or a new role or unit of the issuer revokes every link they made
(:mod:`~dispatch_center.accounts.sessions`, :mod:`~dispatch_center.accounts.users`). Making
and revoking a link are written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dispatch_center.accounts.ledger import announce_revocation
from dispatch_center.accounts.security import WALL_SCOPE, Principal, issue_token
from dispatch_center.center import Center
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.errors import NotFound, Unauthorized, parse_id
from dispatch_center.models import TokenPublic
from dispatch_center.store import accounts as account_store
from dispatch_center.store import wall_links as store

Row = dict[str, Any]


async def issue(center: Center, who: Principal) -> TokenPublic:
    """A token for a wall screen, valid for ``DISPATCH_WALL_TOKEN_TTL_DAYS``: it reads the
    wall and nothing else, and names its new wall link (see the module's notes).
    """
    ttl = timedelta(days=center.settings.wall_token_ttl_days)
    # One moment for the row and the token, so the list shows the token's own expiry.
    at = datetime.now(UTC).replace(microsecond=0)
    async with center.db.connection() as conn, conn.transaction():
        row = await store.issue(conn, who.username, who.generation, at, ttl)
        if row is None:  # signed out or deactivated since the caller's token was checked
            raise Unauthorized("token revoked: sign in again")
        await account_store.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="wall_link.issue",
            entity=f"wall_link:{row['id']}",
            data={"expires_at": row["expires_at"].isoformat()},
        )
    wall = Principal(
        who.username, who.role, who.unit_code, WALL_SCOPE, who.generation, link=row["id"]
    )
    return TokenPublic(
        access_token=issue_token(wall, center.secret_key, ttl, now=at),
        expires_in=int(ttl.total_seconds()),
        role=who.role.value,
    )


async def list_links(center: Center, who: Principal) -> list[Row]:
    """The wall links ``who`` made, newest first (an admin sees every issuer's)."""
    async with center.db.connection() as conn:
        rows = await store.links(conn, None if who.role is Role.admin else who.username)
    return [link_view(r) for r in rows]


async def revoke(center: Center, who: Principal, link_id: str) -> Row:
    """Revoke one wall link at once: its wall is refused from the next request, and an open
    wall socket is closed within about a second (every worker's ledger hears of it). Its
    issuer or an admin may; anyone else gets 404. Revoking a revoked link changes nothing.
    """
    lid = parse_id(link_id, "wall link")
    async with center.db.connection() as conn, conn.transaction():
        row = await store.get(conn, lid)
        if row is None or (who.role is not Role.admin and row["issued_by"] != who.username):
            raise NotFound(f"no wall link {link_id!r}")
        if row["revoked_at"] is not None:
            return link_view(row)
        revoked = await store.revoke(conn, lid, by=who.username, reason="wall_link.revoke")
        if revoked is None:  # revoked meanwhile by someone else
            return link_view(row | {"revoked_at": datetime.now(UTC)})
        await account_store.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="wall_link.revoke",
            entity=f"wall_link:{lid}",
            data={"issued_by": row["issued_by"]},
        )
        row = await store.get(conn, lid)
    assert row is not None
    await announce_revocation(center, row["issued_by"], None, [lid])
    return link_view(row)


def link_view(r: Row) -> Row:
    """A wall link on the wire: ``status`` is ``active``, ``expired`` or ``revoked``.

    Examples
    --------
    >>> at = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    >>> v = link_view({"id": 7, "issued_by": "duty", "role": "duty_officer", "unit_code": None,
    ...     "issued_at": at, "expires_at": at, "revoked_at": None, "revoked_by": None,
    ...     "revoked_reason": None, "expired": True})
    >>> v["id"], v["status"], v["issued_at"]
    ('7', 'expired', '2026-12-05T08:00:00+08:00')
    """
    revoked = r["revoked_at"] is not None
    status = "revoked" if revoked else "expired" if r["expired"] else "active"
    return {
        "id": str(r["id"]),
        "issued_by": r["issued_by"],
        "role": r["role"],
        "unit_code": r["unit_code"],
        "issued_at": to_shanghai(r["issued_at"]).isoformat(),
        "expires_at": to_shanghai(r["expires_at"]).isoformat(),
        "status": status,
        "revoked_at": to_shanghai(r["revoked_at"]).isoformat() if revoked else None,
        "revoked_by": r["revoked_by"],
        "revoked_reason": r["revoked_reason"],
    }
