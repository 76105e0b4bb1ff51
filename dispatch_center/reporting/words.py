"""Words of the requests: stop words, jieba tokenising, word counts and the hot words.

jieba ships its dictionary inside the wheel (``jieba/dict.txt``): nothing is downloaded.
The rollup worker counts each day's words as orders arrive; the hot words of a report
are the words that rose most against the previous period.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from dispatch_center.core.analysis.periods import Period
from dispatch_center.core.analysis.topics import rising_terms
from dispatch_center.reporting.measures import TOP_N
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn, Source


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The maintained Chinese stop list of stopwords-iso (package ``stopwordsiso``) plus
    the center's own in ``dispatch_center/data/stopwords_zh.txt``.

    Examples
    --------
    >>> {"我们", "小时", "发现", "分析", "转办"} <= stop_words()
    True
    """
    import stopwordsiso

    text = (resources.files("dispatch_center.data") / "stopwords_zh.txt").read_text(
        encoding="utf-8"
    )
    own = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    return frozenset(stopwordsiso.stopwords("zh")) | own


_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")
# A number with a unit of time or count (十一点, 三天, 两次, 第一): what jieba keeps as one
# word, and never what a request is about.
_NUMERIC = re.compile(
    r"^第?[零〇一二三四五六七八九十百千万两几半]+[点时天日号月年周次个分秒楼层栋户人]?[钟半多]?$"
)


# A place's own name (犍为县, 玉津镇, 市中区): where, not what. Two characters (景区, 小区)
# are words of the trade and stay.
_PLACE = re.compile(r"^.{2,}(?:县|区|市|镇|乡|街道|村|社区)$")


def is_content_word(word: str) -> bool:
    """Whether ``word`` may count as a hot word: two or more letters or characters, not a
    stop word, not a number of hours, days or times, not the name of a county, township
    or village.

    Examples
    --------
    >>> words = ["十一点", "三天", "垃圾", "小时", "发现", "停水", "玉津镇", "景区"]
    >>> [w for w in words if is_content_word(w)]
    ['垃圾', '停水', '景区']
    """
    return (
        bool(_WORDLIKE.match(word))
        and not _NUMERIC.match(word)
        and not _PLACE.match(word)
        and word not in stop_words()
    )


@lru_cache(maxsize=1)
def load_tokenizer() -> Any:
    """Jieba with its dictionary loaded (a second of CPU, once per process)."""
    # Heavy: imported on first use, so that processes that never tokenise never pay.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Content words of a request, tokenised by jieba, stop words and numbers removed.

    Examples
    --------
    >>> tokenize("小区门口垃圾堆积三天无人清运")  # doctest: +SKIP
    ['小区', '门口', '垃圾', '堆积', '三天', '无人', '清运']
    """
    return [w for w in load_tokenizer().lcut(text) if is_content_word(w)]


def count_words(texts: Iterable[str], cache: dict[str, list[str]] | None = None) -> Counter[str]:
    """Word counts over many texts; each text counts a word once (documents, not mentions)."""
    out: Counter[str] = Counter()
    for t in texts:
        words = cache.get(t) if cache is not None else None
        if words is None:
            words = sorted(set(tokenize(t)))
            if cache is not None:
                cache[t] = words
        out.update(words)
    return out


def day_word_counts(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[date, str], int]:
    """Per (day, word): how many of the orders (``day``, ``description``) use the word.

    Examples
    --------
    >>> day = date(2026, 5, 1)
    >>> rows = [{"day": day, "description": "垃圾堆积"}, {"day": day, "description": "门口垃圾"}]
    >>> sorted((w, n) for (_, w), n in day_word_counts(rows).items())
    [('垃圾', 2), ('堆积', 1), ('门口', 1)]
    """
    counts: dict[tuple[date, str], int] = {}
    for r in rows:
        for w in set(tokenize(r["description"] or "")):
            counts[(r["day"], w)] = counts.get((r["day"], w), 0) + 1
    return counts


async def hot_words(
    conn: Conn, p: Period, prev: Period, source: Source, *, limit: int = TOP_N
) -> list[dict[str, Any]]:
    """The words of ``p`` that rose most against ``prev``, among its 300 most used."""
    if source == "rollup":
        cur = await store.word_counts(conn, p.start, p.end, None, 300)
        before = await store.word_counts(conn, prev.start, prev.end, list(cur), 0)
    else:
        full = count_words(await store.descriptions(conn, p.start, p.end))
        top = sorted(full.items(), key=lambda t: (-t[1], t[0]))[:300]
        cur = dict(top)
        prev_all = count_words(await store.descriptions(conn, prev.start, prev.end))
        before = {w: prev_all[w] for w in cur if w in prev_all}
    # Counts kept before a word joined the stop list are still in the rollups.
    cur = {w: n for w, n in cur.items() if is_content_word(w)}
    return [t.as_dict() for t in rising_terms(cur, before, limit=limit)]
