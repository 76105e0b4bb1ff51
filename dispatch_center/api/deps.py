"""Typed dependencies: the running center and the authenticated, role-checked caller.

Every route that acts for someone declares one gate here, and the gate is the only code
that turns a request's token into a :class:`Principal` (through
:func:`dispatch_center.accounts.identity.identify`, which checks the signature, expiry
and revocation). Where the token comes from differs by kind of route:

- API routes (:func:`require`, :class:`SourceOrStaff`): ``Authorization: Bearer`` or the
  ``dc_session`` cookie; a state-changing request signed in by the cookie must also carry
  ``X-CSRF-Token`` equal to the ``dc_csrf`` cookie (:func:`check_csrf`: a double-submit
  cookie, which another site's page can neither read nor send);
- pages (:class:`PageGate`): a ``?token=`` once, moved into the cookie by a redirect so it
  stays in neither the address bar nor the history, then the cookie;
- the live socket (:class:`SocketGate`): ``?token=`` or the cookie.

A gate refuses a wall screen's token unless it was made with ``wall=True``. The route ×
role test (``tests/api/test_route_matrix.py``) reads these gates from the route table.
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, WebSocket
from fastapi.responses import RedirectResponse, Response
from fastapi.security import OAuth2PasswordBearer

from dispatch_center.accounts.identity import Gate, identify, still_valid, verify
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.core.visibility import CITY_WIDE_ROLES
from dispatch_center.errors import Forbidden, ServiceError, Unauthorized

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

#: The session cookie of the pages (HttpOnly, SameSite=Strict).
COOKIE = "dc_session"
#: The pages' CSRF cookie (readable by their scripts), sent back in :data:`CSRF_HEADER`.
CSRF_COOKIE = "dc_csrf"
CSRF_HEADER = "X-CSRF-Token"
#: The methods that change state: the ones a cookie-signed request needs the CSRF header for.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_center(request: Request) -> Center:
    """The process's center, set up by the app's lifespan.

    Async on purpose: FastAPI runs a plain ``def`` dependency in a thread pool,
    a hop that cost more than the work on every request.
    """
    center: Center = request.app.state.center
    return center


CenterDep = Annotated[Center, Depends(get_center)]


def session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure over https, and no longer
    lived than the token it carries; and beside it a fresh CSRF cookie of the same lifetime
    (not HttpOnly: the page's script copies it into :data:`CSRF_HEADER`).
    """
    for name, value, httponly in (
        (COOKIE, token, True),
        (CSRF_COOKIE, secrets.token_urlsafe(32), False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max(1, max_age),
            httponly=httponly,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",
        )


def clear_session_cookies(response: Response) -> None:
    """Remove the session and CSRF cookies (signing out)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")


def check_csrf(request: Request) -> None:
    """Refuse (403) a state-changing request signed in by the session cookie unless its
    :data:`CSRF_HEADER` equals its :data:`CSRF_COOKIE`.

    SameSite=Strict already keeps the cookie off other sites' requests in today's
    browsers; this is the second lock, for older browsers and a sibling subdomain. A
    bearer client is never asked: another site cannot make a browser send our token.

    Examples
    --------
    >>> from starlette.requests import Request
    >>> def req(method, headers):
    ...     raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    ...     return Request({"type": "http", "method": method, "headers": raw})
    >>> check_csrf(req("GET", {}))
    >>> check_csrf(req("POST", {"Cookie": "dc_csrf=abc", "X-CSRF-Token": "abc"}))
    >>> try:
    ...     check_csrf(req("POST", {"Cookie": "dc_csrf=abc"}))
    ... except Forbidden as exc:
    ...     print(exc.status, exc.message[:36])
    403 missing or wrong X-CSRF-Token header
    """
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    kept = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        raise Forbidden(
            f"missing or wrong {CSRF_HEADER} header: a request signed in by the session"
            f" cookie must send {CSRF_HEADER} equal to the {CSRF_COOKIE} cookie"
        )


class RoleGate:
    """An API route's gate: the caller named by the bearer token or the session cookie,
    admitted by :class:`~dispatch_center.accounts.identity.Gate`.
    """

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    async def __call__(
        self, request: Request, token: Annotated[str | None, Depends(oauth2)]
    ) -> Principal:
        """Resolve and admit the caller (401 without a valid token, 403 when refused or
        when a cookie-signed change lacks its CSRF header).
        """
        raw = token or request.cookies.get(COOKIE)
        if not raw:
            raise Unauthorized("sign in: Authorization: Bearer <token> is required")
        who = self.gate.admit(await identify(request.app.state.center, raw))
        if not token:
            check_csrf(request)
        return who


def require(*roles: Role, wall: bool = False) -> RoleGate:
    """A dependency admitting only ``roles`` (all roles when none are given); a wall
    screen's token only when ``wall`` is true.
    """
    return RoleGate(Gate(frozenset(roles), wall))


class SourceOrStaff(RoleGate):
    """The gate of an intake route, where an outside *source* authenticates itself (its
    key or signature, checked by the intake) or a signed-in member of staff posts for it.

    Without a token the caller is ``None`` and the intake asks for the source's
    credentials; with one, the token is resolved and admitted here like any other.
    """

    async def __call__(  # type: ignore[override]
        self, request: Request, token: Annotated[str | None, Depends(oauth2)]
    ) -> Principal | None:
        """The admitted staff member, or ``None`` when the request carries no token."""
        raw = token or request.cookies.get(COOKIE)
        if not raw:
            return None
        who = self.gate.admit(await identify(request.app.state.center, raw))
        if not token:
            check_csrf(request)
        return who


def source_or_staff(*roles: Role) -> SourceOrStaff:
    """An intake route's gate admitting a token of ``roles`` (never a wall screen's)."""
    return SourceOrStaff(Gate(frozenset(roles)))


#: ``deny(request, error)`` → the page shown instead (401 or 403 with the error's words).
Denial = Callable[[Request, ServiceError], Response]


def plain_denial(request: Request, error: ServiceError) -> Response:
    """A bare refusal page (status of ``error``)."""
    return Response(
        f"<!DOCTYPE html><p>{error.status}: {html.escape(error.message)}</p>".encode(),
        status_code=error.status,
        media_type="text/html; charset=utf-8",
    )


@dataclass(frozen=True)
class PageVisit:
    """The outcome of a page's gate: who is looking, or the answer to send instead (the
    redirect that moves ``?token=`` into the cookie, or a refusal).
    """

    who: Principal | None = None
    answer: Response | None = None


class PageGate:
    """A page's gate: ``?token=`` once (checked, set as the cookie, then a 303 to the
    same URL without it), else the session cookie.
    """

    def __init__(self, gate: Gate, deny: Denial = plain_denial) -> None:
        self.gate = gate
        self.deny = deny

    async def __call__(self, request: Request) -> PageVisit:
        """Resolve and admit the visitor."""
        center: Center = request.app.state.center
        token = request.query_params.get("token")
        try:
            if token is not None:
                claims = await verify(center, token)
                self.gate.admit(claims.principal)
                kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + (f"?{urlencode(kept)}" if kept else "")
                answer = RedirectResponse(target, status_code=303)
                session_cookie(answer, request, token, int(claims.expires_at - time.time()))
                return PageVisit(answer=answer)
            who = await identify(center, request.cookies.get(COOKIE) or "")
            return PageVisit(who=self.gate.admit(who))
        except ServiceError as exc:
            return PageVisit(answer=self.deny(request, exc))


def _never() -> bool:
    return False


@dataclass(frozen=True)
class SocketVisit:
    """The outcome of a socket's gate: who is connecting, or why not."""

    who: Principal | None = None
    refusal: ServiceError | None = None
    #: True while the token is still good (not expired, not revoked); asked while connected.
    still_valid: Callable[[], bool] = _never


