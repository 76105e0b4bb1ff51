"""Statutory deadlines and the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from dispatch_center.api.deps import Admin, AnyUser, CenterDep
from dispatch_center.core.deadlines import Urgency
from dispatch_center.models import CalendarDayUpdate, CalendarYearImport
from dispatch_center.reference import calendar

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.get("/deadlines")
async def deadlines(
    center: CenterDep,
    who: AnyUser,
    received_at: datetime,
    urgency: Urgency,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """``respond_by`` / ``reply_by`` for a request received at ``received_at``."""
    return calendar.deadlines_for(center, received_at, urgency, category)


@router.get("/years")
async def years(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """Which years have an official schedule loaded."""
    return calendar.coverage(center)


@router.get("/days")
async def days(
    center: CenterDep, who: AnyUser, year: Annotated[int, Query(ge=2000, le=2100)]
) -> dict[str, Any]:
    """A year's holidays and make-up workdays."""
    return await calendar.days_of_year(center, year)


@router.put("/days/{day}")
async def set_day(
    center: CenterDep, who: Admin, day: date, body: CalendarDayUpdate
) -> dict[str, Any]:
    """Mark one day (admin)."""
    return await calendar.set_day(center, who, day, body)


@router.post("/years", status_code=201)
async def import_year(center: CenterDep, who: Admin, body: CalendarYearImport) -> dict[str, Any]:
    """Import a year's official schedule (admin), replacing what that year had."""
    return await calendar.import_year(center, who, body)
