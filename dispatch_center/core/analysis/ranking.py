"""The quarterly ranking (人民群众最满意区县、部门): weights, the composite score, the list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from dispatch_center.core.analysis.rates import Measures, Rates, rates


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
