"""Who a request speaks for: the one path from a token to a :class:`Principal`.

Every way in (a bearer header, the ``dc_session`` cookie, a page's or the wall socket's
``?token=``) ends here. :func:`identify` checks the signature, the expiry and whether the
token was revoked since it was issued; a :class:`Gate` then admits the principal to one
route, by role, and refuses a wall screen's token anywhere the route does not say
``wall=True``. The HTTP layer wraps gates as dependencies (:mod:`dispatch_center.api.deps`)
and never decodes a token itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dispatch_center.accounts.ledger import TokenLedger
from dispatch_center.accounts.security import Principal, TokenClaims, decode_token
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Gate:
    """Who may pass into one route.

    ``roles`` empty admits every role; ``wall`` admits a wall screen's token too (the
    wall page, its live socket and the JSON its script reads: nothing else says so).

    Examples
    --------
    >>> gate = Gate(frozenset({Role.admin}))
    >>> gate.admit(Principal("root", Role.admin)).username
    'root'
    >>> gate.admit(Principal("duty", Role.duty_officer))
    Traceback (most recent call last):
    ...
    dispatch_center.errors.Forbidden: role 'duty_officer' may not do this; allowed: admin
    >>> Gate(wall=False).admit(Principal("duty", Role.duty_officer, scope="wall"))
    Traceback (most recent call last):
    ...
    dispatch_center.errors.Forbidden: a wall-screen token reads the wall and nothing else
    """

    roles: frozenset[Role] = frozenset()
    wall: bool = False

    def admits(self, who: Principal) -> bool:
        """Whether ``who`` may pass (see :meth:`admit` for the reason when not)."""
        if who.is_wall and not self.wall:
            return False
        return not self.roles or who.role in self.roles

    def admit(self, who: Principal) -> Principal:
        """``who``, or :class:`Forbidden` saying why not."""
        if who.is_wall and not self.wall:
            # A wall screen's token lives for weeks on a kiosk: it reads the wall, and
            # carries none of its issuer's other rights.
            raise Forbidden("a wall-screen token reads the wall and nothing else")
        if self.roles and who.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            raise Forbidden(f"role {who.role.value!r} may not do this; allowed: {allowed}")
        return who


async def identify(center: Center, token: str) -> Principal:
    """The principal ``token`` speaks for; :class:`Unauthorized` when it is malformed,
    signed with another key, expired or revoked.
    """
    return (await verify(center, token)).principal


async def verify(center: Center, token: str) -> TokenClaims:
    """The token's claims, checked as :func:`identify` does (for callers that also need
    its generation or expiry, such as a live socket re-checking its token).
    """
    if not token:
        raise Unauthorized("sign in: Authorization: Bearer <token> is required")
    claims = decode_token(token, center.secret_key)
    await center.runtimes.get(TokenLedger).check(claims.principal)
    return claims


def still_valid(center: Center, claims: TokenClaims) -> Callable[[], bool]:
    """A check for a connection that outlives its first request (the wall's socket): true
    while the token has not expired and is not known to be revoked. Costs no query.
    """
    ledger = center.runtimes.get(TokenLedger)

    def check() -> bool:
        return time.time() < claims.expires_at and not ledger.revoked(claims.principal)

    return check
