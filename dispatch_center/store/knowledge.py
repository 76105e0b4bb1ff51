"""SQL for the knowledge base: articles and their versions, synonyms, the desk's searches.

An article's write and the row of its version history are one statement (a CTE): there is
no version of an article without its history row. The full-text document is built here
from the words the service hands in (title and questions weighted A, the answer B).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

#: The columns an article is read with (never its tsvector).
ARTICLE_COLUMNS = (
    "id, owner, title, questions, answer, policy_source, category_code, valid_from,"
    " valid_until, status, demo, version, created_by, created_at, updated_by, updated_at"
)
_A_COLUMNS = ", ".join(f"a.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))

_DOC = (
    "setweight(to_tsvector('simple', %(head)s), 'A')"
    " || setweight(to_tsvector('simple', %(body)s), 'B')"
)
_HEAD_DOC = "to_tsvector('simple', %(head)s)"

_VERSION_ROW = (
    """
, v AS (INSERT INTO kb_article_versions
            (article_id, version, action, status, title, questions, answer, policy_source,
             category_code, valid_from, valid_until, by_user, by_role, at, note)
        SELECT a.id, a.version, %(action)s, a.status, a.title, a.questions, a.answer,
               a.policy_source, a.category_code, a.valid_from, a.valid_until, %(by)s,
               %(role)s, %(at)s, %(note)s FROM a)
