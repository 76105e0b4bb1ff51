"""Tracked tasks (a leader's instructions that name no unit or place)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change


async def insert_task(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A tracked task (open)."""
    query = with_change(
        "INSERT INTO supervision_tasks (source, source_id, title, owner, due, created_by,"
        " created_at) VALUES (%(source)s, %(source_id)s, %(title)s, %(owner)s, %(due)s,"
        " %(created_by)s, %(at)s) RETURNING *"
    )
    params = {**values, "kind": "supervision.task", "entity": str(values.get("source_id"))}
    row = await fetch_one(conn, query, params)
    assert row is not None
    return row


async def get_task(conn: Conn, task_id: int) -> Row | None:
    """One task."""
    return await fetch_one(
        conn, "SELECT * FROM supervision_tasks WHERE id = %(id)s", {"id": task_id}
    )


async def finish_task(
    conn: Conn, task_id: int, status: str, result: str | None, by: str, at: datetime
) -> Row | None:
    """Mark an open task done or cancelled; ``None`` when it is not open."""
    query = with_change(
        "UPDATE supervision_tasks SET status = %(status)s, result = %(result)s, done_by = %(by)s,"
        " done_at = %(at)s WHERE id = %(id)s AND status = 'open' RETURNING *"
    )
    params = {"id": task_id, "status": status, "result": result, "by": by, "at": at}
    return await fetch_one(
        conn, query, {**params, "kind": "supervision.task", "entity": str(task_id)}
    )


async def tasks(
    conn: Conn,
    *,
    owner: str | None = None,
    status: str | None = None,
    owners: Sequence[str] | None = None,
) -> list[Row]:
    """Tasks, optionally of one owner, of any of ``owners`` (a reader's units and name) and
    of one status, oldest first.
    """
    cur = await conn.execute(
        "SELECT * FROM supervision_tasks WHERE (%(owner)s::text IS NULL OR owner = %(owner)s)"
        " AND (%(owners)s::text[] IS NULL OR owner = ANY(%(owners)s))"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY id",
        {"owner": owner, "status": status, "owners": list(owners) if owners is not None else None},
    )
    return await cur.fetchall()
