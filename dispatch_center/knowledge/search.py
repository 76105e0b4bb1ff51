"""The desk's search, the searches of a call and the article used, and the gaps report.

A caller's question is cut like the articles are (:mod:`.words`), each content word
widened to its synonyms, and matched against the articles' full-text documents (any word
matches; the rank weighs title and question variants above the answer, and more words
above fewer). Only articles published and valid today are ever returned.

A search made during a call names the call (``session``, the desk's id of the call, or
``order_id``) and is recorded; when the call is answered from an article (the search's
``used``, or ``resolve_at_intake`` with ``kb_article_id``) the call's searches are marked.
Calls whose searches were never used are the gaps: what to write next.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import knowledge as kb
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Invalid, NotFound
from dispatch_center.knowledge.articles import parse_article_id
from dispatch_center.knowledge.words import question_groups, synonyms_with, tokenizer_ready
from dispatch_center.store import knowledge as store
from dispatch_center.store import orders as order_store

Row = dict[str, Any]

_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
SNIPPET_CHARS = 80


def snippet(answer: str, words: list[str], size: int = SNIPPET_CHARS) -> str:
    """The sentence of ``answer`` that holds most of ``words`` (the first one when none
    does), cut to ``size`` characters.

    Examples
    --------
    >>> snippet("请携带身份证。公积金提取需本人到柜台办理。", ["公积金", "提取"])
    '公积金提取需本人到柜台办理。'
    >>> snippet("第一句。第二句。", ["无关"])
    '第一句。'
    """
    sentences = [s.strip() for s in _SENTENCE.findall(answer) if s.strip()] or [answer]
    best = max(sentences, key=lambda s: (sum(w in s for w in words), -sentences.index(s)))
    return best if len(best) <= size else best[: size - 1] + "…"


async def synonyms(center: Center) -> kb.Synonyms:
    """The shipped synonyms with the center's own."""
    async with center.db.connection() as conn:
        extra = await store.synonym_groups(conn)
    return synonyms_with(extra)


async def _order_units(center: Center, who: Principal, order_id: int) -> list[str]:
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, order_id)
    if row is None or not reading_scope(center, who).sees_order(row):
        raise Invalid(f"no order {order_id}", fields={"order_id": "not an order you may see"})
    lead = ((row.get("routing") or {}).get("lead") or {}).get("code")
    return [u for u in (row.get("assigned_unit"), lead) if u]


async def search(
    center: Center,
    who: Principal,
    q: str,
    *,
    limit: int = 10,
    session: str | None = None,
    order_id: int | None = None,
) -> Row:
    """The articles that answer ``q``, best first; recorded when it names a call.

    Returns ``{"items": [...], "search_id": ...}``; each item has the contract's ``id``,
    ``title``, ``answer``, ``owner`` and ``valid_until``, and ``owner_name``,
    ``source`` (the policy it rests on), ``snippet`` and ``score`` besides.
    """
    text = q.strip()
    if not text:
        raise Invalid("say what to search for", fields={"q": "required"})
    order_units = await _order_units(center, who, order_id) if order_id is not None else []
    await tokenizer_ready()
    groups = question_groups(text, await synonyms(center))
    today = center.today()
    rows: list[Row] = []
    if groups:
        async with center.db.connection() as conn:
            texts = [kb.group_tsquery(g) for g in groups]
            rows = await store.search(conn, texts, kb.tiers(texts), today, limit)
    words = [w for g in groups for w in g]
    units = center.reference.units
    items = [
        {
            "id": str(r["id"]),
            "title": r["title"],
            "answer": r["answer"],
            "owner": r["owner"],
            "valid_until": r["valid_until"].isoformat() if r["valid_until"] else None,
            "owner_name": (units.get(r["owner"]) or {}).get("name"),
            "source": r["policy_source"],
            "snippet": snippet(r["answer"], words),
            "score": round(float(r["covered"]) + float(r["rank"]), 4),
        }
        for r in rows
    ]
    search_id = None
    if session is not None or order_id is not None:
        owners = sorted({*(r["owner"] for r in rows[:3]), *order_units})
        async with center.db.connection() as conn:
            search_id = await store.record_search(
                conn,
                {
                    "at": center.now(),
                    "actor": who.username,
                    "query": text,
                    "query_key": kb.query_key(groups),
                    "session": session,
                    "order_id": order_id,
                    "result_ids": [r["id"] for r in rows],
                    "owners": owners,
                },
            )
    return {
        "items": items,
        "search_id": str(search_id) if search_id is not None else None,
        "terms": [list(g) for g in groups],
    }


