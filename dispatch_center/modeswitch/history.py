"""The append-only history of the modes: every switch, schedule, start, end, cancel, policy
reload and suggestion decision, newest first.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.center import Center
from dispatch_center.modeswitch.common import Row, iso
from dispatch_center.store import modes as store


def _history_view(row: Row) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "at": iso(row["at"]),
        "action": row["action"],
        "by": row["actor"],
        "role": row["role"],
        "from": row["from_mode"],
        "to": row["to_mode"],
        "emergency_type": row["emergency_type"],
        "scope": row["scope"],
        "reason": row["reason"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "status": row["status"],
        "declaration_id": str(row["declaration_id"]) if row["declaration_id"] else None,
        "suggestion_id": str(row["suggestion_id"]) if row["suggestion_id"] else None,
        "data": row["data"],
    }


async def history(center: Center, limit: int = 100, before_id: int | None = None) -> dict[str, Any]:
    """The append-only history, newest first."""
    async with center.db.connection() as conn:
        rows = await store.history(conn, limit=limit, before_id=before_id)
    return {
        "history": [_history_view(r) for r in rows],
        "next_before_id": str(rows[-1]["id"]) if len(rows) == limit else None,
    }
