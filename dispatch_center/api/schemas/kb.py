"""The knowledge base (知识库): articles, their versions, the desk's search, the gaps."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Day, Public, Timestamp


class KbSearchItem(Public):
    """One answer found, best first (the contract's keys first)."""

    id: str = Field(examples=["42"])
    title: str = Field(examples=["住房公积金提取条件和办理流程"])
    answer: str
    owner: str = Field(examples=["511100-GJJ"])
    valid_until: Day | None = None
    owner_name: str | None = Field(default=None, examples=["乐山市住房公积金管理中心"])
    source: str = Field(default="", examples=["《住房公积金管理条例》第二十四条"])
    snippet: str = Field(default="", examples=["职工购买、建造、翻建、大修自住住房的…"])
    score: float = Field(default=0.0, examples=[0.61])


class KbSearchResult(Public):
    """The answers to a question; ``search_id`` when the search named a call."""

    items: list[KbSearchItem]
    search_id: str | None = None
    terms: list[list[str]] = Field(
        default_factory=list, examples=[[["公积金", "住房公积金"], ["提取", "支取"]]]
    )


class KbArticlePublic(Public):
    """An article as the API shows it."""

    id: str
    title: str
    answer: str
    owner: str
    owner_name: str | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    questions: list[str]
    policy_source: str
    category_code: str | None = None
    status: str = Field(examples=["published"])
    status_label: str = Field(examples=["已发布"])
    shown_at_desk: bool
    demo: bool
    version: int
    created_by: str
    created_at: Timestamp
    updated_by: str
    updated_at: Timestamp


class KbArticleList(Public):
    """Articles, newest first; page with ``before_id``."""

    items: list[KbArticlePublic]
    next_before_id: str | None = None


class KbVersionPublic(Public):
    """One version of an article: its content then, who made it, when and how."""

    version: int
    action: str = Field(examples=["edit"])
    status: str
    by: str
    role: str
    at: Timestamp
    note: str | None = None
    title: str
    questions: list[str]
    answer: str
    policy_source: str
    category_code: str | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None


class KbVersionList(Public):
    """Every version, newest first."""

    items: list[KbVersionPublic]


class KbUsedPublic(Public):
    """The searches of the call now marked as answered from the article."""

    search_id: str
    article_id: str
    marked: int


class KbGap(Public):
    """A question the desk could not answer from an article."""

    query: str = Field(examples=["电动车充电桩安装"])
    words: list[str]
    calls: int
    last_at: Timestamp
    examples: list[str]
    order_ids: list[str]
    found_articles: bool
    owners: list[str]


class KbGapList(Public):
    """Gaps since ``since``, most asked first."""

    since: Timestamp
    items: list[KbGap]


class KbSynonymPublic(Public):
    """A group of synonyms the center added."""

    id: str
    words: list[str]
    created_by: str
    created_at: Timestamp


class KbSynonymList(Public):
    """The shipped groups and the center's own."""

    shipped: list[list[str]]
    center: list[list[str]]
