"""Is this call about an order already open? The desk's live duplicates, scored.

A candidate is an open order within the radius and the window (the store finds those). It
is offered when it has the same taxonomy category or its words overlap the call's enough.

Words, not characters: both descriptions are cut by jieba into content words (stop words
dropped) and compared by the *overlap coefficient* |A ∩ B| / min(|A|, |B|). A caller's
account is short and a written order longer, so Jaccard (divided by the union) would punish
the long one for its detail; the overlap coefficient asks "how much of the shorter one does
the other say too". Character trigrams would need ``pg_trgm`` and match across word
boundaries ("路灯不亮" and "灯不亮了" share little as trigrams, everything as words).

The score (0..1) weighs category 0.45, words 0.45 and nearness 0.10, so a same-category
order next door with the same words scores near 1, and distance only breaks ties between
otherwise equal candidates.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["MIN_OVERLAP", "Candidate", "overlap", "rank", "score"]

#: Words in common, as a share of the shorter text, for an order of another category to
#: be offered at all.
MIN_OVERLAP = 0.34
W_CATEGORY, W_WORDS, W_NEAR = 0.45, 0.45, 0.10


def overlap(a: Collection[str], b: Collection[str]) -> float:
    """The overlap coefficient of two word sets (0 when either is empty).

    Examples
    --------
    >>> overlap({"路灯", "不亮"}, {"小区", "路灯", "不亮", "三天"})
    1.0
    >>> overlap({"垃圾"}, {"噪音"})
    0.0
    """
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def score(distance_m: float, radius_m: float, same_category: bool, words: float) -> float | None:
    """The candidate's score, or None when it is not similar enough to offer.

    Examples
    --------
    >>> score(0.0, 250.0, True, 1.0)
    1.0
    >>> score(125.0, 250.0, True, 0.0)
    0.5
    >>> score(10.0, 250.0, False, 0.1) is None
    True
    """
    if distance_m > radius_m or (not same_category and words < MIN_OVERLAP):
        return None
    near = 1.0 - distance_m / radius_m
    return round(W_CATEGORY * same_category + W_WORDS * words + W_NEAR * near, 4)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open order near the call: its id, distance, category and words."""

    order_id: int
    distance_m: float
    category_code: str | None
    words: frozenset[str]


def rank(
    candidates: Collection[Candidate],
    category: str | None,
    words: Collection[str],
    radius_m: float,
) -> list[tuple[Candidate, float]]:
    """The candidates worth offering with their scores, best first (nearer on ties).

    Examples
    --------
    >>> a = Candidate(1, 200.0, "urban.lighting", frozenset({"路灯", "不亮"}))
    >>> b = Candidate(2, 20.0, "urban.noise", frozenset({"噪音"}))
    >>> [(c.order_id, s) for c, s in rank([a, b], "urban.lighting", {"路灯"}, 250.0)]
    [(1, 0.92)]
    """
    out: list[tuple[Candidate, float]] = []
    for c in candidates:
        same = category is not None and c.category_code == category
        s = score(c.distance_m, radius_m, same, overlap(words, c.words))
        if s is not None:
            out.append((c, s))
    out.sort(key=lambda t: (-t[1], t[0].distance_m, -t[0].order_id))
    return out
