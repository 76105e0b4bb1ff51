"""The knowledge base (知识库) as rules: an article's status, who may move it, when it may be
shown, and how words become a full-text document and a query.

An article is written by the unit that owns it (a department, a county), reviewed and
published by the center, and expires (by hand, or when its ``valid_until`` day has passed):

====================  =============================  ============================
action                from                           to
====================  =============================  ============================
``edit``              any status                     ``draft`` (review again)
``review`` (审核)     ``draft``                      ``reviewed``
``publish`` (发布)    ``reviewed``                   ``published``
``expire`` (失效)     ``draft``/``reviewed``/        ``expired``
                      ``published``
====================  =============================  ============================

The owner edits and may withdraw (``expire``) its own article; the center's KB desk
(duty officer, admin) reviews, publishes and expires. An edit of a reviewed or published
article sends it back to ``draft``: what a call-taker reads out has always been reviewed.

Words come from a tokenizer (jieba, outside this module); here they are filtered, expanded
with synonyms (社保 = 社会保险) and written as PostgreSQL ``tsvector`` text and
``tsquery`` expressions. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import combinations

from dispatch_center.core.roles import Role


class ArticleStatus(StrEnum):
    """Where an article stands."""

    draft = "draft"  # 草稿
    reviewed = "reviewed"  # 已审核
    published = "published"  # 已发布
    expired = "expired"  # 已失效


class ArticleAction(StrEnum):
    """Something done to an article."""

    create = "create"
    edit = "edit"
    review = "review"
    publish = "publish"
    expire = "expire"


STATUS_LABELS_ZH: dict[ArticleStatus, str] = {
    ArticleStatus.draft: "草稿",
    ArticleStatus.reviewed: "已审核",
    ArticleStatus.published: "已发布",
    ArticleStatus.expired: "已失效",
}

#: The center's KB desk: reviews, publishes and expires any article, and may write one.
KB_CENTER: frozenset[Role] = frozenset({Role.admin, Role.duty_officer})

#: Who reads articles not (or no longer) published, besides the owner's handlers.
KB_DRAFT_READERS: frozenset[Role] = KB_CENTER | {Role.auditor}

_S = ArticleStatus
_A = ArticleAction
_MOVES: dict[ArticleAction, tuple[frozenset[ArticleStatus], ArticleStatus]] = {
    _A.edit: (frozenset(_S), _S.draft),
    _A.review: (frozenset({_S.draft}), _S.reviewed),
    _A.publish: (frozenset({_S.reviewed}), _S.published),
    _A.expire: (frozenset({_S.draft, _S.reviewed, _S.published}), _S.expired),
}
# Moves the owning unit may make on its own articles (the center may make every move).
_OWNER_MOVES = frozenset({_A.edit, _A.expire})


class ArticleForbidden(Exception):
    """The caller may not take this action on this article (HTTP 403)."""


class ArticleStateError(Exception):
    """The action is not legal in the article's status (HTTP 409)."""

    def __init__(self, status: ArticleStatus, action: ArticleAction) -> None:
        legal = [str(a) for a, (froms, _) in _MOVES.items() if status in froms]
        self.status = status
        super().__init__(
            f"cannot {action} an article that is '{status}'; allowed: {', '.join(legal)}"
        )


def article_move(
    status: ArticleStatus | str, action: ArticleAction | str, role: Role, *, owns: bool
) -> ArticleStatus:
    """Decide whether ``role`` may take ``action`` on an article, and the status it leads to.

    Parameters
    ----------
    status : ArticleStatus or str
        The article's status now.
    action : ArticleAction or str
        ``edit``, ``review``, ``publish`` or ``expire``.
    role : Role
        The caller's role.
    owns : bool
        Whether the caller's unit owns the article (its handler).

    Returns
    -------
    ArticleStatus

    Raises
    ------
    ValueError
        An action name this table does not know.
    ArticleForbidden
        The caller may not take the action on this article.
    ArticleStateError
        The action is not legal in the article's status.

    Examples
    --------
    >>> article_move("draft", "review", Role.duty_officer, owns=False)
    <ArticleStatus.reviewed: 'reviewed'>
    >>> article_move("published", "edit", Role.handler, owns=True)
    <ArticleStatus.draft: 'draft'>
    >>> article_move("draft", "publish", Role.admin, owns=False)
    Traceback (most recent call last):
    ...
    dispatch_center.core.knowledge.ArticleStateError: cannot publish an article that is \
'draft'; allowed: edit, review, expire
    """
    act = ArticleAction(action)
    if act not in _MOVES:
        raise ValueError(f"unknown article action {action!r}")
    current = ArticleStatus(status)
    center = role in KB_CENTER
    if not (center or (owns and role is Role.handler and act in _OWNER_MOVES)):
        who = "the owning unit's handlers and the center" if act in _OWNER_MOVES else "the center"
        raise ArticleForbidden(f"only {who} (duty officer, admin) may {act} this article")
    froms, to = _MOVES[act]
    if current not in froms:
        raise ArticleStateError(current, act)
    return to


