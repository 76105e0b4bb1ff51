"""A category suggestion from a request's words: multinomial naive Bayes.

Why naive Bayes: it trains in milliseconds on a few thousand short texts (so the desk can
retrain on the center's own orders every few minutes), needs no dependency, degrades
gracefully with few examples per class (the taxonomy's names and seed phrases are enough
to start) and is easy to check. Features are the request's words (jieba, cut by the
caller of this module: this module does no I/O) plus character bigrams of each word, so a
word jieba cuts differently ("停水了" vs "停水") still shares evidence. Laplace smoothing
``alpha``; scores are posteriors normalised over the classes (softmax of the log
likelihoods), so the top three read as "how sure".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["NaiveBayes", "features", "train"]


def features(words: Iterable[str]) -> list[str]:
    """The classifier's features of a text's words: each word, and its character bigrams.

    Examples
    --------
    >>> features(["路灯", "不亮了"])
    ['路灯', '路灯', '不亮了', '不亮', '亮了']
    """
    out: list[str] = []
    for w in words:
        out.append(w)
        if len(w) >= 2:
            out.extend(w[i : i + 2] for i in range(len(w) - 1))
    return out


@dataclass(frozen=True)
class NaiveBayes:
    """A trained model: log priors, per-class log likelihoods, the unseen-feature default."""

    log_prior: dict[str, float]
    log_like: dict[str, dict[str, float]]
    log_unseen: dict[str, float]
    vocabulary: frozenset[str]

    def predict(self, words: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes with normalised scores (0..1), best first; empty when
        no word of ``words`` was seen in training (no evidence is no suggestion).

        Examples
        --------
        >>> m = train([("a", ["路灯", "不亮"]), ("b", ["垃圾", "堆积"])])
        >>> [c for c, _ in m.predict(["路灯"], k=1)]
        ['a']
        >>> m.predict(["火星"])
        []
        """
        feats = [f for f in features(words) if f in self.vocabulary]
        if not feats:
            return []
        logs = {
            c: prior + sum(self.log_like[c].get(f, self.log_unseen[c]) for f in feats)
            for c, prior in self.log_prior.items()
        }
        top = max(logs.values())
        exp = {c: math.exp(v - top) for c, v in logs.items()}
        total = sum(exp.values())
        ranked = sorted(exp.items(), key=lambda t: (-t[1], t[0]))[:k]
        return [(c, round(v / total, 4)) for c, v in ranked]


def train(examples: Iterable[tuple[str, Sequence[str]]], alpha: float = 0.5) -> NaiveBayes:
    """Train on ``(class, words)`` examples.

    Priors are flattened (square root of the counts): the past orders are dominated by a
    few categories, and a caller describing a lift must not be talked into 市容环卫 by
    volume alone.

    Examples
    --------
    >>> m = train([("a", ["x"]), ("a", ["x"]), ("b", ["y"])])
    >>> sorted(m.log_prior)
    ['a', 'b']
    """
    counts: dict[str, Counter[str]] = {}
    docs: Counter[str] = Counter()
    for label, words in examples:
        counts.setdefault(label, Counter()).update(features(words))
        docs[label] += 1
    vocab = frozenset(f for c in counts.values() for f in c)
    v = max(len(vocab), 1)
    weight = {c: math.sqrt(n) for c, n in docs.items()}
    total_w = sum(weight.values()) or 1.0
    log_prior = {c: math.log(w / total_w) for c, w in weight.items()}
    log_like: dict[str, dict[str, float]] = {}
    log_unseen: dict[str, float] = {}
    for c, cnt in counts.items():
        denom = sum(cnt.values()) + alpha * v
        log_like[c] = {f: math.log((n + alpha) / denom) for f, n in cnt.items()}
        log_unseen[c] = math.log(alpha / denom)
    return NaiveBayes(log_prior, log_like, log_unseen, vocab)
