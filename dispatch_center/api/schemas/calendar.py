"""The working-day calendar, statutory deadlines and time limits."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Day, Public, Timestamp
from dispatch_center.api.schemas.orders import DeadlinesPublic

__all__ = ["DeadlinesPublic"]


class CalendarCoverage(Public):
    """Which years have an official holiday schedule loaded."""

    covered_years: list[int]
    current_year_covered: bool
    next_year_covered: bool


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