class SocketGate:
    """A WebSocket's gate: ``?token=`` or the session cookie. Returns the refusal instead
    of raising it, so the socket can be accepted and closed with the protocol's code.
    """

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    async def __call__(self, websocket: WebSocket) -> SocketVisit:
        """Resolve and admit the connecting client."""
        token = websocket.query_params.get("token") or websocket.cookies.get(COOKIE) or ""
        center: Center = websocket.app.state.center
        try:
            claims = await verify(center, token)
            who = self.gate.admit(claims.principal)
        except ServiceError as exc:
            return SocketVisit(refusal=exc)
        return SocketVisit(who, None, still_valid(center, claims))


#: The city center's seats (:data:`~dispatch_center.core.visibility.CITY_WIDE_ROLES`).
CENTER_STAFF = tuple(sorted(CITY_WIDE_ROLES))

AnyUser = Annotated[Principal, Depends(require())]
#: Any signed-in user, or a wall screen (only for what the wall page reads).
WallOrUser = Annotated[Principal, Depends(require(wall=True))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
CenterStaff = Annotated[Principal, Depends(require(*CENTER_STAFF))]
Intake = Annotated[
    Principal,
    Depends(require(Role.admin, Role.duty_officer, Role.dispatcher, Role.call_taker)),
]
WallIssuer = Annotated[Principal, Depends(require(Role.admin, Role.duty_officer))]
