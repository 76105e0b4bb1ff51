"""Sign-in: OAuth2 password form to a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

from dispatch_center.accounts import users as accounts
from dispatch_center.api.deps import AnyUser, CenterDep, WallIssuer
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.accounts import MePublic
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.models import TokenPublic

router = PublicRouter(prefix="/api/v1/auth", tags=["auth"])


def _whole(token: TokenPublic) -> TokenPublic:
    """The token with every field set: the service leaves ``token_type`` at its default,
    and a PublicRouter leaves unset fields out.
    """
    return TokenPublic.model_validate(token.model_dump())


@router.post("/token", responses=errors(401, 422, 429))
async def token(
    center: CenterDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> TokenPublic:
    """Exchange a username and password for a bearer token."""
    return _whole(await accounts.sign_in(center, username, password))


@router.post("/wall-token", responses=errors(*SIGNED_IN))
async def wall_token(center: CenterDep, who: WallIssuer) -> TokenPublic:
    """A long-lived, read-only token to open /wallboard?token=… on a wall screen."""
    return _whole(accounts.wall_token(center, who))


@router.get("/me", responses=errors(*SIGNED_IN))
async def me(who: AnyUser) -> MePublic:
    """Who the token speaks for."""
    return MePublic.model_validate(
        {"username": who.username, "role": who.role.value, "unit_code": who.unit_code}
    )
