"""Follow-ups of the bottom ranks of the quarterly list: the unit's written explanation
(书面说明), then the interview (组织约谈) a leader or the duty officer records.

A closed quarter opens them (see :func:`dispatch_center.reporting.ranking.ranking_view`);
each moves ``awaiting_explanation`` → ``awaiting_interview`` → ``done``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.core.roles import Role
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.store import analysis as store


def followup_view(f: Mapping[str, Any]) -> dict[str, Any]:
    """A follow-up as JSON-ready data (times in ISO 8601)."""

    def iso(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    return {k: iso(v) for k, v in f.items()}


async def list_followups(
    center: Any, quarter: str | None, kind: str | None, scope: Scope = CITY
) -> list[dict[str, Any]]:
    """Follow-ups of the bottom ranks (书面说明、组织约谈) of units within ``scope`` (a
    handler reads its own units'), newest quarter first.
    """
    async with center.db.connection() as conn:
        return [followup_view(f) for f in await store.followups(conn, quarter, kind, scope)]


async def submit_explanation(
    center: Any, who: Any, quarter: str, kind: str, code: str, text: str
) -> dict[str, Any]:
    """The ranked unit's handler submits the written explanation (书面说明)."""
    if not text.strip():
        raise Invalid("the explanation is empty", fields={"text": "required"})
    if who.role is not Role.handler or who.unit_code != code:
        raise Forbidden("only a handler of the ranked unit submits its written explanation")
    async with center.db.connection() as conn:
        row = await store.update_followup(
            conn,
            quarter,
            kind,
            code,
            "awaiting_explanation",
            {
                "explanation": text.strip(),
                "explained_by": who.username,
                "explained_at": center.now(),
                "status": "awaiting_interview",
            },
        )
        if row is None:
            current = await store.get_followup(conn, quarter, kind, code)
            if current is None:
                raise NotFound(f"no follow-up for {code} in {quarter} ({kind})")
            raise Conflict(f"the explanation was already submitted (status {current['status']})")
    return followup_view(row)


async def record_interview(
    center: Any, who: Any, quarter: str, kind: str, code: str, record: str, held_at: datetime | None
) -> dict[str, Any]:
    """A leader or the duty officer records the interview (组织约谈); the follow-up is done."""
    if not record.strip():
        raise Invalid("the interview record is empty", fields={"record": "required"})
    if who.role not in (Role.leader, Role.duty_officer):
        raise Forbidden("only a leader or the duty officer records the interview")
    async with center.db.connection() as conn:
        row = await store.update_followup(
            conn,
            quarter,
            kind,
            code,
            "awaiting_interview",
            {
                "interview_record": record.strip(),
                "interview_at": held_at or center.now(),
                "interviewed_by": who.username,
                "status": "done",
            },
        )
        if row is None:
            current = await store.get_followup(conn, quarter, kind, code)
            if current is None:
                raise NotFound(f"no follow-up for {code} in {quarter} ({kind})")
            raise Conflict(
                "the written explanation comes first"
                if current["status"] == "awaiting_explanation"
                else "the interview was already recorded"
            )
    return followup_view(row)
