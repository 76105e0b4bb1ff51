"""What the supervision store modules share: a change written with its change-log row.

Each change that the wall or a console must see is written in one statement together
with its change-log row and the next gap-free sequence number (the pattern of
:mod:`dispatch_center.store.orders`): a CTE ``x`` makes the change, and the tail takes a
sequence number only when ``x`` produced a row, so a repeat (a second "join", a second
worker's reminder) writes nothing and takes no number.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import psycopg

from dispatch_center.store.changes import change_columns, change_ctes

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


@lru_cache(maxsize=64)
def with_change(change_sql: str, kind_param: str = "kind", entity: str = "%(entity)s") -> str:
    """``change_sql`` (returning one row) plus its change-log row, in one statement.

    Examples
    --------
    >>> sql = with_change("UPDATE t SET a = 1 WHERE id = %(id)s RETURNING *")
    >>> sql.startswith("WITH x AS (UPDATE t")
    True
    >>> sql.endswith("FROM x, seq")
    True
    """
    kind = f"%({kind_param})s"
    return (
        f"WITH x AS ({change_sql})"
        + change_ctes("x", kind=kind, entity=entity, payload="to_jsonb(x)")
        + f" SELECT x.*, {change_columns(kind=kind, entity=entity)} FROM x, seq"
    )


async def fetch_one(conn: Conn, query: str, params: Mapping[str, Any]) -> Row | None:
    """The first row ``query`` returns with named ``params`` (``None`` when none)."""
    cur = await conn.execute(query, dict(params))
    return await cur.fetchone()
