"""Signing in and out: a bearer token or a session cookie, logout and a new password
(both end every token of the person at once); wall links (a wall screen's token, which
outlives its issuer's session, listed and revoked by whoever made it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from dispatch_center.accounts import sessions, wall_links
from dispatch_center.api.browser import origin_allowed
from dispatch_center.api.deps import (
    COOKIE,
    AnyUser,
    CenterDep,
    WallIssuer,
    clear_session_cookies,
    session_cookie,
)
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.accounts import (
    MePublic,
    SessionPublic,
    SignedOutPublic,
    WallLinkList,
    WallLinkPublic,
)
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.errors import Forbidden
from dispatch_center.models import TokenPublic

router = PublicRouter(prefix="/api/v1/auth", tags=["auth"])

Username = Annotated[str, Form(min_length=1, max_length=64)]
Password = Annotated[str, Form(min_length=1, max_length=200)]


def _whole(token: TokenPublic) -> TokenPublic:
    """The token with every field set: the service leaves ``token_type`` at its default,
    and a PublicRouter leaves unset fields out.
    """
    return TokenPublic.model_validate(token.model_dump())


def _address(request: Request) -> str | None:
    """The client's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy)."""
    return request.client.host if request.client else None


@router.post("/token", responses=errors(401, 422, 429))
async def token(
    request: Request, center: CenterDep, username: Username, password: Password
) -> TokenPublic:
    """Exchange a username and password for a bearer token (429 with ``Retry-After``
    after too many wrong passwords for the user or from the address).
    """
    return _whole((await sessions.sign_in(center, username, password, _address(request))).token)


@router.post("/session", responses=errors(401, 403, 422, 429))
async def session(
    request: Request, response: Response, center: CenterDep, username: Username, password: Password
) -> SessionPublic:
    """Sign in with a session cookie (HttpOnly, SameSite=Strict, Secure over https), as the
    pages do; the token stays in the cookie, out of reach of the page's scripts. A CSRF
    cookie (``dc_csrf``) comes with it. A browser posting from another site's page (an
    ``Origin`` that is neither ours nor in ``DISPATCH_ALLOWED_ORIGINS``) is refused (403),
    so no site can sign a visitor in as someone else.
    """
    if not origin_allowed(request.headers, center.settings.allowed_origin_set):
        raise Forbidden("sign-in from another site's page is refused (Origin is not ours)")
    got = await sessions.sign_in(center, username, password, _address(request))
    session_cookie(response, request, got.token.access_token, got.token.expires_in)
    return SessionPublic.model_validate(
        {
            "username": got.who.username,
            "role": got.who.role.value,
            "unit_code": got.who.unit_code,
            "expires_in": got.token.expires_in,
        }
    )


@router.post("/logout", responses=errors(*SIGNED_IN))
async def logout(response: Response, center: CenterDep, who: AnyUser) -> SignedOutPublic:
    """End every token of the caller's account at once (every device), in every worker;
    the session and CSRF cookies are cleared. Wall links the caller made keep running
    (revoke one with ``POST /api/v1/auth/wall-links/{id}/revoke``).
    """
    await sessions.sign_out(center, who)
    clear_session_cookies(response)
    return SignedOutPublic.model_validate({"username": who.username, "signed_out": True})


@router.post("/password", responses=errors(*SIGNED_IN, 422, 429))
async def password(
    request: Request,
    response: Response,
    center: CenterDep,
    who: AnyUser,
    old_password: Password,
    new_password: Annotated[str, Form(min_length=1, max_length=200)],
) -> TokenPublic:
    """Change the caller's password (the current one is required). Every token of the
    account ends; the answer is a fresh token (and a fresh cookie when one was used).
    """
    got = await sessions.change_password(center, who, old_password, new_password, _address(request))
    if request.cookies.get(COOKIE):
        session_cookie(response, request, got.token.access_token, got.token.expires_in)
    return _whole(got.token)


@router.post("/wall-token", responses=errors(*SIGNED_IN))
async def wall_token(center: CenterDep, who: WallIssuer) -> TokenPublic:
    """A long-lived token for a wall screen (a new wall link), to open /wallboard?token=…
    once: it reads the wall and nothing else. It runs until it expires or is revoked, or
    its issuer's password, role or unit changes; signing out does not end it.
    """
    return _whole(await wall_links.issue(center, who))


@router.get("/wall-links", responses=errors(*SIGNED_IN))
async def list_wall_links(center: CenterDep, who: WallIssuer) -> WallLinkList:
    """The wall links the caller made, newest first (an admin sees everyone's)."""
    items = await wall_links.list_links(center, who)
    return WallLinkList.model_validate({"items": items})


@router.post("/wall-links/{link_id}/revoke", responses=errors(*SIGNED_IN, 404, 422))
async def revoke_wall_link(center: CenterDep, who: WallIssuer, link_id: str) -> WallLinkPublic:
    """Revoke a wall link the caller made (an admin: any): its wall is refused at once and
    an open wall socket closes. Recorded in the audit log.
    """
    return WallLinkPublic.model_validate(await wall_links.revoke(center, who, link_id))


@router.get("/me", responses=errors(*SIGNED_IN))
async def me(who: AnyUser) -> MePublic:
    """Who the token speaks for."""
    return MePublic.model_validate(
        {"username": who.username, "role": who.role.value, "unit_code": who.unit_code}
    )
