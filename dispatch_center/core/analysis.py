"""Analysis of the center's work: periods, rates, the quarterly ranking, repeats and hotspots.

Pure: plain data in, decisions out. The store sums the measures (from the rollups or
from raw orders), this module turns sums into rates, scores and ranks.

Rate definitions (shared with the supervision issue), over the orders *received* in a
period and attributed to the unit they are assigned to (or the county they are in):

* response rate (响应率) = responded within ``respond_by`` / received
* resolution rate (办结率) = replied / due, where *due* = received, less orders that
  ended without a reply (merged, passed to 110), less open orders whose ``reply_by``
  has not come yet
* on-time rate (按时办结率) = replied by ``reply_by`` / replied
* satisfaction rate (满意率) = (satisfied + basically satisfied) / evaluated
* return rate (退单率) = orders ever returned (``request_return``) / dispatched
* reopen rate (重办率) = orders ever reopened / evaluated
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
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
        return f"{s.isoformat()}至{last.isoformat()}"

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


# --------------------------------------------------------------------------- measures, rates


@dataclass(frozen=True)
class Measures:
    """Summed counts over a set of orders (what a rollup row holds).

    ``pending`` is the one live figure: open orders whose reply deadline has not come.
    """

    received: int = 0
    responded_in_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    excluded: int = 0
    evaluated: int = 0
    content: int = 0
    returned: int = 0
    reopened: int = 0
    dispatched: int = 0
    handle_seconds: int = 0
    pending: int = 0

    def __add__(self, other: Measures) -> Measures:
        return Measures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Measures:
        """Measures from a row with (some of) the same keys; missing keys count 0."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})  # type: ignore[call-overload]

    @property
    def due(self) -> int:
        """Orders whose reply is owed by now (see the module docstring)."""
        return max(self.received - self.excluded - self.pending, 0)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


@dataclass(frozen=True)
class Rates:
    """The six rates of a unit and period; ``None`` when the denominator is 0."""

    response: float | None
    resolution: float | None
    on_time: float | None
    satisfaction: float | None
    return_: float | None
    reopen: float | None
    avg_handle_hours: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Wire names (``return_rate`` etc.)."""
        return {
            "response_rate": self.response,
            "resolution_rate": self.resolution,
            "on_time_rate": self.on_time,
            "satisfaction_rate": self.satisfaction,
            "return_rate": self.return_,
            "reopen_rate": self.reopen,
            "avg_handle_hours": self.avg_handle_hours,
        }


def rates(m: Measures) -> Rates:
    """The six rates of summed measures, rounded to 4 places.

    Examples
    --------
    >>> r = rates(Measures(received=10, responded_in_time=9, replied=8, replied_on_time=6,
    ...                    evaluated=5, content=4, dispatched=8, returned=1, reopened=1,
    ...                    handle_seconds=8 * 3600))
    >>> (r.response, r.resolution, r.on_time, r.satisfaction, r.return_, r.reopen)
    (0.9, 0.8, 0.75, 0.8, 0.125, 0.2)
    """
    hours = round(m.handle_seconds / m.replied / 3600, 2) if m.replied else None
    return Rates(
        response=_ratio(m.responded_in_time, m.received),
        resolution=_ratio(m.replied, m.due),
        on_time=_ratio(m.replied_on_time, m.replied),
        satisfaction=_ratio(m.content, m.evaluated),
        return_=_ratio(m.returned, m.dispatched),
        reopen=_ratio(m.reopened, m.evaluated),
        avg_handle_hours=hours,
    )


@dataclass(frozen=True)
class Change:
    """A figure against a reference period."""

    current: int
    reference: int

    @property
    def delta(self) -> int:
        """current − reference."""
        return self.current - self.reference

    @property
    def pct(self) -> float | None:
        """Relative change in percent, ``None`` against zero.

        Examples
        --------
        >>> Change(120, 100).pct
        20.0
        """
        return round(100 * self.delta / self.reference, 1) if self.reference else None

    def as_dict(self) -> dict[str, float | int | None]:
        """Wire form."""
        return {
            "current": self.current,
            "reference": self.reference,
            "delta": self.delta,
            "pct": self.pct,
        }


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the composite score (人民群众最满意区县、部门).

    Defaults: satisfaction 0.30 (the citizens' own verdict leads), on-time 0.20,
    resolution 0.20, response 0.10, return 0.10 and reopen 0.10. Return and reopen
    count as ``1 − rate`` (fewer is better). A rate with no denominator is left out
    and the remaining weights are rescaled, so a unit is not punished for having no
    evaluations yet.
    """

    satisfaction: float = 0.30
    on_time: float = 0.20
    resolution: float = 0.20
    response: float = 0.10
    return_: float = 0.10
    reopen: float = 0.10

    def __post_init__(self) -> None:
        if any(getattr(self, f.name) < 0 for f in fields(self)):
            raise ValueError("ranking weights must not be negative")
        if sum(getattr(self, f.name) for f in fields(self)) <= 0:
            raise ValueError("at least one ranking weight must be positive")


