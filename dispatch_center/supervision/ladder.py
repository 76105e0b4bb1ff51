"""The escalation ladder (领导研究 → 部门会商 → 视频督办 → 电台直播): steps recorded on the
order's timeline, never down the ladder, and the ladder of one order as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import supervision as sv
from dispatch_center.errors import Conflict, Invalid, parse_id
from dispatch_center.store.supervision import orders as supervision_order_store
from dispatch_center.store.supervision import reminders as reminder_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    SUPERVISORS,
    Row,
    iso,
    need,
    order_or_404,
    reminder_view,
    timeline_entry,
)
from dispatch_center.supervision.orders import supervision_order_view


async def escalate(
    center: Center,
    who: Principal,
    order_id: str,
    step: str,
    details: Mapping[str, Any],
    note: str | None = None,
) -> Row:
    """Record one step of the escalation ladder on the order's timeline."""
    need(who, SUPERVISORS, "escalate orders")
    row = await order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        done = [
            r["data"].get("step") for r in await timeline_store.escalation_steps(conn, row["id"])
        ]
        try:
            decision = sv.decide_step(done, step, details)
        except sv.StepError as exc:
            if exc.field == "step":
                raise Conflict(str(exc), done=done) from exc
            raise Invalid(str(exc), fields={f"details.{exc.field}": str(exc)}) from exc
        if decision.spec.step is sv.EscalationStep.video_supervision:
            sid = parse_id(str(details["session_id"]), "session")
            if row["id"] not in await session_store.session_order_ids(conn, sid):
                raise Invalid(
                    "the session is not linked to this order",
                    fields={"details.session_id": "not linked"},
                )
        return await record_step(center, conn, who, row, decision, note)


async def record_step(
    center: Center, conn: Any, who: Principal, row: Row, decision: sv.StepDecision, note: str | None
) -> Row:
    """Put the step ``decision`` allows on the order's timeline and announce it; the step as
    the API shows it (also used by a session opened on the order: the 视频督办 rung).
    """
    now = center.now()
    data = {
        "step": decision.spec.step.value,
        "label": decision.spec.label_zh,
        "rank": decision.spec.rank,
        "details": dict(decision.details),
        "skipped": [s.value for s in decision.skipped],
    }
    ev = await timeline_store.append_order_event(
        conn,
        row["id"],
        timeline_entry(who, "supervision.escalate", now, note, data),
        "supervision.escalate",
    )
    await publish_changes(center, [ev])
    return {"order_id": str(row["id"]), "at": iso(now), "by": who.username, **data}


async def ladder(center: Center, who: Principal, order_id: str) -> Row:
    """The ladder as data with the steps taken on this order and what may come next."""
    row = await order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        taken = await timeline_store.escalation_steps(conn, row["id"])
        orders_ = await supervision_order_store.supervision_orders_for(conn, order_id=row["id"])
        reminders = await reminder_store.reminders_for_order(conn, row["id"])
        sessions = await session_store.sessions_of_order(conn, row["id"])
    done = [t["data"].get("step") for t in taken]
    return {
        "order_id": str(row["id"]),
        "ladder": [
            {
                "step": s.step.value,
                "label": s.label_zh,
                "rank": s.rank,
                "required": list(s.required),
            }
            for s in sv.LADDER
        ],
        "taken": [{"at": iso(t["at"]), "by": t["actor"], **t["data"]} for t in taken],
        "next": [s.value for s in sv.next_steps(done)],
        "supervision_orders": [supervision_order_view(r) for r in orders_],
        "reminders": [reminder_view(r) for r in reminders],
        "sessions": [str(s) for s in sessions],
    }
