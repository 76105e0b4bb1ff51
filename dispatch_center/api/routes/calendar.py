"""Statutory deadlines and the working-day calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dispatch_center.api.deps import Admin, AnyUser, CenterDep
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.calendar import (
    CalendarCoverage,
    CalendarDayPublic,
    CalendarImportPublic,
    CalendarYearPublic,
    DeadlinesPublic,
)
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.core.deadlines import Urgency
from dispatch_center.models import (
    CalendarDayUpdate,
    CalendarYearImport,
    ServiceDay,
    ServiceTime,
)
from dispatch_center.reference import calendar

router = PublicRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.get("/deadlines", responses=errors(*SIGNED_IN, 422))
async def deadlines(
    center: CenterDep,
    who: AnyUser,
    received_at: ServiceTime,
    urgency: Urgency,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> DeadlinesPublic:
    """``respond_by`` / ``reply_by`` for a request received at ``received_at``."""
    return DeadlinesPublic.model_validate(
        calendar.deadlines_for(center, received_at, urgency, category)
    )


@router.get("/years", responses=errors(*SIGNED_IN))
async def years(center: CenterDep, who: AnyUser) -> CalendarCoverage:
    """Which years have an official schedule loaded."""
    return CalendarCoverage.model_validate(calendar.coverage(center))


@router.get("/days", responses=errors(*SIGNED_IN, 422))
async def days(
    center: CenterDep, who: AnyUser, year: Annotated[int, Query(ge=2000, le=2100)]
) -> CalendarYearPublic:
    """A year's holidays and make-up workdays."""
    return CalendarYearPublic.model_validate(await calendar.days_of_year(center, year))


@router.put("/days/{day}", responses=errors(*SIGNED_IN, 422))
async def set_day(
    center: CenterDep, who: Admin, day: ServiceDay, body: CalendarDayUpdate
) -> CalendarDayPublic:
    """Mark one day (admin)."""
    return CalendarDayPublic.model_validate(await calendar.set_day(center, who, day, body))


@router.post("/years", status_code=201, responses=errors(*SIGNED_IN, 422))
async def import_year(
    center: CenterDep, who: Admin, body: CalendarYearImport
) -> CalendarImportPublic:
    """Import a year's official schedule (admin), replacing what that year had."""
    return CalendarImportPublic.model_validate(await calendar.import_year(center, who, body))
