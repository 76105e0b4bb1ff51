"""Words of the knowledge base: jieba for Chinese, the synonyms, documents and queries.

The knowledge base has a tokenizer of its own (a :class:`jieba.Tokenizer`, not jieba's
global one that the reports count hot words with): it is taught every word of the synonym
file, so that 社保卡 or 住房公积金 stay one word, and search mode (``cut_for_search``)
adds their shorter words too (住房公积金 → 住房, 公积金, 住房公积金). Documents and queries
are cut the same way, so a caller's 公积金 meets an article's 住房公积金.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from importlib import resources
from typing import Any

from dispatch_center.core.knowledge import (
    Synonyms,
    clean_terms,
    document_text,
    outer_words,
    parse_synonym_lines,
    query_groups,
)


def _data(name: str) -> str:
    return (resources.files("dispatch_center.data") / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The groups of ``dispatch_center/data/kb_synonyms.txt``."""
    return tuple(tuple(g) for g in parse_synonym_lines(_data("kb_synonyms.txt")))


@lru_cache(maxsize=1)
def query_stop_words() -> frozenset[str]:
    """Words around a question, not about it (``kb_query_words.txt``): 怎么, 请问, 了…"""
    return frozenset(
        w.strip()
        for w in _data("kb_query_words.txt").splitlines()
        if w.strip() and not w.startswith("#")
    )


@lru_cache(maxsize=1)
def kb_tokenizer() -> Any:
    """The knowledge base's jieba tokenizer, dictionary loaded (once per process).

    Its dictionary is a copy of jieba's global one (which the reports' hot words load
    too): loading jieba's dictionary takes one to several seconds, copying it a tenth.

    Examples
    --------
    >>> kb_tokenizer().lcut_for_search("社保卡丢了")  # doctest: +SKIP
    ['社保卡', '丢了']
    """
    # Heavy: imported on first use, so that processes that never search never pay.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = dict(jieba.dt.FREQ)
    tokenizer.total = jieba.dt.total
    tokenizer.initialized = True
    for group in shipped_synonym_groups():
        for word in group:
            if len(word) > 1:
                tokenizer.add_word(word)
    return tokenizer


async def tokenizer_ready() -> None:
    """Load the tokenizer off the event loop (its first load takes about a second)."""
    await asyncio.to_thread(kb_tokenizer)


def cut(text: str) -> list[str]:
    """``text`` in search mode: every word, and the shorter words inside long ones.

    Examples
    --------
    >>> cut("住房公积金提取")  # doctest: +SKIP
    ['住房', '公积', '积金', '公积金', '住房公积金', '提取']
    """
    return list(kb_tokenizer().lcut_for_search(text))


def document_parts(title: str, questions: list[str], answer: str) -> tuple[str, str]:
    """An article's two weighted parts as ``to_tsvector`` text: the title and the question
    variants (weight A), the answer (weight B).

    Examples
    --------
    >>> document_parts("住房公积金提取", ["公积金怎么取"], "携带身份证办理。")  # doctest: +SKIP
    ('住房 公积 积金 公积金 住房公积金 提取 公积 积金 公积金 怎么 取', '携带 身份 身份证 办理')
    """
    head = " ".join([document_text(cut(title)), *(document_text(cut(q)) for q in questions)])
    return head.strip(), document_text(cut(answer))


def synonyms_with(extra: list[list[str]]) -> Synonyms:
    """The shipped synonyms joined with the center's own groups."""
    return Synonyms.from_groups([*shipped_synonym_groups(), *extra])


def question_groups(text: str, synonyms: Synonyms) -> list[tuple[str, ...]]:
    """A caller's question as groups of alternative words (:func:`query_groups`).

    The words the center added are not in the tokenizer's dictionary: a phrase the cut
    splits is looked up whole as well.

    Examples
    --------
    >>> question_groups("公积金怎么提取", synonyms_with([]))  # doctest: +SKIP
    [('公积金', '住房公积金'), ('提取', '取出', '支取')]
    """
    tokens = outer_words(cut(text))
    stops = query_stop_words()
    whole = [t for t in clean_terms([text], stops) if t in synonyms.groups and t not in tokens]
    return query_groups([*whole, *tokens], synonyms, stops)
