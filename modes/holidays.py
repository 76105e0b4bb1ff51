"""Holiday-mode windows proposed from the statutory calendar (法定节假日).

Consecutive days off that include a published holiday form one window (a holiday
block plus the weekend days adjoining it); the holiday-tourism HQ confirms each one,
which schedules holiday mode for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dispatch_center.core.calendar import SHANGHAI, DayKind, WorkingCalendar

# Names as the chinese-calendar package spells them, with the words the wall shows.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


@dataclass(frozen=True)
class HolidayWindow:
    """A proposed holiday-mode window: from ``starts_at`` (inclusive) to ``ends_at``."""

    name: str
    name_zh: str
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        """Stable identity of the proposal (name and first day)."""
        return f"{self.first_day.isoformat()}:{self.name}"


def propose_windows(
    calendar: WorkingCalendar,
    start: date,
    end: date,
    *,
    lead: timedelta = timedelta(0),
    min_days: int = 1,
) -> list[HolidayWindow]:
    """Holiday windows that end on or after ``start`` and begin on or before ``end``.

    Parameters
    ----------
    calendar : WorkingCalendar
        Holidays and make-up working days.
    start, end : date
        The span to look in.
    lead : timedelta
        How long before the first day off the mode should start (the evening before a
        Golden Week the roads already fill).
    min_days : int
        Shortest run of days off to propose.

    Examples
    --------
    >>> from dispatch_center.core.calendar import CalendarDay
    >>> cal = WorkingCalendar([CalendarDay(date(2026, 10, d), DayKind.holiday, "National Day")
    ...                        for d in range(1, 8)], [2026])
    >>> [(w.name_zh, w.first_day.day, w.last_day.day) for w in
    ...  propose_windows(cal, date(2026, 9, 1), date(2026, 10, 31))]
    [('国庆节', 1, 7)]
    """
    windows: list[HolidayWindow] = []
    day = start - timedelta(days=14)
    run: list[date] = []
    names: list[str] = []

    def close() -> None:
        if names and len(run) >= min_days:
            name = max(set(names), key=names.count)
            first, last = run[0], run[-1]
            if last >= start and first <= end:
                windows.append(
                    HolidayWindow(
                        name,
                        HOLIDAY_NAMES_ZH.get(name, name),
                        first,
                        last,
                        datetime.combine(first, time(0), SHANGHAI) - lead,
                        datetime.combine(last + timedelta(days=1), time(0), SHANGHAI),
                    )
                )

    while day <= end + timedelta(days=14):
        if calendar.is_working_day(day):
            close()
            run, names = [], []
        else:
            run.append(day)
            info = calendar.day_info(day)
            if info is not None and info.kind is DayKind.holiday:
                names.append(info.name)
        day += timedelta(days=1)
    close()
    return windows
