"""China's working days, for counting statutory time limits (诉求限时办结).

The State Council publishes each year's holidays and the weekend days made into working days
(调休) in the autumn before. :class:`WorkingCalendar` holds those days for the years it
*covers*; for any other year it falls back to Monday-Friday and says so, so a deadline that
reaches into an unpublished year is marked provisional instead of being silently wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

# China has kept UTC+08:00 without daylight saving since 1991, so a fixed offset is exact for
# every year the product deals with, and it spares the pure domain a dependency on the host's
# tz database (slim container images often lack it).
#: China Standard Time (Beijing time), the zone China's statutory working days, every time
#: limit, the day in an order number and the reports count in. Not a setting: a 12345
#: center runs on it wherever its servers are.
TIME_ZONE = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8), TIME_ZONE)

_SATURDAY = 5


class DayKind(StrEnum):
    """How a calendar entry departs from the Monday-Friday week."""

    holiday = "holiday"  # statutory day off (法定节假日, including the weekend days in the block)
    workday = "workday"  # weekend day made a working day (调休上班)


@dataclass(frozen=True)
class CalendarDay:
    """One published exception to the Monday-Friday week."""

    day: date
    kind: DayKind
    name: str


def to_shanghai(moment: datetime) -> datetime:
    """Return an aware ``moment`` as Asia/Shanghai wall-clock time.

    Raises
    ------
    ValueError
        If ``moment`` is naive: a time without a zone is ambiguous in a system that receives
        UTC feeds and local phone calls alike.

    Examples
    --------
    >>> to_shanghai(datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)).isoformat()
    '2026-11-28T00:00:00+08:00'
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} refused: give a UTC offset")
    return moment.astimezone(SHANGHAI)


class WorkingCalendar:
    """Which days are working days.

    Parameters
    ----------
    days : iterable of CalendarDay
        Holidays and make-up working days. Each must lie in a covered year.
    covered_years : iterable of int
        Years whose holidays are fully known.

    Raises
    ------
    ValueError
        If a day is listed twice with different kinds, or lies outside the covered years.

    Examples
    --------
    >>> cal = WorkingCalendar(
    ...     [CalendarDay(date(2026, 10, 1), DayKind.holiday, "National Day"),
    ...      CalendarDay(date(2026, 10, 10), DayKind.workday, "National Day")],
    ...     covered_years=[2026],
    ... )
    >>> cal.is_working_day(date(2026, 10, 1)), cal.is_working_day(date(2026, 10, 10))
    (False, True)
    """

    def __init__(self, days: Iterable[CalendarDay], covered_years: Iterable[int]) -> None:
        self._covered = frozenset(covered_years)
        self._days: dict[date, CalendarDay] = {}
        for entry in days:
            if entry.day.year not in self._covered:
                raise ValueError(
                    f"{entry.day.isoformat()} ({entry.name}) lies in {entry.day.year}, "
                    "which is not among the covered years"
                )
            known = self._days.get(entry.day)
            if known is not None and known.kind != entry.kind:
                raise ValueError(
                    f"{entry.day.isoformat()} is listed both as {known.kind} and {entry.kind}"
                )
            self._days[entry.day] = entry

    @property
    def covered_years(self) -> frozenset[int]:
        """The years whose holidays this calendar knows."""
        return self._covered

    def covers(self, year: int) -> bool:
        """Tell whether the holidays of ``year`` are known.

        Examples
        --------
        >>> WorkingCalendar([], [2026]).covers(2027)
        False
        """
        return year in self._covered

    def day_info(self, d: date) -> CalendarDay | None:
        """Return the published entry for ``d``, or None for an ordinary day.

        Examples
        --------
        >>> WorkingCalendar([], [2026]).day_info(date(2026, 11, 27)) is None
        True
        """
        return self._days.get(d)

    def is_working_day(self, d: date) -> bool:
        """Tell whether ``d`` is a working day.

        In a covered year: Monday to Friday unless a holiday, plus the make-up working
        weekend days. In any other year: Monday to Friday.

        Examples
        --------
        >>> WorkingCalendar([], []).is_working_day(date(2027, 1, 1))  # a Friday, no data
        True
        """
        entry = self._days.get(d) if d.year in self._covered else None
        if entry is not None:
            return entry.kind == DayKind.workday
        return d.weekday() < _SATURDAY

    def add_working_days(self, start: datetime, n: int) -> tuple[datetime, bool]:
        """Count ``n`` working days from ``start``.

        ``start`` must be timezone-aware; it is read as Asia/Shanghai wall-clock time.

        - If ``start`` falls on a working day, the deadline is the same wall-clock time on
          the n-th following working day (Friday 19:45 + 1 = Monday 19:45).
        - If ``start`` falls on a non-working day, the clock starts at 00:00 of the next
          working day and the deadline is the end (24:00) of the n-th working day counted
          from it: "1 working day" received on a Saturday ends at Monday 24:00, returned as
          Tuesday 00:00. With ``n == 0`` it is 00:00 of that next working day.

        Parameters
        ----------
        start : datetime
            When the clock starts; must carry a UTC offset.
        n : int
            Number of working days, at least 0.

        Returns
        -------
        deadline : datetime
            In Asia/Shanghai (+08:00).
        provisional : bool
            True when any day examined on the way lies in a year the calendar does not cover,
            so the result used the Monday-Friday fallback and may change once that year's
            holidays are published.

        Raises
        ------
        ValueError
            If ``start`` is naive or ``n`` is negative.

        Examples
        --------
        >>> cal = WorkingCalendar([], [2026])
        >>> friday = datetime(2026, 11, 27, 19, 45, tzinfo=SHANGHAI)
        >>> deadline, provisional = cal.add_working_days(friday, 1)
        >>> deadline.isoformat(), provisional
        ('2026-11-30T19:45:00+08:00', False)
        """
        if n < 0:
            raise ValueError(f"cannot count a negative number of working days ({n})")
        local = to_shanghai(start)
        provisional = False

        def working(d: date) -> bool:
            nonlocal provisional
            if d.year not in self._covered:
                provisional = True
            return self.is_working_day(d)

        day = local.date()
        if working(day):
            day = self._walk(day, n, working)
            return datetime.combine(day, local.timetz()), provisional

        day += timedelta(days=1)
        while not working(day):
            day += timedelta(days=1)
        if n == 0:
            return datetime.combine(day, time(0, tzinfo=SHANGHAI)), provisional
        last = self._walk(day, n - 1, working)
        return datetime.combine(last + timedelta(days=1), time(0, tzinfo=SHANGHAI)), provisional

    @staticmethod
    def _walk(day: date, n: int, working: Callable[[date], bool]) -> date:
        """Return the n-th working day after ``day``."""
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if working(day):
                remaining -= 1
        return day


