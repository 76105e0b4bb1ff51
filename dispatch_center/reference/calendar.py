"""Deadlines, the working-day calendar and the time-limit table."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.calendar import CoverageWarning, coverage_warning
from dispatch_center.core.deadlines import Urgency, compute_deadlines
from dispatch_center.core.received import implausible
from dispatch_center.errors import Invalid
from dispatch_center.models import CalendarDayUpdate, CalendarYearImport, TimeLimitUpdate
from dispatch_center.store import accounts, reference


def deadlines_for(
    center: Center, received_at: datetime, urgency: Urgency, category: str | None
) -> dict[str, Any]:
    """Deadlines for a request received at ``received_at`` under the limits in force."""
    bad = implausible(received_at)
    if bad is not None:
        raise Invalid(f"received_at {bad}", fields={"received_at": bad})
    ref = center.reference
    if category is not None and category not in ref.categories:
        raise Invalid(f"unknown category {category!r}", fields={"category": "not in the taxonomy"})
    limit = ref.time_limit(urgency.value, category, center.mode)
    return compute_deadlines(received_at, limit, ref.calendar).as_dict()


def missing_year(center: Center) -> CoverageWarning | None:
    """The year whose official holidays someone must enter soon, if any (see
    :func:`~dispatch_center.core.calendar.coverage_warning`).
    """
    return coverage_warning(
        center.reference.calendar, center.today(), center.settings.calendar_warn_days
    )


def coverage(center: Center) -> dict[str, Any]:
    """Covered years, whether the current and next year are covered, and the warning."""
    cal = center.reference.calendar
    years = sorted(cal.covered_years)
    this_year = center.today().year
    warning = missing_year(center)
    return {
        "covered_years": years,
        "current_year_covered": cal.covers(this_year),
        "next_year_covered": cal.covers(this_year + 1),
        "warning": None if warning is None else asdict(warning),
    }


async def days_of_year(center: Center, year: int) -> dict[str, Any]:
    """Special days of one year."""
    async with center.db.connection() as conn:
        days, years = await reference.calendar_rows(conn)
    return {
        "year": year,
        "covered": year in years,
        "days": [
            {
                "day": r["day"].isoformat(),
                "kind": r["kind"],
                "name": r["name"],
                "source": r["source"],
            }
            for r in days
            if r["day"].year == year
        ],
    }


async def set_day(
    center: Center, who: Principal, day: date, body: CalendarDayUpdate
) -> dict[str, Any]:
    """Mark one day; audited; applies to orders created from now on."""
    if not center.reference.calendar.covers(day.year):
        # A lone day in an unknown year would pretend the year is known: import it whole.
        raise Invalid(
            f"{day.year} has no official schedule yet:"
            " import the year first (POST /api/v1/calendar/years)",
            fields={"day": "year not covered"},
        )
    async with center.db.connection() as conn, conn.transaction():
        await reference.set_calendar_day(conn, day, body.kind, body.name, who.username)
        await accounts.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="calendar.set_day",
            entity=f"calendar:{day.isoformat()}",
            data={"kind": body.kind, "name": body.name},
        )
    await center.reload_reference()
    return {"day": day.isoformat(), "kind": body.kind, "name": body.name}


async def import_year(center: Center, who: Principal, body: CalendarYearImport) -> dict[str, Any]:
    """Replace a year's schedule with an official one."""
    rows: list[tuple[Any, str, str]] = []
    for kind, items, field in (
        ("holiday", body.holidays, "holidays"),
        ("workday", body.workdays, "workdays"),
    ):
        for i, item in enumerate(items):
            try:
                d = date.fromisoformat(item["day"])
            except (KeyError, ValueError) as exc:
                raise Invalid(
                    "each entry needs a day as YYYY-MM-DD", fields={f"{field}.{i}.day": str(exc)}
                ) from exc
            if d.year != body.year:
                raise Invalid(
                    f"{d} is not in {body.year}", fields={f"{field}.{i}.day": "outside the year"}
                )
            rows.append((d, kind, item.get("name", "")))
    async with center.db.connection() as conn, conn.transaction():
        n = await reference.import_calendar_year(
            conn, body.year, rows, source=body.source, actor=who.username, replace=True
        )
        await accounts.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="calendar.import_year",
            entity=f"calendar:{body.year}",
            data={"source": body.source, "days": n},
        )
    await center.reload_reference()
    return {"year": body.year, "days": n, "source": body.source}


async def time_limits(center: Center) -> dict[str, Any]:
    """The time-limit table."""
    async with center.db.connection() as conn:
        rows = await reference.time_limit_rows(conn)
    return {
        "time_limits": [
            {
                **{k: v for k, v in r.items() if k not in ("id", "updated_at")},
                "updated_at": r["updated_at"].isoformat(),
            }
            for r in rows
        ]
    }


async def set_time_limit(center: Center, who: Principal, body: TimeLimitUpdate) -> dict[str, Any]:
    """Set one limit; audited."""
    # `is not None`: an empty code is no category either, and it reached the foreign key.
    if body.category_code is not None and body.category_code not in center.reference.categories:
        raise Invalid("unknown category", fields={"category_code": "not in the taxonomy"})
    async with center.db.connection() as conn, conn.transaction():
        row = await reference.upsert_time_limit(
            conn, {**body.model_dump(mode="json"), "updated_by": who.username}
        )
        await accounts.audit(
            conn,
            actor=who.username,
            role=who.role.value,
            action="time_limit.set",
            entity=f"time_limit:{body.urgency.value}:{body.category_code}:{body.mode}",
            data=body.model_dump(mode="json"),
        )
    await center.reload_reference()
    return {k: v for k, v in row.items() if k not in ("id", "updated_at")}
