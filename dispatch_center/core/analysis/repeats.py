"""Repeated requests (重复反映): the same category, close by, within a few days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from geo.distance import haversine_m


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
                d = haversine_m(p.lon, p.lat, e.lon, e.lat)
                if d <= rule.metres:
                    gap = (p.received_at - e.received_at).total_seconds() / 86400
                    out.append(RepeatLink(p.order_id, e.order_id, round(d, 1), round(gap, 2)))
                    break
    return sorted(out, key=lambda r: r.order_id)
