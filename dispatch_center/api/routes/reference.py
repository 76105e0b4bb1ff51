"""Reference data: categories, units, time limits, accounts, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from dispatch_center.accounts import users as accounts
from dispatch_center.api.deps import Admin, AnyUser, CenterDep
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.accounts import (
    AuditList,
    CategoryList,
    UnitList,
    UserList,
    UserPublic,
)
from dispatch_center.api.schemas.calendar import TimeLimitList, TimeLimitPublic
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.errors import NotFound
from dispatch_center.models import TimeLimitUpdate, UserCreate
from dispatch_center.reference import calendar

router = PublicRouter(prefix="/api/v1", tags=["reference"])


@router.get("/categories", responses=errors(*SIGNED_IN))
async def categories(center: CenterDep, who: AnyUser) -> CategoryList:
    """The request taxonomy (domain and sub-category)."""
    return CategoryList.model_validate({"categories": list(center.reference.categories.values())})


@router.get("/units", responses=errors(*SIGNED_IN, 422))
async def units(
    center: CenterDep, who: AnyUser, tier: Annotated[int | None, Query(ge=1, le=4)] = None
) -> UnitList:
    """Responsible units of the four tiers."""
    items = [u for u in center.reference.units.values() if tier is None or u["tier"] == tier]
    return UnitList.model_validate({"units": items})


@router.get("/units/{code}/children", responses=errors(*SIGNED_IN, 404, 422))
async def unit_children(
    center: CenterDep, who: AnyUser, code: Annotated[str, Path(min_length=1, max_length=64)]
) -> UnitList:
    """The units directly below ``code``: whom a unit holding an order may pass it to
    (``POST /api/v1/orders/{id}/actions/assign_down``).
    """
    units = center.reference.units
    if code not in units:
        raise NotFound(f"no unit {code!r}")
    children = center.reference.unit_tree.children(code)
    return UnitList.model_validate({"units": [units[c] for c in children if c in units]})


@router.get("/time-limits", responses=errors(*SIGNED_IN))
async def time_limits(center: CenterDep, who: AnyUser) -> TimeLimitList:
    """The time limits in force (data, overridable per category and mode)."""
    return TimeLimitList.model_validate(await calendar.time_limits(center))


@router.put("/time-limits", responses=errors(*SIGNED_IN, 422))
async def set_time_limit(center: CenterDep, who: Admin, body: TimeLimitUpdate) -> TimeLimitPublic:
    """Set one time limit (admin); applies to orders created from now on."""
    return TimeLimitPublic.model_validate(await calendar.set_time_limit(center, who, body))


@router.get("/users", responses=errors(*SIGNED_IN))
async def users(center: CenterDep, who: Admin) -> UserList:
    """Every account (admin)."""
    return UserList.model_validate({"users": await accounts.list_users(center)})


@router.post("/users", status_code=201, responses=errors(*SIGNED_IN, 409, 422))
async def create_user(center: CenterDep, who: Admin, body: UserCreate) -> UserPublic:
    """Create an account (admin)."""
    return UserPublic.model_validate(await accounts.create_user(center, who, body))


@router.post("/users/{username}/deactivate", responses=errors(*SIGNED_IN, 404, 409, 422))
async def deactivate_user(
    center: CenterDep,
    who: Admin,
    username: Annotated[str, Path(min_length=1, max_length=64)],
) -> UserPublic:
    """Deactivate an account (admin): it cannot sign in, and every token it holds (wall
    screens included) ends at once, in every worker.
    """
    return UserPublic.model_validate(await accounts.deactivate_user(center, who, username))


@router.get("/audit", responses=errors(*SIGNED_IN, 422))
async def audit(
    center: CenterDep, who: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> AuditList:
    """The newest audit entries (admin)."""
    return AuditList.model_validate({"entries": await accounts.audit_entries(center, limit)})
