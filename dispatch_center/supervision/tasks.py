"""Tracked tasks (a leader's instructions), finished by their owner or a supervisor."""

from __future__ import annotations

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.errors import Conflict, Forbidden, NotFound, parse_id
from dispatch_center.store.supervision import tasks as task_store
from dispatch_center.supervision.common import SUPERVISORS, Row, task_view


async def list_tasks(
    center: Center, who: Principal, owner: str | None, status: str | None
) -> list[Row]:
    """Tracked tasks; a handler's are those owned by its units or by itself."""
    owners = _owners(center, who)
    async with center.db.connection() as conn:
        rows = await task_store.tasks(conn, owner=owner, status=status, owners=owners)
    return [task_view(t) for t in rows]


def _owners(center: Center, who: Principal) -> list[str] | None:
    """Whose tasks ``who`` may read: everyone's (``None``) for the center's roles, else its
    units' (a task's owner is a unit code or a username) and its own.
    """
    scope = reading_scope(center, who)
    return None if scope.units is None else [*sorted(scope.units), who.username]


async def finish_task(
    center: Center, who: Principal, task_id: str, status: str, result: str | None
) -> Row:
    """Mark a task done or cancelled (the owner, or a supervisor)."""
    tid = parse_id(task_id, "task")
    async with center.db.connection() as conn:
        t = await task_store.get_task(conn, tid)
        owners = _owners(center, who)
        if t is None or (owners is not None and t["owner"] not in owners):
            raise NotFound(f"no task {task_id!r}")
        mine = owners is not None or t["owner"] in (who.username, who.unit_code)
        if not mine and who.role not in SUPERVISORS:
            raise Forbidden("only the task's owner or a supervisor may finish it")
        row = await task_store.finish_task(conn, tid, status, result, who.username, center.now())
        if row is None:
            raise Conflict(f"task is {t['status']} already", current_status=t["status"])
    await publish_changes(center, [row])
    return task_view(row)