SELECT """
    + _A_COLUMNS
    + " FROM a"
)

#: Weights of D, C, B, A for ts_rank: a word of the title or a question counts five
#: times one of the answer.
RANK_WEIGHTS = "{0.01, 0.02, 0.2, 1.0}"

# 1: rank divided by 1 + log(document length), so a long answer that mentions a word in
# passing does not outrank the article about it.
_RANK = f"ts_rank('{RANK_WEIGHTS}', search_doc, q, 1)"

_SHOWN = (
    "status = 'published' AND (valid_from IS NULL OR valid_from <= %(today)s)"
    " AND (valid_until IS NULL OR valid_until >= %(today)s)"
)


def _article_params(values: Row) -> Row:
    out = dict(values)
    out["questions"] = Jsonb(list(values.get("questions") or []))
    return out


async def insert_article(
    conn: Conn,
    values: Row,
    *,
    head: str,
    body: str,
    by: str,
    role: str,
    at: datetime,
    demo: bool = False,
) -> Row | None:
    """Insert an article and its first version; None when it is demo content already
    there (same owner and title).
    """
    params = {
        **_article_params(values),
        "head": head,
        "body": body,
        "by": by,
        "role": role,
        "at": at,
        "demo": demo,
        "action": "create",
        "note": None,
    }
    conflict = " ON CONFLICT (owner, title) WHERE demo DO NOTHING" if demo else ""
    cur = await conn.execute(
        "WITH a AS (INSERT INTO kb_articles (owner, title, questions, answer, policy_source,"
        " category_code, valid_from, valid_until, status, demo, created_by, created_at,"
        " updated_by, updated_at, search_doc, head_doc)"
        " VALUES (%(owner)s, %(title)s, %(questions)s, %(answer)s, %(policy_source)s,"
        " %(category_code)s, %(valid_from)s, %(valid_until)s, %(status)s, %(demo)s, %(by)s,"
        f" %(at)s, %(by)s, %(at)s, {_DOC}, {_HEAD_DOC}){conflict} RETURNING *)" + _VERSION_ROW,
        params,
    )
    return await cur.fetchone()


async def insert_demo_article(
    conn: Conn,
    values: Row,
    *,
    head: str,
    body: str,
    history: Sequence[tuple[str, str, str, str]],
    at: datetime,
) -> bool:
    """Write one demo article at the end of its ``history`` ((action, status, user, role)
    per version, oldest first) in one transaction; False when it is already there.
    """
    params = {
        **_article_params(values),
        "head": head,
        "body": body,
        "status": history[-1][1],
        "version": len(history),
        "created_by": history[0][2],
        "updated_by": history[-1][2],
        "at": at,
    }
    async with conn.transaction():
        cur = await conn.execute(
            "INSERT INTO kb_articles (owner, title, questions, answer, policy_source,"
            " category_code, valid_from, valid_until, status, demo, version, created_by,"
            " created_at, updated_by, updated_at, search_doc, head_doc)"
            " VALUES (%(owner)s, %(title)s, %(questions)s, %(answer)s, %(policy_source)s,"
            " %(category_code)s, %(valid_from)s, %(valid_until)s, %(status)s, true,"
            " %(version)s, %(created_by)s, %(at)s, %(updated_by)s, %(at)s,"
            f" {_DOC}, {_HEAD_DOC}) ON CONFLICT (owner, title) WHERE demo DO NOTHING"
            " RETURNING id",
            params,
        )
        row = await cur.fetchone()
        if row is None:
            return False
        async with conn.cursor() as c:
            await c.executemany(
                "INSERT INTO kb_article_versions (article_id, version, action, status, title,"
                " questions, answer, policy_source, category_code, valid_from, valid_until,"
                " by_user, by_role, at) SELECT id, %s, %s, %s, title, questions, answer,"
                " policy_source, category_code, valid_from, valid_until, %s, %s, %s"
                " FROM kb_articles WHERE id = %s",
                [
                    (i + 1, action, status, user, role, at, row["id"])
                    for i, (action, status, user, role) in enumerate(history)
                ],
            )
    return True


async def demo_keys(conn: Conn) -> set[tuple[str, str]]:
    """(owner, title) of the demo content already written."""
    cur = await conn.execute("SELECT owner, title FROM kb_articles WHERE demo")
    return {(r["owner"], r["title"]) for r in await cur.fetchall()}


async def get_article(conn: Conn, article_id: int) -> Row | None:
    """One article, or None."""
    cur = await conn.execute(
        f"SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = %s", (article_id,)
    )
    return await cur.fetchone()


async def update_article(
    conn: Conn,
    article_id: int,
    version: int,
    values: Row,
    *,
    head: str,
    body: str,
    by: str,
    role: str,
    at: datetime,
    note: str | None,
) -> Row | None:
    """Write a new version of the article's content (status in ``values``); None when
    ``version`` is no longer the current one (someone else wrote first).
    """
    params = {
        **_article_params(values),
        "id": article_id,
        "version": version,
        "head": head,
        "body": body,
        "by": by,
        "role": role,
        "at": at,
        "action": "edit",
        "note": note,
    }
    cur = await conn.execute(
        "WITH a AS (UPDATE kb_articles SET owner = %(owner)s, title = %(title)s,"
        " questions = %(questions)s, answer = %(answer)s, policy_source = %(policy_source)s,"
        " category_code = %(category_code)s, valid_from = %(valid_from)s,"
        " valid_until = %(valid_until)s, status = %(status)s, version = version + 1,"
        f" updated_by = %(by)s, updated_at = %(at)s, search_doc = {_DOC},"
        f" head_doc = {_HEAD_DOC}"
        " WHERE id = %(id)s AND version = %(version)s RETURNING *)" + _VERSION_ROW,
        params,
    )
    return await cur.fetchone()


async def set_status(
    conn: Conn,
    article_id: int,
    version: int,
    status: str,
    *,
    action: str,
    by: str,
    role: str,
    at: datetime,
    note: str | None,
) -> Row | None:
    """Move the article to ``status`` as a new version; None when ``version`` is stale."""
    cur = await conn.execute(
        "WITH a AS (UPDATE kb_articles SET status = %(status)s, version = version + 1,"
        " updated_by = %(by)s, updated_at = %(at)s"
        " WHERE id = %(id)s AND version = %(version)s RETURNING *)" + _VERSION_ROW,
        {
            "id": article_id,
            "version": version,
            "status": status,
            "action": action,
            "by": by,
            "role": role,
            "at": at,
            "note": note,
        },
    )
    return await cur.fetchone()


async def versions(conn: Conn, article_id: int) -> list[Row]:
    """Every version of the article, newest first."""
    cur = await conn.execute(
        "SELECT * FROM kb_article_versions WHERE article_id = %s ORDER BY version DESC",
        (article_id,),
    )
    return await cur.fetchall()


async def list_articles(
    conn: Conn,
    *,
    owners: Sequence[str] | None,
    statuses: Sequence[str],
    owner: str | None,
    limit: int,
    before_id: int | None,
) -> list[Row]:
    """Articles newest first; ``owners`` None means every owner."""
    where = ["TRUE"]
    params: Row = {"limit": limit}
    if owners is not None:
        where.append("owner = ANY(%(owners)s)")
        params["owners"] = list(owners)
    if owner is not None:
        where.append("owner = %(owner)s")
        params["owner"] = owner
    if statuses:
        where.append("status = ANY(%(statuses)s)")
        params["statuses"] = list(statuses)
    if before_id is not None:
        where.append("id < %(before)s")
        params["before"] = before_id
    cur = await conn.execute(
        f"SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE {' AND '.join(where)}"
        " ORDER BY id DESC LIMIT %(limit)s",
        params,
    )
    return await cur.fetchall()


#: What a group of the question found in the title or a question variant counts, against
#: the same group found in the answer only.
HEAD_HIT, BODY_HIT = 1.0, 0.4

#: Candidates taken by each cheap way before the full ranking.
POOL = 50

_SCORED = (
    f"{ARTICLE_COLUMNS},"
    f" (SELECT sum(CASE WHEN head_doc @@ g.q THEN {HEAD_HIT}"
    f" WHEN search_doc @@ g.q THEN {BODY_HIT} ELSE 0 END) FROM g) AS covered,"
    f" {_RANK} AS rank"
)
_GROUPS = "g AS (SELECT to_tsquery('simple', t) AS q FROM unnest(%(groups)s::text[]) AS t)"


async def search(
    conn: Conn,
    groups: Sequence[str],
    tiers: Sequence[str],
    today: date,
    limit: int,
) -> list[Row]:
    """Articles shown at the desk today that match any of ``groups`` (each a group's
    ``to_tsquery('simple')`` text), best first.

    Best is how much of the question an article covers (each group found in the title or
    a question variant scores :data:`HEAD_HIT`, in the answer only :data:`BODY_HIT`),
    then ``ts_rank`` with the title and questions weighing most. Without the cover, an
    article naming many synonyms of one word of the question outranked the article about
    all of its words.

    Ranking reads an article's whole document: too slow for the thousands of articles a
    common word (门票, 办理) matches among 20,000. The candidates come from the indexes
    first, best first: titles and questions holding every group, then all but one, and so
    on (``tiers``, :func:`dispatch_center.core.knowledge.tiers`), until :data:`POOL` are
    found; with the articles holding every group anywhere. Only when those are too few,
    any article mentioning a group.
    """
    if not groups:
        return []
    any_group = " | ".join(f"({g})" for g in groups)
    params: Row = {
        "groups": list(groups),
        "q": any_group,
        "q_all": " & ".join(f"({g})" for g in groups),
        "today": today,
        "limit": limit,
        "pool": POOL,
    }
    # UNION ALL runs its branches in order and the LIMIT stops it: a tier is read only
    # when the better ones held fewer than POOL.
    branches = []
    for i, tier in enumerate(tiers):
        params[f"t{i}"] = tier
        branches.append(
            f"(SELECT id FROM kb_articles WHERE head_doc @@ to_tsquery('simple', %(t{i})s)"
            f" AND {_SHOWN} LIMIT %(pool)s)"
        )
    cur = await conn.execute(
        f"WITH {_GROUPS}, head AS (SELECT id FROM ({' UNION ALL '.join(branches)}) AS t"
        " LIMIT %(pool)s),"
        " cand AS (SELECT id FROM head UNION"
        " (SELECT id FROM kb_articles WHERE search_doc @@ to_tsquery('simple', %(q_all)s)"
        f" AND {_SHOWN} LIMIT %(pool)s))"
        f" SELECT {_SCORED} FROM cand JOIN kb_articles USING (id),"
        " to_tsquery('simple', %(q)s) AS q"
        " ORDER BY covered DESC, rank DESC, id LIMIT %(limit)s",
        params,
    )
    found = await cur.fetchall()
    if len(found) >= limit:
        return found
    # Too few in titles, questions or with every word: mentions of some word in an answer.
    cur = await conn.execute(
        f"WITH {_GROUPS}, cand AS (SELECT id FROM kb_articles"
        f" WHERE search_doc @@ to_tsquery('simple', %(q)s) AND {_SHOWN}"
        " AND NOT id = ANY(%(seen)s) LIMIT %(pool)s)"
        f" SELECT {_SCORED} FROM cand JOIN kb_articles USING (id),"
        " to_tsquery('simple', %(q)s) AS q"
        " ORDER BY covered DESC, rank DESC, id LIMIT %(more)s",
        {**params, "seen": [r["id"] for r in found], "more": limit - len(found)},
    )
    return found + await cur.fetchall()


async def search_ilike(conn: Conn, text: str, today: date, limit: int) -> list[Row]:
    """The baseline: the caller's words as one substring of title, questions or answer
    (``ILIKE '%…%'``), newest first. Only the benchmark uses it.
    """
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    cur = await conn.execute(
        "SELECT id, owner, title, answer, policy_source, category_code, valid_until"
        " FROM kb_articles WHERE (title ILIKE %(p)s OR questions::text ILIKE %(p)s"
        f" OR answer ILIKE %(p)s) AND {_SHOWN} ORDER BY id DESC LIMIT %(limit)s",
        {"p": pattern, "today": today, "limit": limit},
    )
    return await cur.fetchall()


async def shown_article(conn: Conn, article_id: int, today: date) -> Row | None:
    """The article when the desk may answer from it today (published, valid), else None."""
    cur = await conn.execute(
        f"SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = %(id)s AND {_SHOWN}",
        {"id": article_id, "today": today},
    )
    return await cur.fetchone()


async def synonym_groups(conn: Conn) -> list[list[str]]:
    """The groups the center added, oldest first."""
    cur = await conn.execute("SELECT words FROM kb_synonyms ORDER BY id")
    return [list(r["words"]) for r in await cur.fetchall()]


async def add_synonyms(conn: Conn, words: Sequence[str], by: str, at: datetime) -> Row:
    """Add one group of synonyms."""
    cur = await conn.execute(
        "INSERT INTO kb_synonyms (words, created_by, created_at) VALUES (%s, %s, %s)"
        " RETURNING id, words, created_by, created_at",
        (list(words), by, at),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def record_search(conn: Conn, values: Row) -> int:
    """Record one search made at the desk; returns its id."""
    cur = await conn.execute(
        "INSERT INTO kb_searches (at, actor, query, query_key, session, order_id, result_ids,"
        " owners) VALUES (%(at)s, %(actor)s, %(query)s, %(query_key)s, %(session)s,"
        " %(order_id)s, %(result_ids)s, %(owners)s) RETURNING id",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def get_search(conn: Conn, search_id: int) -> Row | None:
    """One recorded search."""
    cur = await conn.execute("SELECT * FROM kb_searches WHERE id = %s", (search_id,))
    return await cur.fetchone()


async def mark_used(
    conn: Conn,
    *,
    article_id: int,
    by: str,
    at: datetime,
    search_id: int | None = None,
    order_id: int | None = None,
) -> int:
    """Mark a search (and the other searches of its call: same session or order) as
    answered by ``article_id``; returns how many rows changed.
    """
    cur = await conn.execute(
        "WITH s AS (SELECT session, order_id FROM kb_searches WHERE id = %(sid)s)"
        " UPDATE kb_searches k SET used_article_id = %(aid)s, used_at = %(at)s,"
        " used_by = %(by)s WHERE k.used_article_id IS NULL AND (k.id = %(sid)s"
        " OR k.order_id = %(oid)s"
        " OR k.session = (SELECT session FROM s)"
        " OR k.order_id = (SELECT order_id FROM s))",
        {"sid": search_id, "oid": order_id, "aid": article_id, "by": by, "at": at},
    )
    return cur.rowcount


async def link_session_to_order(conn: Conn, session: str, order_id: int) -> None:
    """Give a call's earlier searches (made before its order existed) the order's id."""
    await conn.execute(
        "UPDATE kb_searches SET order_id = %s WHERE session = %s AND order_id IS NULL",
        (order_id, session),
    )


async def gaps(
    conn: Conn, *, since: datetime, owners: Iterable[str] | None, limit: int
) -> list[Row]:
    """Questions asked at the desk and answered from no article, grouped by their words.

    A call is its session (or its order, or the search alone); a call counts when none
    of its searches was used, with its last (fullest) query. ``owners`` None: every gap;
    else the gaps whose results or order concern one of those units.
    """
    params: Row = {"since": since, "limit": limit}
    scope = ""
    if owners is not None:
        scope = " AND owners && %(owners)s"
        params["owners"] = list(owners)
    cur = await conn.execute(
        "WITH calls AS (SELECT coalesce(session, 'order:' || order_id::text,"
        " 'search:' || id::text) AS call, bool_or(used_article_id IS NOT NULL) AS used,"
        " (array_agg(id ORDER BY at DESC, id DESC))[1] AS last_id"
        " FROM kb_searches WHERE at >= %(since)s GROUP BY 1),"
        " last AS (SELECT k.* FROM calls JOIN kb_searches k ON k.id = calls.last_id"
        f" WHERE NOT calls.used AND k.query_key <> ''{scope})"
        " SELECT query_key, count(*) AS calls, max(at) AS last_at,"
        " (array_agg(query ORDER BY at DESC))[1:5] AS examples,"
        " array_agg(DISTINCT order_id) FILTER (WHERE order_id IS NOT NULL) AS order_ids,"
        " max(cardinality(result_ids)) AS most_results,"
        " (SELECT array_agg(DISTINCT o) FROM last l2, unnest(l2.owners) o"
        "  WHERE l2.query_key = last.query_key) AS owners"
        " FROM last GROUP BY query_key ORDER BY calls DESC, last_at DESC LIMIT %(limit)s",
        params,
    )
    return await cur.fetchall()
