"""China's working-day calendar, on the real ``chinese_calendar`` data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch_center.core.calendar import (
    DEFAULT_WARN_DAYS,
    SHANGHAI,
    CalendarDay,
    CoverageWarning,
    DayKind,
    WorkingCalendar,
    china_calendar,
    chinese_calendar_days,
    coverage_warning,
)

CAL = china_calendar()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 11, 27), True, "ordinary Friday"),
        (date(2026, 11, 28), False, "ordinary Saturday"),
        (date(2026, 11, 29), False, "ordinary Sunday"),
        (date(2026, 2, 14), True, "Saturday made a working day before Spring Festival"),
        (date(2026, 2, 16), False, "Spring Festival, a Monday"),
        (date(2026, 2, 23), False, "last Spring Festival day, a Monday"),
        (date(2026, 2, 24), True, "first working day after Spring Festival"),
        (date(2026, 2, 28), True, "Saturday made a working day after Spring Festival"),
        (date(2026, 9, 20), True, "Sunday made a working day before National Day"),
        (date(2026, 9, 25), False, "Mid-autumn Festival, a Friday"),
        (date(2026, 10, 1), False, "National Day, a Thursday"),
        (date(2026, 10, 7), False, "last National Day holiday, a Wednesday"),
        (date(2026, 10, 10), True, "Saturday made a working day after National Day"),
        (date(2026, 1, 4), True, "Sunday made a working day after New Year"),
        (date(2027, 1, 1), True, "2027 has no data: a Friday counts as working"),
        (date(2027, 1, 2), False, "2027 has no data: a Saturday is off"),
    ],
)
def test_is_working_day(day: date, working: bool, why: str) -> None:
    assert CAL.is_working_day(day) is working, why


def test_seed_data_comes_from_chinese_calendar() -> None:
    import chinese_calendar

    days, years = chinese_calendar_days()
    by_day = {d.day: d for d in days}
    assert len(by_day) == len(days), "no date listed twice"
    assert years == list(range(min(years), max(years) + 1)), "covered years are contiguous"
    assert 2026 in years and 2027 not in years
    assert by_day[date(2026, 10, 1)] == CalendarDay(
        date(2026, 10, 1), DayKind.holiday, "National Day"
    )
    assert by_day[date(2026, 10, 10)].kind is DayKind.workday
    # Agrees with the package itself on every day of every covered year.
    day = date(min(years), 1, 1)
    while day.year <= max(years):
        assert CAL.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_covers() -> None:
    assert CAL.covers(2026)
    assert not CAL.covers(2027)
    assert CAL.covered_years == frozenset(chinese_calendar_days()[1])


def test_conflicting_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(
            [
                CalendarDay(date(2026, 10, 10), DayKind.workday, "National Day"),
                CalendarDay(date(2026, 10, 10), DayKind.holiday, "typo"),
            ],
            [2026],
        )


def test_entries_outside_covered_years_are_refused() -> None:
    with pytest.raises(ValueError, match="not among the covered years"):
        WorkingCalendar([CalendarDay(date(2027, 1, 1), DayKind.holiday, "New Year")], [2026])


def test_a_center_can_load_next_years_notice() -> None:
    # Once the State Council publishes 2027, a center adds it and Jan 1 stops counting.
    days, years = chinese_calendar_days()
    extra = CalendarDay(date(2027, 1, 1), DayKind.holiday, "New Year's Day")
    cal = WorkingCalendar([*days, extra], [*years, 2027])
    assert not cal.is_working_day(date(2027, 1, 1))
    # Thu 2026-12-31 10:00 + 1: Fri 2027-01-01 is off, Sat/Sun off -> Mon 2027-01-04 10:00
    assert cal.add_working_days(at(2026, 12, 31, 10), 1) == (at(2027, 1, 4, 10), False)


@pytest.mark.parametrize(
    ("start", "n", "deadline", "provisional"),
    [
        # Working-day start: same time on the n-th following working day.
        # Fri 11-27 19:45 +1: Sat 28, Sun 29 off -> Mon 11-30
        (at(2026, 11, 27, 19, 45), 1, at(2026, 11, 30, 19, 45), False),
        # n = 0 on a working day is the start itself
        (at(2026, 11, 27, 19, 45), 0, at(2026, 11, 27, 19, 45), False),
        # Non-working start: clock from 00:00 of the next working day, ends at its 24:00.
        # Sat 11-28 +1: Mon 11-30 is day 1 -> Mon 24:00 = Tue 12-01 00:00
        (at(2026, 11, 28, 10), 1, at(2026, 12, 1), False),
        # Sat 11-28 +0: the clock starts Mon 11-30 00:00
        (at(2026, 11, 28, 10), 0, at(2026, 11, 30), False),
        # Sat 2026-09-19 +1: Sun 09-20 is a make-up working day -> its 24:00 = Mon 09-21 00:00
        (at(2026, 9, 19, 11), 1, at(2026, 9, 21), False),
        # Make-up Sat 02-14 09:30 is a working day; +1: 15..23 off -> Tue 02-24 09:30
        (at(2026, 2, 14, 9, 30), 1, at(2026, 2, 24, 9, 30), False),
        # Thu 12-31 15:00 +1: Fri 2027-01-01 (no data: Mon-Fri) -> provisional
        (at(2026, 12, 31, 15), 1, at(2027, 1, 1, 15), True),
        # Wholly inside an uncovered year: Fri 2027-01-08 +1 -> Mon 2027-01-11
        (at(2027, 1, 8, 9), 1, at(2027, 1, 11, 9), True),
    ],
)
def test_add_working_days(start: datetime, n: int, deadline: datetime, provisional: bool) -> None:
    result, is_provisional = CAL.add_working_days(start, n)
    assert result == deadline
    assert result.utcoffset() == timedelta(hours=8)
    assert result.isoformat() == deadline.isoformat()
    assert is_provisional is provisional


def test_start_is_read_in_shanghai_time() -> None:
    # 2026-11-27T16:30Z is Sat 00:30 in Leshan, not Fri 16:30: Sat rule -> Tue 12-01 00:00
    result, _ = CAL.add_working_days(datetime(2026, 11, 27, 16, 30, tzinfo=UTC), 1)
    assert result.isoformat() == "2026-12-01T00:00:00+08:00"


def test_seconds_are_kept() -> None:
    start = datetime(2026, 11, 26, 8, 1, 2, 345678, tzinfo=SHANGHAI)
    result, _ = CAL.add_working_days(start, 1)
    assert result == datetime(2026, 11, 27, 8, 1, 2, 345678, tzinfo=SHANGHAI)


def test_naive_and_negative_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_days(datetime(2026, 11, 27, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(at(2026, 11, 27, 10), -1)


def test_empty_calendar_is_monday_to_friday_and_provisional() -> None:
    cal = WorkingCalendar([], [])
    # Wed 2026-09-30 +1: National Day unknown to this calendar -> Thu 10-01
    assert cal.add_working_days(at(2026, 9, 30, 16), 1) == (at(2026, 10, 1, 16), True)


# --- coverage_warning: who must enter next year's holidays, and from when ----------------------

_ONLY_2026 = WorkingCalendar([], [2026])


@pytest.mark.parametrize(
    ("today", "lead", "expected"),
    [
        # 1 January 2027 is 61 days after 1 November: one day too early for the default 60.
        (date(2026, 11, 1), 60, None),
        (date(2026, 11, 2), 60, CoverageWarning(2027, current=False, days_left=60)),
        (date(2026, 12, 5), 60, CoverageWarning(2027, current=False, days_left=27)),
        (date(2026, 12, 31), 60, CoverageWarning(2027, current=False, days_left=1)),
        (date(2026, 12, 31), 0, None),
        (date(2026, 12, 30), 1, None),
        (date(2026, 12, 31), 1, CoverageWarning(2027, current=False, days_left=1)),
        # Once the year has begun it is the current year that is missing, whatever the lead.
        (date(2027, 1, 1), 0, CoverageWarning(2027, current=True, days_left=0)),
        (date(2027, 6, 1), 60, CoverageWarning(2027, current=True, days_left=0)),
        (date(2025, 12, 31), 60, CoverageWarning(2025, current=True, days_left=0)),
        # A whole year ahead: a leap-year-sized lead reaches back to 1 January.
        (date(2026, 1, 1), 365, CoverageWarning(2027, current=False, days_left=365)),
        (date(2026, 1, 1), 364, None),
    ],
)
def test_coverage_warning_boundaries(
    today: date, lead: int, expected: CoverageWarning | None
) -> None:
    assert coverage_warning(_ONLY_2026, today, lead) == expected


def test_no_warning_once_next_year_is_entered() -> None:
    both = WorkingCalendar([], [2026, 2027])
    assert coverage_warning(both, date(2026, 12, 31), 60) is None
    assert coverage_warning(both, date(2027, 11, 2), 60) == CoverageWarning(2027 + 1, False, 60)


def test_coverage_warning_default_lead_is_60_days() -> None:
    assert DEFAULT_WARN_DAYS == 60
    assert coverage_warning(_ONLY_2026, date(2026, 11, 2)) is not None
    assert coverage_warning(_ONLY_2026, date(2026, 11, 1)) is None


def test_coverage_warning_refuses_a_negative_lead() -> None:
    with pytest.raises(ValueError, match="lead_days"):
        coverage_warning(_ONLY_2026, date(2026, 12, 5), -1)


def test_the_packaged_calendar_warns_in_december_2026() -> None:
    # The package covers up to 2026: the situation this warning exists for.
    if china_calendar().covers(2027):
        pytest.skip("the chinese-calendar package now ships 2027")
    found = coverage_warning(china_calendar(), date(2026, 12, 5), 60)
    assert found == CoverageWarning(2027, current=False, days_left=27)