async def mark_used(center: Center, who: Principal, search_id: str, article_id: str) -> Row:
    """The call of search ``search_id`` was answered from ``article_id``."""
    sid = parse_article_id(search_id)  # the same shape of id
    aid = parse_article_id(article_id, "article_id")
    async with center.db.connection() as conn:
        found = await store.get_search(conn, sid)
        if found is None or (found["actor"] != who.username and who.role not in kb.KB_CENTER):
            raise NotFound(f"no search {search_id!r}")
        if await store.shown_article(conn, aid, center.today()) is None:
            raise Invalid(
                f"article {article_id} is not published",
                fields={"article_id": "not a published, valid article"},
            )
        marked = await store.mark_used(
            conn, article_id=aid, by=who.username, at=center.now(), search_id=sid
        )
    return {"search_id": str(sid), "article_id": str(aid), "marked": marked}


#: Who reads the gaps: the center's KB desk, auditors, leaders, and the units (their own).
GAP_READERS: tuple[Role, ...] = (*sorted(kb.KB_DRAFT_READERS), Role.leader, Role.handler)


async def gaps(center: Center, who: Principal, *, days: int, limit: int) -> Row:
    """Questions answered from no article in the last ``days`` days, most asked first.

    A handler sees the gaps that concern its units: those whose search found one of their
    articles without using it, or whose order is theirs.
    """
    since = center.now() - timedelta(days=days)
    owners = None
    if who.role is Role.handler:
        units = reading_scope(center, who).units
        owners = sorted(units) if units is not None else None
    async with center.db.connection() as conn:
        rows = await store.gaps(conn, since=since, owners=owners, limit=limit)
    return {
        "since": to_shanghai(since).isoformat(),
        "items": [
            {
                "query": r["examples"][0],
                "words": r["query_key"].split(),
                "calls": r["calls"],
                "last_at": to_shanghai(r["last_at"]).isoformat(),
                "examples": list(r["examples"]),
                "order_ids": [str(o) for o in (r["order_ids"] or [])],
                "found_articles": bool(r["most_results"]),
                "owners": list(r["owners"] or []),
            }
            for r in rows
        ],
    }


async def add_synonyms(center: Center, who: Principal, words: list[str]) -> Row:
    """Add a group of synonyms (the center's KB desk)."""
    if who.role not in kb.KB_CENTER:
        raise Forbidden("only the center (duty officer, admin) adds synonyms")
    clean = kb.clean_terms(words)
    if len(clean) != len(words):
        raise Invalid(
            "a synonym is one word of Chinese characters, letters or digits",
            fields={"words": "one word each, no spaces or punctuation"},
        )
    if len(set(clean)) < 2:
        raise Invalid("a group needs two different words", fields={"words": "two or more"})
    async with center.db.connection() as conn:
        row = await store.add_synonyms(conn, clean, who.username, center.now())
    return {
        "id": str(row["id"]),
        "words": list(row["words"]),
        "created_by": row["created_by"],
        "created_at": to_shanghai(row["created_at"]).isoformat(),
    }


async def list_synonyms(center: Center) -> Row:
    """The shipped groups and the center's own."""
    async with center.db.connection() as conn:
        extra = await store.synonym_groups(conn)
    shipped = synonyms_with([])
    return {
        "shipped": sorted({g for g in shipped.groups.values()}),
        "center": extra,
    }