def may_write_for(role: Role, owns: bool) -> bool:
    """Whether a caller may create an article for a unit: its own handler, or the center.

    Examples
    --------
    >>> may_write_for(Role.handler, True), may_write_for(Role.handler, False)
    (True, False)
    >>> may_write_for(Role.admin, False), may_write_for(Role.call_taker, False)
    (True, False)
    """
    return role in KB_CENTER or (role is Role.handler and owns)


def shown_at_desk(
    status: ArticleStatus | str, valid_from: date | None, valid_until: date | None, today: date
) -> bool:
    """Whether a call-taker may be shown the article today: published and within its
    validity (both days included). An expired article is never shown.

    Examples
    --------
    >>> shown_at_desk("published", None, date(2026, 12, 31), date(2026, 12, 5))
    True
    >>> shown_at_desk("published", None, date(2026, 12, 4), date(2026, 12, 5))
    False
    >>> shown_at_desk("reviewed", None, None, date(2026, 12, 5))
    False
    """
    if ArticleStatus(status) is not ArticleStatus.published:
        return False
    if valid_from is not None and valid_from > today:
        return False
    return valid_until is None or valid_until >= today


# ---------------------------------------------------------------- words and queries

# What PostgreSQL's 'simple' parser keeps as one word: Chinese, letters, digits.
_TERM = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+$")


def clean_terms(tokens: Iterable[str], stops: frozenset[str] = frozenset()) -> list[str]:
    """The tokens that can be words of a document or a query, in order, lowercased, without
    punctuation, spaces and ``stops``; repeats kept (they count in a document).

    Examples
    --------
    >>> clean_terms(["社保卡", "丢", "了", "？", " ", "ID"], frozenset({"了"}))
    ['社保卡', '丢', 'id']
    """
    out = []
    for t in tokens:
        t = t.strip().lower()
        if t and t not in stops and _TERM.match(t):
            out.append(t)
    return out


def document_text(tokens: Iterable[str], stops: frozenset[str] = frozenset()) -> str:
    """The text PostgreSQL's ``to_tsvector('simple', …)`` reads: the terms joined by spaces.

    Examples
    --------
    >>> document_text(["住房", "公积金", "提取", "。"])
    '住房 公积金 提取'
    """
    return " ".join(clean_terms(tokens, stops))


@dataclass(frozen=True)
class Synonyms:
    """Groups of words that mean the same to a caller (社保 = 社会保险); each word maps to
    its whole group.

    Examples
    --------
    >>> s = Synonyms.from_groups([["户口", "户籍"], ["户籍", "落户"]])
    >>> s.group_of("户口")
    ('户口', '户籍', '落户')
    >>> s.group_of("公积金")
    ('公积金',)
    """

    groups: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_groups(cls, groups: Iterable[Sequence[str]]) -> Synonyms:
        """Build the table; a word in two groups joins them (synonymy is shared)."""
        table: dict[str, list[str]] = {}
        for group in groups:
            words = [w.strip().lower() for w in group if w.strip()]
            merged: list[str] = []
            for w in words:
                for x in table.get(w, [w]):
                    if x not in merged:
                        merged.append(x)
            for w in merged:
                table[w] = merged
        return cls({w: tuple(g) for w, g in table.items()})

    def group_of(self, word: str) -> tuple[str, ...]:
        """The word and its synonyms (the word alone when it has none)."""
        return self.groups.get(word, (word,))

    def words(self) -> list[str]:
        """Every word named in a group (for the tokenizer's dictionary)."""
        return sorted(self.groups)


def parse_synonym_lines(text: str) -> list[list[str]]:
    """Groups from a synonym file: one group a line, words separated by ``/``, ``,``,
    ``，``, ``、`` or spaces; ``#`` starts a comment.

    Examples
    --------
    >>> parse_synonym_lines("# comment\\n社保/社会保险\\n公积金，住房公积金  # note\\n\\n")
    [['社保', '社会保险'], ['公积金', '住房公积金']]
    """
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        words = [w for w in re.split(r"[/,，、\s]+", line) if w]
        if len(words) >= 2:
            out.append(words)
    return out


