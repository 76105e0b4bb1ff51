"""When a callback is due: ``DISPATCH_CALLBACK_DUE_WORKING_DAYS`` working days after 办结,
on the center's working-day calendar (the one order deadlines use), not three calendar days.
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from dispatch_center.citizen.desk import callback_due
from dispatch_center.core.calendar import SHANGHAI, CalendarDay, DayKind, WorkingCalendar
from dispatch_center.settings import Settings


def center_with(days: list[CalendarDay], n: int | None = None) -> Any:
    extra = {} if n is None else {"callback_due_working_days": n}
    return SimpleNamespace(
        settings=Settings(demo=True, **extra),
        reference=SimpleNamespace(calendar=WorkingCalendar(days, [2026])),
    )


FRIDAY = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)


def test_three_working_days_skip_the_weekend() -> None:
    due = callback_due(center_with([]), FRIDAY)
    assert due == datetime(2026, 12, 9, 16, 30, tzinfo=SHANGHAI)  # Wednesday


def test_a_holiday_on_the_way_pushes_it_back() -> None:
    monday_off = CalendarDay(date(2026, 12, 7), DayKind.holiday, "test holiday")
    due = callback_due(center_with([monday_off]), FRIDAY)
    assert due == datetime(2026, 12, 10, 16, 30, tzinfo=SHANGHAI)  # Thursday


def test_the_count_is_a_setting() -> None:
    due = callback_due(center_with([], n=1), FRIDAY)
    assert due == datetime(2026, 12, 7, 16, 30, tzinfo=SHANGHAI)  # Monday
