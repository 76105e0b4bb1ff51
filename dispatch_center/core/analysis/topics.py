"""What stands out in a period: categories and words that rose against the previous period,
and the hard areas (难点领域), units with many overdue, returned or reopened orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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