def query_groups(
    tokens: Iterable[str],
    synonyms: Synonyms,
    stops: frozenset[str] = frozenset(),
) -> list[tuple[str, ...]]:
    """A caller's words as groups of alternatives: each content word with its synonyms.

    Single characters are dropped unless they have synonyms (丢 → 丢失, 遗失): alone they
    match half the base. A group already covered by another word's group is not repeated.

    Examples
    --------
    >>> s = Synonyms.from_groups([["社保", "社会保险"], ["丢", "丢失", "遗失"]])
    >>> query_groups(["社保", "社保卡", "丢", "了", "卡"], s, frozenset({"了"}))
    [('社保', '社会保险'), ('社保卡',), ('丢', '丢失', '遗失')]
    """
    out: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for term in clean_terms(tokens, stops):
        group = synonyms.group_of(term)
        if len(term) < 2 and len(group) == 1:
            continue
        if term in seen:
            continue
        seen.update(group)
        out.append(group)
    return out


def outer_words(tokens: Sequence[str]) -> list[str]:
    """Search mode's tokens without the words found inside a longer one of them: a query
    keeps 住房公积金 and drops 公积, 积金 and 公积金 (the document has them all), and
    峨眉山 does not also ask for 眉山, another city.

    Examples
    --------
    >>> outer_words(["住房", "公积", "积金", "公积金", "住房公积金", "提取"])
    ['住房公积金', '提取']
    >>> outer_words(["峨眉", "眉山", "峨眉山", "门票"])
    ['峨眉山', '门票']
    """
    return [t for t in tokens if not any(len(u) > len(t) and t in u for u in tokens)]


def _lexeme(word: str, weight: str = "") -> str:
    # Quoted: a word is a lexeme, never an operator; 'simple' lowercases at index time.
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:{weight}" if weight else quoted


def group_tsquery(group: Sequence[str], weight: str = "") -> str:
    """One group's alternatives as ``to_tsquery`` text, optionally only where the document
    has the given weight (``A``: the title and question variants).

    Examples
    --------
    >>> group_tsquery(("公积金", "住房公积金"), "A")
    "'公积金':A | '住房公积金':A"
    """
    return " | ".join(_lexeme(w, weight) for w in group)


def tsquery_text(groups: Sequence[Sequence[str]], *, all_groups: bool = False) -> str:
    """The ``to_tsquery('simple', …)`` text of the groups: alternatives within a group
    joined by ``|``; groups joined by ``|`` (any word matches, the rank orders by how
    many and where) or by ``&`` when ``all_groups``. Empty when there are no groups.

    Examples
    --------
    >>> tsquery_text([("公积金", "住房公积金"), ("提取",)])
    "('公积金' | '住房公积金') | ('提取')"
    >>> tsquery_text([("公积金",), ("提取",)], all_groups=True)
    "('公积金') & ('提取')"
    >>> tsquery_text([])
    ''
    """
    joiner = " & " if all_groups else " | "
    return joiner.join("(" + group_tsquery(g) + ")" for g in groups if g)


#: At most this many groups of a question take part in the tiers of :func:`tiers` (their
#: subsets multiply); the rest still count in the ranking.
MAX_TIER_GROUPS = 5


def tiers(group_queries: Sequence[str]) -> list[str]:
    """``to_tsquery`` texts matching documents that hold at least ``n`` of the groups, for
    ``n`` from all of them down to one: the candidates an index finds best first.

    Each group is given as its own query text (:func:`group_tsquery`).

    Examples
    --------
    >>> for tier in tiers(["'a'", "'b'", "'c'"]):
    ...     print(tier)
    ('a') & ('b') & ('c')
    ('a') & ('b') | ('a') & ('c') | ('b') & ('c')
    ('a') | ('b') | ('c')
    >>> tiers(["'a' | 'x'"])
    ["('a' | 'x')"]
    """
    groups = [f"({g})" for g in group_queries[:MAX_TIER_GROUPS]]
    out = []
    for n in range(len(groups), 0, -1):
        out.append(" | ".join(" & ".join(c) for c in combinations(groups, n)))
    return out


def query_key(groups: Sequence[Sequence[str]]) -> str:
    """One spelling for queries that mean the same (the gaps report groups by it): each
    group's first word, sorted.

    Examples
    --------
    >>> s = Synonyms.from_groups([["社保", "社会保险"]])
    >>> query_key(query_groups(["社会保险", "卡"], s)) == query_key(query_groups(["社保"], s))
    True
    """
    return " ".join(sorted(g[0] for g in groups if g))
