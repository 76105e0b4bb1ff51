"""Typed dependencies: the running center and the authenticated, role-checked caller."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from dispatch_center.accounts.security import Principal, decode_token
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Unauthorized

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_center(request: Request) -> Center:
    """The process's center, set up by the app's lifespan.

    Async on purpose: FastAPI runs a plain ``def`` dependency in a thread pool,
    a hop that cost more than the work on every request.
    """
    center: Center = request.app.state.center
    return center


CenterDep = Annotated[Center, Depends(get_center)]


async def current_principal(
    request: Request, center: CenterDep, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    """The caller named by the bearer token (or the session cookie of a page)."""
    token = token or request.cookies.get("dc_session")
    if not token:
        raise Unauthorized("sign in: Authorization: Bearer <token> is required")
    who = decode_token(token, request.app.state.secret_key)
    if who.scope == "wall" and request.method not in ("GET", "HEAD", "OPTIONS"):
        # A wall screen's token lives for weeks on a kiosk: it may watch, not act.
        raise Forbidden("a wall-screen token is read-only")
    return who


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles`` (all roles when none are given)."""
    allowed = frozenset(roles)

    async def _check(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if allowed and who.role not in allowed:
            raise Forbidden(
                f"role {who.role.value!r} may not do this; allowed: {', '.join(sorted(allowed))}"
            )
        return who

    return _check


AnyUser = Annotated[Principal, Depends(require())]
Admin = Annotated[Principal, Depends(require(Role.admin))]
CenterStaff = Annotated[
    Principal,
    Depends(
        require(
            Role.admin,
            Role.duty_officer,
            Role.dispatcher,
            Role.leader,
            Role.auditor,
            Role.flood_hq,
            Role.holiday_hq,
        )
    ),
]
Intake = Annotated[Principal, Depends(require(Role.admin, Role.duty_officer, Role.dispatcher))]
WallIssuer = Annotated[Principal, Depends(require(Role.admin, Role.duty_officer))]