def composite_score(r: Rates, w: RankingWeights | None = None) -> float | None:
    """Score out of 100; ``None`` when no weighted rate is known.

    Examples
    --------
    >>> composite_score(Rates(1.0, 1.0, 1.0, 1.0, 0.0, 0.0, None))
    100.0
    >>> composite_score(Rates(None, None, None, 0.5, None, None, None))
    50.0
    """
    w = w or RankingWeights()
    parts = [
        (w.satisfaction, r.satisfaction),
        (w.on_time, r.on_time),
        (w.resolution, r.resolution),
        (w.response, r.response),
        (w.return_, None if r.return_ is None else 1 - r.return_),
        (w.reopen, None if r.reopen is None else 1 - r.reopen),
    ]
    known = [(wt, v) for wt, v in parts if v is not None and wt > 0]
    total = sum(wt for wt, _ in known)
    if not known or total <= 0:
        return None
    return round(100 * sum(wt * v for wt, v in known) / total, 2)


@dataclass(frozen=True)
class RankedUnit:
    """One line of the quarterly list."""

    code: str
    name: str
    rank: int
    score: float
    measures: Measures
    rates: Rates
    bottom: bool = False

    def as_dict(self) -> dict[str, object]:
        """Wire form."""
        return {
            "rank": self.rank,
            "code": self.code,
            "name": self.name,
            "score": self.score,
            "bottom": self.bottom,
            "received": self.measures.received,
            "due": self.measures.due,
            "replied": self.measures.replied,
            "evaluated": self.measures.evaluated,
            **self.rates.as_dict(),
        }


def rank_units(
    units: Iterable[tuple[str, str, Measures]],
    weights: RankingWeights | None = None,
    *,
    min_received: int = 1,
    bottom_count: int = 1,
) -> list[RankedUnit]:
    """Rank units by composite score, best first; the last ``bottom_count`` are marked.

    Units with fewer than ``min_received`` orders or no score are not ranked. Ties
    share a rank (1, 2, 2, 4) and are listed by volume, then code.

    Examples
    --------
    >>> good = Measures(received=4, responded_in_time=4, replied=4, replied_on_time=4,
    ...                 evaluated=4, content=4, dispatched=4)
    >>> poor = Measures(received=4, responded_in_time=2, replied=3, replied_on_time=1,
    ...                 evaluated=3, content=1, dispatched=4, returned=2, reopened=1)
    >>> [(u.code, u.rank, u.bottom) for u in rank_units([("b", "B", poor), ("a", "A", good)])]
    [('a', 1, False), ('b', 2, True)]
    """
    scored: list[tuple[float, str, str, Measures, Rates]] = []
    for code, name, m in units:
        if m.received < min_received:
            continue
        r = rates(m)
        s = composite_score(r, weights)
        if s is not None:
            scored.append((s, code, name, m, r))
    scored.sort(key=lambda t: (-t[0], -t[3].received, t[1]))
    out: list[RankedUnit] = []
    for i, (s, code, name, m, r) in enumerate(scored):
        rank = out[-1].rank if out and out[-1].score == s else i + 1
        out.append(RankedUnit(code, name, rank, s, m, r))
    if out and bottom_count > 0:
        # Everyone tied with the last place shares the bottom.
        cut = out[max(len(out) - bottom_count, 0)].score
        out = [
            RankedUnit(u.code, u.name, u.rank, u.score, u.measures, u.rates, u.score <= cut)
            for u in out
        ]
    return out


