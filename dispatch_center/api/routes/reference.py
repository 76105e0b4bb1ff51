"""Reference data: categories, units, time limits, accounts, audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dispatch_center.accounts import users as accounts
from dispatch_center.api.deps import Admin, AnyUser, CenterDep
from dispatch_center.models import TimeLimitUpdate, UserCreate
from dispatch_center.reference import calendar

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/categories")
async def categories(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """The request taxonomy (domain and sub-category)."""
    return {"categories": list(center.reference.categories.values())}


@router.get("/units")
async def units(
    center: CenterDep, who: AnyUser, tier: Annotated[int | None, Query(ge=1, le=4)] = None
) -> dict[str, Any]:
    """Responsible units of the four tiers."""
    items = [u for u in center.reference.units.values() if tier is None or u["tier"] == tier]
    return {"units": items}


@router.get("/time-limits")
async def time_limits(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """The time limits in force (data, overridable per category and mode)."""
    return await calendar.time_limits(center)


@router.put("/time-limits")
async def set_time_limit(center: CenterDep, who: Admin, body: TimeLimitUpdate) -> dict[str, Any]:
    """Set one time limit (admin); applies to orders created from now on."""
    return await calendar.set_time_limit(center, who, body)


@router.get("/users")
async def users(center: CenterDep, who: Admin) -> dict[str, Any]:
    """Every account (admin)."""
    return {"users": await accounts.list_users(center)}


@router.post("/users", status_code=201)
async def create_user(center: CenterDep, who: Admin, body: UserCreate) -> dict[str, Any]:
    """Create an account (admin)."""
    return await accounts.create_user(center, who, body)


@router.get("/audit")
async def audit(
    center: CenterDep, who: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    """The newest audit entries (admin)."""
    return {"entries": await accounts.audit_entries(center, limit)}
