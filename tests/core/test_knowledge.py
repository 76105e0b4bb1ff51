"""The knowledge base's rules: status moves and who may make them, when an article is
shown, and how words become documents and queries (synonyms, the tsquery text). The
tokenizer's cut of real callers' phrases is checked too (jieba, the knowledge base's own).
"""

from __future__ import annotations

from datetime import date

import pytest

from dispatch_center.core.knowledge import (
    ArticleForbidden,
    ArticleStateError,
    ArticleStatus,
    Synonyms,
    article_move,
    clean_terms,
    outer_words,
    parse_synonym_lines,
    query_groups,
    query_key,
    shown_at_desk,
    tiers,
    tsquery_text,
)
from dispatch_center.core.roles import Role
from dispatch_center.knowledge.words import (
    document_parts,
    question_groups,
    shipped_synonym_groups,
    synonyms_with,
)

D, R, P, E = "draft", "reviewed", "published", "expired"

# (status, action, role, owns) -> new status, or the error.
MOVES = [
    (D, "review", Role.duty_officer, False, R),
    (R, "publish", Role.duty_officer, False, P),
    (P, "expire", Role.admin, False, E),
    (D, "expire", Role.handler, True, E),
    (P, "edit", Role.handler, True, D),
    (E, "edit", Role.handler, True, D),
    (R, "edit", Role.admin, False, D),
    (D, "publish", Role.duty_officer, False, ArticleStateError),
    (P, "review", Role.duty_officer, False, ArticleStateError),
    (E, "expire", Role.duty_officer, False, ArticleStateError),
    (E, "publish", Role.admin, False, ArticleStateError),
    (D, "review", Role.handler, True, ArticleForbidden),
    (R, "publish", Role.handler, True, ArticleForbidden),
    (P, "edit", Role.handler, False, ArticleForbidden),
    (P, "edit", Role.call_taker, False, ArticleForbidden),
    (D, "review", Role.dispatcher, False, ArticleForbidden),
    (P, "expire", Role.leader, False, ArticleForbidden),
]


@pytest.mark.parametrize(("status", "action", "role", "owns", "expected"), MOVES)
def test_status_moves(status: str, action: str, role: Role, owns: bool, expected: object) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            article_move(status, action, role, owns=owns)
    else:
        assert article_move(status, action, role, owns=owns) is ArticleStatus(str(expected))


def test_an_unknown_action_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        article_move(D, "delete", Role.admin, owns=False)
    with pytest.raises(ValueError):
        article_move(D, "create", Role.admin, owns=False)


TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("status", "valid_from", "valid_until", "shown"),
    [
        (P, None, None, True),
        (P, TODAY, TODAY, True),
        (P, date(2026, 12, 6), None, False),
        (P, None, date(2026, 12, 4), False),
        (E, None, None, False),
        (R, None, None, False),
        (D, None, None, False),
    ],
)
def test_shown_at_desk(
    status: str, valid_from: date | None, valid_until: date | None, shown: bool
) -> None:
    assert shown_at_desk(status, valid_from, valid_until, TODAY) is shown


def test_synonyms_join_groups_sharing_a_word_and_expand_queries() -> None:
    s = Synonyms.from_groups([["户口", "户籍"], ["户籍", "落户"], ["公积金", "住房公积金"]])
    assert set(s.group_of("落户")) == {"户口", "户籍", "落户"}
    groups = query_groups(["户口", "怎么", "迁", "公积金", "住房公积金"], s, frozenset({"怎么"}))
    # 迁 (one character, no synonyms) is dropped; 住房公积金 is already covered.
    assert groups == [("户口", "户籍", "落户"), ("公积金", "住房公积金")]
    assert query_key(groups) == "公积金 户口"
    assert query_key(query_groups(["落户"], s)) == query_key(query_groups(["户籍"], s))


def test_the_tsquery_quotes_every_word() -> None:
    text = tsquery_text([("it's",), ("a|b", "c&d"), ("x\\y",)])
    assert text == "('it''s') | ('a|b' | 'c&d') | ('x\\\\y')"
    assert tsquery_text([("公积金",), ("提取",)], all_groups=True) == "('公积金') & ('提取')"


def test_terms_drop_punctuation_and_stop_words() -> None:
    assert clean_terms(["社保卡", "，", "了", "ABC", "1", " "], frozenset({"了"})) == [
        "社保卡",
        "abc",
        "1",
    ]
    assert outer_words(["社保", "社保卡", "丢"]) == ["社保卡", "丢"]


def test_the_shipped_synonym_file_parses() -> None:
    groups = shipped_synonym_groups()
    assert ("公积金", "住房公积金") in groups
    assert any({"社保", "社会保险"} <= set(g) for g in groups)
    assert parse_synonym_lines("a/b\nc\n# x/y\nd，e、f") == [["a", "b"], ["d", "e", "f"]]


# What callers say, and the words the query must hold (one group each, synonyms inside).
PHRASES = [
    ("公积金怎么提取", [{"公积金", "住房公积金"}, {"提取", "支取"}]),
    ("孩子上学报名", [{"孩子", "子女"}, {"上学", "入学"}, {"报名"}]),
    ("社保卡丢了", [{"社保卡", "社会保障卡"}, {"丢失", "挂失"}]),
    ("请问驾照到期了怎么换", [{"驾照", "驾驶证"}, {"到期"}, {"换证"}]),
    ("峨眉山门票能退吗", [{"峨眉山"}, {"门票"}, {"退票", "退款"}]),
]


@pytest.mark.parametrize(("phrase", "expected"), PHRASES)
def test_callers_phrases_become_the_right_words(phrase: str, expected: list[set[str]]) -> None:
    groups = question_groups(phrase, synonyms_with([]))
    assert len(groups) == len(expected), groups
    for group, words in zip(groups, expected, strict=True):
        assert words <= set(group), (group, words)
    flat = {w for g in groups for w in g}
    assert not flat & {"怎么", "了", "吗", "请问", "眉山"}


def test_documents_hold_the_short_words_of_long_ones() -> None:
    head, body = document_parts("住房公积金提取", ["公积金怎么取"], "携带身份证办理。")
    assert {"住房公积金", "公积金", "提取"} <= set(head.split())
    assert {"身份证", "办理"} <= set(body.split()) and "。" not in body


def test_center_words_not_in_the_dictionary_are_still_found() -> None:
    s = synonyms_with([["充电桩", "充电设施"]])
    flat = {w for g in question_groups("充电桩", s) for w in g}
    assert {"充电桩", "充电设施"} <= flat


def test_tiers_go_from_every_group_to_any_and_stop_at_five_groups() -> None:
    three = tiers(["'a'", "'b' | 'c'", "'d'"])
    assert three[0] == "('a') & ('b' | 'c') & ('d')"
    assert three[-1] == "('a') | ('b' | 'c') | ('d')"
    assert three[1] == "('a') & ('b' | 'c') | ('a') & ('d') | ('b' | 'c') & ('d')"
    many = tiers([f"'w{i}'" for i in range(8)])
    assert len(many) == 5 and "w5" not in many[-1]
    assert tiers([]) == []
