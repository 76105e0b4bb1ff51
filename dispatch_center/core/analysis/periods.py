"""Report periods: half-open runs of local days, their labels and keys, and the periods a
report compares against (环比: the previous period; 同比: the same period last year).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    """The report periods of the center (日报、周报、月报、季报、年报、专报)."""

    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    annual = "annual"
    special = "special"


KIND_LABELS_ZH: dict[PeriodKind, str] = {
    PeriodKind.daily: "日报",
    PeriodKind.weekly: "周报",
    PeriodKind.monthly: "月报",
    PeriodKind.quarterly: "季报",
    PeriodKind.annual: "年报",
    PeriodKind.special: "专报",
}


@dataclass(frozen=True)
class Period:
    """A half-open run of local days ``[start, end)``.

    Examples
    --------
    >>> p = period_for(PeriodKind.monthly, date(2026, 11, 27))
    >>> (p.start, p.end, p.days)
    (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1), 30)
    """

    kind: PeriodKind
    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        """The period as the center writes it (``2026年第3季度``)."""
        s = self.start
        if self.kind is PeriodKind.daily:
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind is PeriodKind.weekly:
            iso = s.isocalendar()
            return f"{iso.year}年第{iso.week}周"
        if self.kind is PeriodKind.monthly:
            return f"{s.year}年{s.month}月"
        if self.kind is PeriodKind.quarterly:
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        if self.kind is PeriodKind.annual:
            return f"{s.year}年"
        last = self.end - timedelta(days=1)
        # A run of days as people write it: the year once when both ends share it.
        tail = (
            f"{last.month}月{last.day}日"
            if last.year == s.year
            else f"{last.year}年{last.month}月{last.day}日"
        )
        return f"{s.year}年{s.month}月{s.day}日至{tail}"

    @property
    def key(self) -> str:
        """A short machine key (``2026-11-27``, ``2026W48``, ``2026-11``, ``2026Q3``, ``2026``)."""
        s = self.start
        if self.kind is PeriodKind.daily:
            return s.isoformat()
        if self.kind is PeriodKind.weekly:
            iso = s.isocalendar()
            return f"{iso.year}W{iso.week:02d}"
        if self.kind is PeriodKind.monthly:
            return f"{s.year}-{s.month:02d}"
        if self.kind is PeriodKind.quarterly:
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.annual:
            return str(s.year)
        return f"{s.isoformat()}_{(self.end - timedelta(days=1)).isoformat()}"


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def period_for(kind: PeriodKind | str, day: date) -> Period:
    """The period of ``kind`` that contains ``day`` (weeks start on Monday).

    Examples
    --------
    >>> period_for("quarterly", date(2026, 8, 15)).key
    '2026Q3'
    >>> period_for("weekly", date(2026, 11, 27)).start
    datetime.date(2026, 11, 23)
    """
    k = PeriodKind(kind)
    if k is PeriodKind.daily:
        return Period(k, day, day + timedelta(days=1))
    if k is PeriodKind.weekly:
        start = day - timedelta(days=day.weekday())
        return Period(k, start, start + timedelta(days=7))
    if k is PeriodKind.monthly:
        start = day.replace(day=1)
        return Period(k, start, _add_months(start, 1))
    if k is PeriodKind.quarterly:
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(k, start, _add_months(start, 3))
    if k is PeriodKind.annual:
        return Period(k, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise ValueError("a special period needs explicit start and end: use Period(...)")


def previous_period(p: Period) -> Period:
    """The period just before ``p`` (环比), of the same kind and length.

    Examples
    --------
    >>> previous_period(period_for("monthly", date(2026, 3, 10))).label
    '2026年2月'
    """
    if p.kind in (PeriodKind.daily, PeriodKind.weekly, PeriodKind.special):
        return Period(p.kind, p.start - timedelta(days=p.days), p.start)
    months = {PeriodKind.monthly: 1, PeriodKind.quarterly: 3, PeriodKind.annual: 12}[p.kind]
    return Period(p.kind, _add_months(p.start, -months), p.start)


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def same_period_last_year(p: Period) -> Period:
    """The same period one year earlier (同比); a week is the same ISO week number.

    Examples
    --------
    >>> same_period_last_year(period_for("daily", date(2024, 2, 29))).start
    datetime.date(2023, 2, 28)
    >>> same_period_last_year(period_for("weekly", date(2026, 11, 27))).key
    '2025W48'
    """
    if p.kind is PeriodKind.weekly:
        iso = p.start.isocalendar()
        try:
            start = date.fromisocalendar(iso.year - 1, iso.week, 1)
        except ValueError:  # week 53 in a year that had 52
            start = date.fromisocalendar(iso.year - 1, 52, 1)
        return Period(p.kind, start, start + timedelta(days=7))
    start = _shift_year(p.start, -1)
    if p.kind is PeriodKind.daily:
        return Period(p.kind, start, start + timedelta(days=1))
    return Period(p.kind, start, _shift_year(p.end, -1))


def parse_quarter(text: str) -> Period:
    """``"2026Q3"`` → the quarter's period.

    Examples
    --------
    >>> parse_quarter("2026Q3").end
    datetime.date(2026, 10, 1)
    """
    t = text.strip().upper()
    if len(t) != 6 or t[4] != "Q" or not t[:4].isdigit() or t[5] not in "1234":
        raise ValueError(f"quarter {text!r} is not like 2026Q3")
    return period_for(PeriodKind.quarterly, date(int(t[:4]), (int(t[5]) - 1) * 3 + 1, 1))


def buckets(p: Period) -> list[date]:
    """The trend buckets of a period: days, or first days of months for a year.

    Examples
    --------
    >>> len(buckets(period_for("annual", date(2026, 1, 1))))
    12
    """
    if p.kind is PeriodKind.annual or p.days > 120:
        out, d = [], p.start.replace(day=1)
        while d < p.end:
            out.append(d)
            d = _add_months(d, 1)
        return out
    return [p.start + timedelta(days=i) for i in range(p.days)]
