"""The knowledge base (知识库): the desk's search, articles and their review, the gaps."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import AnyUser, CenterDep, require
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import BIGINT_MAX, SIGNED_IN, errors
from dispatch_center.api.schemas.kb import (
    KbArticleList,
    KbArticlePublic,
    KbGapList,
    KbSearchResult,
    KbSynonymList,
    KbSynonymPublic,
    KbUsedPublic,
    KbVersionList,
)
from dispatch_center.core.knowledge import KB_CENTER
from dispatch_center.core.roles import Role
from dispatch_center.knowledge import articles, search
from dispatch_center.models import (
    KbArticleCreate,
    KbArticleUpdate,
    KbSearchUsed,
    KbStatusChange,
    KbSynonymCreate,
)

router = PublicRouter(prefix="/api/v1/kb", tags=["knowledge base"])

#: Who writes articles: the owning unit's handlers and the center's KB desk.
Writer = Annotated[Principal, Depends(require(Role.handler, *sorted(KB_CENTER)))]
KbCenter = Annotated[Principal, Depends(require(*sorted(KB_CENTER)))]
GapReader = Annotated[Principal, Depends(require(*search.GAP_READERS))]

_SESSION = r"^[A-Za-z0-9_.:\-]+$"


@router.get("/search", responses=errors(*SIGNED_IN, 422))
async def search_articles(
    center: CenterDep,
    who: AnyUser,
    q: Annotated[str, Query(max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    session: Annotated[str | None, Query(max_length=64, pattern=_SESSION)] = None,
    order_id: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
) -> KbSearchResult:
    """Articles that answer ``q``, best first; only what is published and valid today.

    Words are cut by jieba and widened by synonyms (社保 = 社会保险); the title and the
    question variants weigh more than the answer. A search that names its call
    (``session``, the desk's id of the call, or ``order_id``) is recorded and its
    ``search_id`` returned, for ``POST /api/v1/kb/searches/{id}/used`` and the gaps.
    """
    found = await search.search(center, who, q, limit=limit, session=session, order_id=order_id)
    return KbSearchResult.model_validate(found)


@router.post("/searches/{search_id}/used", responses=errors(*SIGNED_IN, 404, 422))
async def search_used(
    center: CenterDep, who: AnyUser, search_id: str, body: KbSearchUsed
) -> KbUsedPublic:
    """The call of this search was answered from ``article_id`` (published): it leaves
    the gaps, with the call's other searches.
    """
    return KbUsedPublic.model_validate(
        await search.mark_used(center, who, search_id, body.article_id)
    )


@router.get("/gaps", responses=errors(*SIGNED_IN, 422))
async def gaps(
    center: CenterDep,
    who: GapReader,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> KbGapList:
    """Questions asked at the desk and answered from no article, most asked first: the
    articles to write next. A unit's handlers see the gaps that concern it.
    """
    return KbGapList.model_validate(await search.gaps(center, who, days=days, limit=limit))


@router.get("/articles", responses=errors(*SIGNED_IN, 422))
async def list_articles(
    center: CenterDep,
    who: AnyUser,
    status: Annotated[list[str] | None, Query(max_length=4)] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> KbArticleList:
    """Articles newest first: all for the center's KB desk and auditors, a unit's own
    for its handlers, the published ones for everyone else.
    """
    items = await articles.list_articles(
        center, who, statuses=status or [], owner=owner, limit=limit, before_id=before_id
    )
    return KbArticleList.model_validate(
        {"items": items, "next_before_id": items[-1]["id"] if len(items) == limit else None}
    )


@router.post(
    "/articles",
    status_code=201,
    responses=errors(*SIGNED_IN, 422),
)
async def create_article(center: CenterDep, who: Writer, data: KbArticleCreate) -> KbArticlePublic:
    """Write an article (a draft): a handler for its own unit, or the center for any."""
    view = await articles.create_article(center, who, data)
    assert view is not None
    return KbArticlePublic.model_validate(view)


@router.get("/articles/{article_id}", responses=errors(*SIGNED_IN, 404, 422))
async def get_article(center: CenterDep, who: AnyUser, article_id: str) -> KbArticlePublic:
    """One article (a draft only for the center, auditors and its unit)."""
    return KbArticlePublic.model_validate(await articles.get_article(center, who, article_id))


@router.patch("/articles/{article_id}", responses=errors(*SIGNED_IN, 404, 409, 422))
async def edit_article(
    center: CenterDep, who: Writer, article_id: str, data: KbArticleUpdate
) -> KbArticlePublic:
    """Edit an article (its unit, or the center): a new version, back to draft for review."""
    return KbArticlePublic.model_validate(
        await articles.edit_article(center, who, article_id, data)
    )


@router.get("/articles/{article_id}/versions", responses=errors(*SIGNED_IN, 404, 422))
async def article_versions(center: CenterDep, who: AnyUser, article_id: str) -> KbVersionList:
    """Every version of the article, newest first, with who made it and when."""
    return KbVersionList.model_validate({"items": await articles.versions(center, who, article_id)})


@router.post("/articles/{article_id}/{action}", responses=errors(*SIGNED_IN, 404, 409, 422))
async def change_status(
    center: CenterDep,
    who: Writer,
    article_id: str,
    action: str,
    body: KbStatusChange | None = None,
) -> KbArticlePublic:
    """``review`` (审核), ``publish`` (发布) or ``expire`` (失效): the center; a unit may
    expire (withdraw) its own article.
    """
    view = await articles.change_status(center, who, article_id, action, body or KbStatusChange())
    return KbArticlePublic.model_validate(view)


@router.get("/synonyms", responses=errors(*SIGNED_IN))
async def list_synonyms(center: CenterDep, who: AnyUser) -> KbSynonymList:
    """The synonym groups: shipped with the center, and the center's own."""
    return KbSynonymList.model_validate(await search.list_synonyms(center))


@router.post("/synonyms", status_code=201, responses=errors(*SIGNED_IN, 422))
async def add_synonyms(center: CenterDep, who: KbCenter, body: KbSynonymCreate) -> KbSynonymPublic:
    """Add a group of synonyms (the center's KB desk); searches use it at once."""
    return KbSynonymPublic.model_validate(await search.add_synonyms(center, who, body.words))