#: Default lead time (days before 1 January) at which a missing next-year schedule is flagged.
DEFAULT_WARN_DAYS = 60


@dataclass(frozen=True)
class CoverageWarning:
    """A year whose official holidays are missing although deadlines already reach it.

    Attributes
    ----------
    year : int
        The year without a schedule.
    current : bool
        True when ``year`` is the current year (deadlines computed today are provisional),
        False when it is next year (only deadlines that cross 1 January are).
    days_left : int
        Days from today to 1 January of ``year``; 0 when ``year`` is the current year.
    """

    year: int
    current: bool
    days_left: int


def coverage_warning(
    calendar: WorkingCalendar, today: date, lead_days: int = DEFAULT_WARN_DAYS
) -> CoverageWarning | None:
    """Tell whether someone must enter a year's official holidays soon.

    A time limit of 15 working days already reaches into January in early December, and an
    uncovered year falls back to Monday-Friday, so the warning starts ``lead_days`` before
    1 January rather than on it.

    Parameters
    ----------
    calendar : WorkingCalendar
        The center's calendar.
    today : date
        Today's date in Asia/Shanghai (``Center.today()``).
    lead_days : int
        Warn about next year once 1 January is at most this many days away (with 0,
        next year is never flagged ahead: only once it has begun, as the current year).

    Returns
    -------
    CoverageWarning or None
        The current year if it is not covered; else next year if it is not covered and
        1 January is within ``lead_days``; else None.

    Raises
    ------
    ValueError
        If ``lead_days`` is negative.

    Examples
    --------
    >>> cal = WorkingCalendar([], [2026])
    >>> coverage_warning(cal, date(2026, 12, 5))
    CoverageWarning(year=2027, current=False, days_left=27)
    >>> coverage_warning(cal, date(2026, 11, 1)) is None  # 61 days before 1 January
    True
    >>> coverage_warning(cal, date(2027, 1, 4))
    CoverageWarning(year=2027, current=True, days_left=0)
    >>> coverage_warning(WorkingCalendar([], [2026, 2027]), date(2026, 12, 5)) is None
    True
    """
    if lead_days < 0:
        raise ValueError(f"lead_days must be at least 0 (got {lead_days})")
    if not calendar.covers(today.year):
        return CoverageWarning(today.year, current=True, days_left=0)
    nxt = today.year + 1
    days_left = (date(nxt, 1, 1) - today).days
    if not calendar.covers(nxt) and days_left <= lead_days:
        return CoverageWarning(nxt, current=False, days_left=days_left)
    return None


def chinese_calendar_days() -> tuple[list[CalendarDay], list[int]]:
    """Read the holidays and make-up working days known to the ``chinese_calendar`` package.

    The package ships the State Council's notices as Python data (no file or network
    access). Covered years are the span of years it has holidays for, the same span in which
    ``chinese_calendar`` itself answers instead of raising.

    Returns
    -------
    days : list of CalendarDay
        Sorted by date; ``name`` is the package's English holiday name.
    covered_years : list of int

    Examples
    --------
    >>> days, years = chinese_calendar_days()
    >>> 2026 in years
    True
    >>> [d.kind.value for d in days if d.day == date(2026, 2, 14)]
    ['workday']
    """
    from chinese_calendar import constants

    days = [CalendarDay(d, DayKind.holiday, str(name)) for d, name in constants.holidays.items()]
    days += [CalendarDay(d, DayKind.workday, str(name)) for d, name in constants.workdays.items()]
    days.sort(key=lambda entry: entry.day)
    years = [d.year for d in constants.holidays]
    return days, list(range(min(years), max(years) + 1))


@lru_cache(maxsize=1)
def china_calendar() -> WorkingCalendar:
    """Return the calendar seeded from ``chinese_calendar`` (built once).

    Examples
    --------
    >>> china_calendar().is_working_day(date(2026, 10, 10))  # 调休 Saturday
    True
    """
    days, years = chinese_calendar_days()
    return WorkingCalendar(days, years)