# --------------------------------------------------------------------------- places


EARTH_RADIUS_M = 6_371_008.8
#: Side of the rollup's hotspot grid cells in degrees (about 1 km in Leshan).
GRID_DEG = 0.01


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine).

    Examples
    --------
    >>> round(distance_m(103.76, 29.55, 103.76, 29.56))
    1112
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def grid_cell(lon: float, lat: float, size_deg: float = GRID_DEG) -> tuple[int, int]:
    """The grid cell of a point, as the rollup computes it (``floor(coord / size)``).

    Examples
    --------
    >>> grid_cell(103.7665, 29.5521)
    (10376, 2955)
    """
    return math.floor(lon / size_deg), math.floor(lat / size_deg)


def cell_center(cell_x: int, cell_y: int, size_deg: float = GRID_DEG) -> tuple[float, float]:
    """Centre (lon, lat) of a grid cell.

    Examples
    --------
    >>> cell_center(10376, 2955)
    (103.765, 29.555)
    """
    return round((cell_x + 0.5) * size_deg, 6), round((cell_y + 0.5) * size_deg, 6)


def hex_cell(lon: float, lat: float, size_m: float = 1000.0) -> tuple[int, int]:
    """Axial coordinates of the pointy-top hexagon (centre-to-corner ``size_m``) holding a point.

    The point is projected equirectangularly at its own latitude, which is accurate to
    well under a percent across one city.

    Examples
    --------
    >>> hex_cell(103.7665, 29.5521) == hex_cell(103.7666, 29.5522)
    True
    """
    x = math.radians(lon) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    y = math.radians(lat) * EARTH_RADIUS_M
    q = (math.sqrt(3) / 3 * x - y / 3) / size_m
    r = (2 / 3 * y) / size_m
    # Cube rounding: round all three, fix the one with the largest error.
    s = -q - r
    rq, rr, rs = round(q), round(r), round(s)
    dq, dr, ds = abs(rq - q), abs(rr - r), abs(rs - s)
    if dq > dr and dq > ds:
        rq = -rr - rs
    elif dr > ds:
        rr = -rq - rs
    return int(rq), int(rr)


@dataclass(frozen=True)
class Hotspot:
    """A grid cell with many requests."""

    cell_x: int
    cell_y: int
    count: int
    lon: float
    lat: float

    def as_dict(self) -> dict[str, float | int]:
        """Wire form."""
        return {
            "cell_x": self.cell_x,
            "cell_y": self.cell_y,
            "count": self.count,
            "lon": self.lon,
            "lat": self.lat,
        }


def top_hotspots(cells: Iterable[tuple[int, int, int]], limit: int = 10) -> list[Hotspot]:
    """The busiest cells, most requests first (ties by cell, for a stable order).

    Examples
    --------
    >>> [h.count for h in top_hotspots([(1, 1, 3), (2, 2, 9), (3, 3, 3)], 2)]
    [9, 3]
    """
    ordered = sorted((c for c in cells if c[2] > 0), key=lambda c: (-c[2], c[0], c[1]))
    return [Hotspot(x, y, n, *cell_center(x, y)) for x, y, n in ordered[:limit]]


# --------------------------------------------------------------------------- repeats


@dataclass(frozen=True)
class RepeatRule:
    """重复反映: the same category within ``metres`` of an earlier request in ``days`` days."""

    metres: float = 200.0
    days: int = 30

    def __post_init__(self) -> None:
        if self.metres <= 0 or self.days <= 0:
            raise ValueError("a repeat rule needs positive metres and days")


@dataclass(frozen=True)
class RequestPoint:
    """What repeat detection needs of an order."""

    order_id: int
    received_at: datetime
    category_code: str
    lon: float
    lat: float


