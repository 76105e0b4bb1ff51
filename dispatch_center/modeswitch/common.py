"""The small pieces the modules of this package share.

Reading a declaration row, the time format of every view, comparing two mode maps, and the
answer to a suggestion somebody already decided. Imports only the core, the errors, the
store and the pure ``modes`` package.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.errors import Conflict, NotFound
from dispatch_center.store import modes as store
from dispatch_center.store.modes import Conn
from modes.policy import RANK, EmergencyType, ModeName
from modes.scope import ActiveMode, Declaration

Row = dict[str, Any]
Modes = Mapping[str | None, ActiveMode]  # each county's mode (None: orders without one)

KEEP_ENDED = timedelta(days=1)  # ended declarations kept in memory for "since" views


def iso(value: datetime | None) -> str | None:
    """A moment as the views show it: ISO 8601 in Asia/Shanghai (``None`` stays ``None``).

    Examples
    --------
    >>> from datetime import timezone
    >>> iso(datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc))
    '2026-11-27T09:00:00+08:00'
    >>> iso(None) is None
    True
    """
    return to_shanghai(value).isoformat() if value is not None else None


def declaration_of(row: Row) -> Declaration:
    """The pure :class:`~modes.scope.Declaration` of a ``mode_declarations`` row."""
    return Declaration(
        id=int(row["id"]),
        mode=ModeName(row["mode"]),
        emergency_type=EmergencyType(row["emergency_type"]) if row["emergency_type"] else None,
        scope=frozenset(row["scope"]) if row["scope"] is not None else None,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        declared_by=row["declared_by"],
        reason=row["reason"],
        cancelled=row["cancelled_at"] is not None,
        start_applied=row["start_applied"],
        end_applied=row["end_applied"],
    )


def changed_counties(before: Modes, after: Modes) -> set[str | None]:
    """The counties (``None``: orders without one) whose mode differs between the maps."""
    return {c for c in after if before.get(c, after[c]).key != after[c].key}


def change_summary(before: Modes, after: Modes) -> dict[str, Any]:
    """What changed where, as the history records it: ``{county: {"from", "to"}}``."""
    return {
        (c or "none"): {"from": list(before[c].key), "to": list(after[c].key)}
        for c in sorted(changed_counties(before, after), key=lambda x: x or "")
    }


def top_mode(modes: Modes, counties: Collection[str] | None) -> ActiveMode:
    """The highest mode in force among ``counties`` (``None``: anywhere)."""
    picked = [a for c, a in modes.items() if counties is None or c in counties]
    return max(picked, key=lambda a: RANK[a.mode])


async def suggestion_conflict(conn: Conn, sid: int) -> Exception:
    """The error for deciding suggestion ``sid`` that is gone or already decided."""
    row = await store.get_suggestion(conn, sid)
    if row is None:
        return NotFound(f"no suggestion {sid}")
    return Conflict(
        f"suggestion {sid} was already {row['status']} by {row['decided_by']}",
        current_status=row["status"],
        changed_by=row["decided_by"],
    )


def seen_history(center: Center, history_id: int) -> None:
    """After a commit that wrote history entry ``history_id`` but no declaration: this
    worker's state already reflects it, so :func:`refresh` need not reload for it.

    Only the very next entry counts as seen: an entry of another worker with a lower id
    that this worker has not loaded (a switch) must still make the next refresh reload.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from modes.state import ModeState
    >>> c = SimpleNamespace(modes=ModeState(version=4))
    >>> seen_history(c, 5); c.modes.version
    5
    >>> seen_history(c, 7); c.modes.version
    5
    """
    if history_id == center.modes.version + 1:
        center.modes = replace(center.modes, version=history_id)
