"""The working-day calendar, statutory deadlines and time limits."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Day, Public, Timestamp
from dispatch_center.api.schemas.orders import DeadlinesPublic

__all__ = ["DeadlinesPublic"]


class CalendarWarning(Public):
    """A year whose official holidays are missing although deadlines already reach it:
    deadlines in it are counted Monday-Friday and marked provisional until an admin enters
    the State Council's notice (``POST /api/v1/calendar/years``).
    """

    year: int = Field(examples=[2027])
    current: bool = Field(description="the current year itself is not covered")
    days_left: int = Field(description="days until 1 January of ``year`` (0 if current)")


class CalendarCoverage(Public):
    """Which years have an official holiday schedule loaded."""

    covered_years: list[int]
    current_year_covered: bool
    next_year_covered: bool
    warning: CalendarWarning | None = Field(
        default=None,
        description="set when the current year is not covered, or next year is not and"
        " 1 January is within DISPATCH_CALENDAR_WARN_DAYS",
    )


class CalendarDayPublic(Public):
    """A holiday or a make-up workday (``kind`` null: an ordinary day again)."""

    day: Day
    kind: str | None = Field(examples=["holiday"])
    name: str
    source: str | None = None


class CalendarYearPublic(Public):
    """A year's holidays and make-up workdays."""

    year: int
    covered: bool
    days: list[CalendarDayPublic]


class CalendarImportPublic(Public):
    """An imported year's schedule."""

    year: int
    days: int
    source: str


class TimeLimitPublic(Public):
    """A time limit per urgency, optionally per category and mode."""

    urgency: str
    category_code: str | None
    mode: str | None
    respond_value: int
    respond_unit: str = Field(examples=["working_days"])
    reply_value: int
    reply_unit: str
    updated_by: str | None = None
    updated_at: Timestamp | None = None


class TimeLimitList(Public):
    """The time limits in force."""

    time_limits: list[TimeLimitPublic]
