"""Sign-in: OAuth2 password form to a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form

from dispatch_center.accounts import users as accounts
from dispatch_center.api.deps import AnyUser, CenterDep, WallIssuer
from dispatch_center.models import TokenPublic

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenPublic)
async def token(
    center: CenterDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> TokenPublic:
    """Exchange a username and password for a bearer token."""
    return await accounts.sign_in(center, username, password)


@router.post("/wall-token", response_model=TokenPublic)
async def wall_token(center: CenterDep, who: WallIssuer) -> TokenPublic:
    """A long-lived, read-only token to open /wallboard?token=… on a wall screen."""
    return accounts.wall_token(center, who)


@router.get("/me")
async def me(who: AnyUser) -> dict[str, str | None]:
    """Who the token speaks for."""
    return {"username": who.username, "role": who.role.value, "unit_code": who.unit_code}