@dataclass(frozen=True)
class RepeatLink:
    """``order_id`` repeats ``first_id``, the earliest request it matches (the merge target)."""

    order_id: int
    first_id: int
    distance_m: float
    days_apart: float


def find_repeats(
    points: Sequence[RequestPoint], rule: RepeatRule = RepeatRule()
) -> list[RepeatLink]:
    """Link every request to the earliest earlier request it repeats.

    Earlier means received strictly before; a request within the window of several
    earlier ones links to the earliest of them, which is the order to merge into.

    Examples
    --------
    >>> t = datetime(2026, 11, 1, 9)
    >>> pts = [RequestPoint(1, t, "urban.sanitation", 103.7665, 29.5521),
    ...        RequestPoint(2, t + timedelta(days=3), "urban.sanitation", 103.7670, 29.5522),
    ...        RequestPoint(3, t + timedelta(days=3), "water.supply", 103.7665, 29.5521)]
    >>> [(r.order_id, r.first_id) for r in find_repeats(pts)]
    [(2, 1)]
    """
    window = timedelta(days=rule.days)
    by_cat: dict[str, list[RequestPoint]] = {}
    for p in sorted(points, key=lambda p: (p.received_at, p.order_id)):
        by_cat.setdefault(p.category_code, []).append(p)
    out: list[RepeatLink] = []
    for group in by_cat.values():
        for i, p in enumerate(group):
            for e in group[:i]:
                if e.received_at >= p.received_at or p.received_at - e.received_at > window:
                    continue
                d = distance_m(p.lon, p.lat, e.lon, e.lat)
                if d <= rule.metres:
                    gap = (p.received_at - e.received_at).total_seconds() / 86400
                    out.append(RepeatLink(p.order_id, e.order_id, round(d, 1), round(gap, 2)))
                    break
    return sorted(out, key=lambda r: r.order_id)


# --------------------------------------------------------------------------- topics, hard areas


@dataclass(frozen=True)
class RisingTerm:
    """A category or word and how it moved against the previous period."""

    term: str
    count: int
    previous: int
    growth: float | None = field(default=None)

    def as_dict(self) -> dict[str, object]:
        """Wire form."""
        return {
            "term": self.term,
            "count": self.count,
            "previous": self.previous,
            "growth_pct": self.growth,
        }


def rising_terms(
    current: Mapping[str, int], previous: Mapping[str, int], *, limit: int = 10, min_count: int = 3
) -> list[RisingTerm]:
    """Terms that rose most: by absolute increase, then by count.

    Examples
    --------
    >>> [t.term for t in rising_terms({"积水": 30, "噪音": 12, "停电": 5}, {"积水": 5, "噪音": 11})]
    ['积水', '停电', '噪音']
    """
    items = []
    for term, n in current.items():
        if n < min_count:
            continue
        before = int(previous.get(term, 0))
        growth = round(100 * (n - before) / before, 1) if before else None
        items.append((n - before, n, term, before, growth))
    items.sort(key=lambda t: (-t[0], -t[1], t[2]))
    return [RisingTerm(term, n, before, growth) for _, n, term, before, growth in items[:limit]]


@dataclass(frozen=True)
class HardArea:
    """A unit with many overdue, returned or reopened orders (难点领域)."""

    code: str
    overdue: int
    returned: int
    reopened: int

    @property
    def total(self) -> int:
        """Problems counted together."""
        return self.overdue + self.returned + self.reopened


def hard_areas(rows: Iterable[HardArea], limit: int = 10) -> list[HardArea]:
    """Units with the most problems first; units with none are left out.

    Examples
    --------
    >>> rows = [HardArea("a", 1, 0, 0), HardArea("b", 2, 1, 0), HardArea("c", 0, 0, 0)]
    >>> [h.code for h in hard_areas(rows)]
    ['b', 'a']
    """
    return sorted((r for r in rows if r.total > 0), key=lambda r: (-r.total, -r.overdue, r.code))[
        :limit
    ]
