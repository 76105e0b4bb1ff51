"""SQL of the gazetteer (``places``): an import replaces one source's names; search is a
prefix/substring match ranked in one statement (see :mod:`dispatch_center.core.gazetteer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from dispatch_center.core.gazetteer import KIND_RANK, Place

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def replace_places(conn: Conn, source: str, places: Sequence[Place]) -> int:
    """Replace every place of ``source`` with ``places`` (one transaction: the caller's);
    a name another source already holds for the same county is taken over. How many.
    """
    await conn.execute("DELETE FROM places WHERE source = %s", (source,))
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO places (name, kind, lon, lat, adcode, source)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (name, adcode) DO UPDATE SET kind = EXCLUDED.kind,"
            " lon = EXCLUDED.lon, lat = EXCLUDED.lat, source = EXCLUDED.source",
            [(p.name, p.kind, p.lon, p.lat, p.adcode, source) for p in places],
        )
    return len(places)


async def count_places(conn: Conn, source: str | None = None) -> int:
    """How many places are loaded (of one source, or all)."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM places WHERE %(s)s::text IS NULL OR source = %(s)s",
        {"s": source},
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def search_places(conn: Conn, q: str, limit: int) -> list[Row]:
    """Places whose name contains ``q``: equal first, then starting with it, then containing
    it; within each, by kind (:data:`KIND_RANK`), then shorter names, then by name.
    """
    cur = await conn.execute(
        "SELECT name, kind, lon, lat, adcode FROM places"
        " WHERE strpos(lower(name), lower(%(q)s)) > 0"
        " ORDER BY CASE WHEN name = %(q)s THEN 0"
        " WHEN starts_with(lower(name), lower(%(q)s)) THEN 1 ELSE 2 END,"
        " coalesce(array_position(%(kinds)s::text[], kind), 99), char_length(name), name"
        " LIMIT %(limit)s",
        {"q": q, "kinds": list(KIND_RANK), "limit": limit},
    )
    return await cur.fetchall()
