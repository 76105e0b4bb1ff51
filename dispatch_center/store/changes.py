"""The ordered change log: every committed change gets the next gap-free sequence number.

The counter row ``change_seq`` is taken in the same statement that writes the change,
so sequence order is commit order. Work orders append theirs inside their own write
statement (:mod:`dispatch_center.store.orders`); everything else calls
:func:`append_change` in the transaction that makes the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection[dict[str, Any]]


async def append_change(
    conn: Conn, at: datetime, kind: str, entity_id: str, payload: Mapping[str, Any]
) -> int:
    """Write one change-log row with the next sequence number; return the number."""
    cur = await conn.execute(
        "WITH seq AS (UPDATE change_seq SET last = last + 1 WHERE id RETURNING last)"
        " INSERT INTO change_log (seq, at, kind, entity_id, payload)"
        " SELECT seq.last, %s, %s, %s, %s FROM seq RETURNING seq",
        (at, kind, entity_id, Jsonb(dict(payload))),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["seq"])
