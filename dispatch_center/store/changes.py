"""The ordered change log: every committed change gets the next gap-free sequence number.

The counter row ``change_seq`` is taken in the same statement that writes the change, so
sequence order is commit order. A write that changes one row (an order, a supervision
record) carries its change-log row in the same statement through :func:`change_ctes` and
:func:`change_columns`; anything else calls :func:`append_change` in the transaction that
makes the change. Either way the caller gets what it needs to announce the change after the
commit: a :class:`Change`, or a row with ``seq``, ``change_kind`` and ``change_entity``.

This module is the only one that writes or reads ``change_log`` and ``change_seq``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection[dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """One committed change-log row, as announced on the bus.

    Examples
    --------
    >>> Change.of({"seq": 7, "change_kind": "order.updated", "change_entity": "42", "id": 42})
    Change(seq=7, kind='order.updated', entity_id='42')
    """

    seq: int
    kind: str
    entity_id: str

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Change:
        """The change a row returned by a change-writing statement carries."""
        return cls(int(row["seq"]), str(row["change_kind"]), str(row["change_entity"]))


def change_ctes(source: str, *, kind: str, entity: str, payload: str, at: str = "%(at)s") -> str:
    """The CTEs taking the next sequence number and writing the change-log row for the one
    row of CTE ``source`` (nothing at all when ``source`` is empty).

    ``kind``, ``entity``, ``payload`` and ``at`` are SQL expressions (usually parameters).
    Append :func:`change_columns` to the statement's final ``SELECT ... FROM source, seq``.

    Examples
    --------
    >>> sql = change_ctes("x", kind="%(kind)s", entity="x.id::text", payload="to_jsonb(x)")
    >>> sql.startswith(", seq AS (UPDATE change_seq")
    True
    """
    return (
        ", seq AS (UPDATE change_seq SET last = last + 1"
        f"          WHERE id AND EXISTS (SELECT 1 FROM {source}) RETURNING last)"
        ", cl AS (INSERT INTO change_log (seq, at, kind, entity_id, payload)"
        f"        SELECT seq.last, {at}, {kind}, {entity}, {payload} FROM {source}, seq)"
    )


def change_columns(*, kind: str, entity: str) -> str:
    """The columns a change-writing statement returns beside its row (see :class:`Change`).

    Examples
    --------
    >>> change_columns(kind="%(kind)s", entity="x.id::text")
    'seq.last AS seq, (%(kind)s)::text AS change_kind, (x.id::text)::text AS change_entity'
    """
    return f"seq.last AS seq, ({kind})::text AS change_kind, ({entity})::text AS change_entity"


async def append_change(
    conn: Conn, at: datetime, kind: str, entity_id: str, payload: Mapping[str, Any]
) -> Change:
    """Write one change-log row with the next sequence number."""
    cur = await conn.execute(
        "WITH seq AS (UPDATE change_seq SET last = last + 1 WHERE id RETURNING last)"
        " INSERT INTO change_log (seq, at, kind, entity_id, payload)"
        " SELECT seq.last, %s, %s, %s, %s FROM seq RETURNING seq",
        (at, kind, entity_id, Jsonb(dict(payload))),
    )
    row = await cur.fetchone()
    assert row is not None
    return Change(int(row["seq"]), kind, entity_id)


async def changes_since(conn: Conn, seq: int, limit: int) -> list[dict[str, Any]]:
    """Change-log rows after ``seq``, in order."""
    cur = await conn.execute(
        "SELECT seq, at, kind, entity_id, payload FROM change_log WHERE seq > %s"
        " ORDER BY seq LIMIT %s",
        (seq, limit),
    )
    return await cur.fetchall()


async def last_seq(conn: Conn) -> int:
    """The newest committed sequence number."""
    cur = await conn.execute("SELECT last FROM change_seq")
    row = await cur.fetchone()
    return int(row["last"]) if row else 0


async def oldest_seq(conn: Conn) -> int:
    """The oldest sequence number the change log still holds (0 when it is empty)."""
    cur = await conn.execute("SELECT COALESCE(min(seq), 0) AS first FROM change_log")
    row = await cur.fetchone()
    return int(row["first"]) if row else 0
