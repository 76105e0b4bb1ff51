"""What a switch changes on the orders still being worked.

In the counties whose mode changed, an order the new policy tightens gets the shorter of its
deadlines and the new mode's (a ``mode_tighten`` timeline entry); every other one gets a
``mode_note`` saying its limits stay.
"""

from __future__ import annotations

from datetime import datetime

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.deadlines import Urgency, compute_deadlines
from dispatch_center.modeswitch.common import Modes, changed_counties, iso
from dispatch_center.modeswitch.new_orders import time_limit_for
from dispatch_center.store import modes as store
from dispatch_center.store import orders as order_store
from dispatch_center.store.orders import TimelineEntry
from modes.policy import ModeName
from modes.scope import ActiveMode

# Orders still being worked: a switch tells them, and may tighten their deadlines.
WORKING_STATUSES = tuple(
    s.value
    for s in (
        lc.Status.received,
        lc.Status.dispatched,
        lc.Status.accepted,
        lc.Status.in_progress,
        lc.Status.return_requested,
    )
)


async def apply_to_open_orders(
    center: Center,
    who: Principal,
    before: Modes,
    after: Modes,
    at: datetime,
) -> dict[str, int]:
    """Tighten the deadlines the new policy names and note the switch on every other open
    order in the counties whose mode changed."""
    changed = changed_counties(before, after)
    if not changed:
        return {"tightened": 0, "noted": 0}
    counties = [c for c in changed if c is not None]
    async with center.db.connection() as conn:
        rows = await store.open_orders_in(conn, counties, None in changed, WORKING_STATUSES)
    ref = center.reference
    tightened = 0
    plain: list[int] = []
    for row in rows:
        county = row["county"] if row["county"] in after else None
        old, new = before[county], after[county]
        policy = center.modes.policy(new)
        label = _switch_label(old, new)
        category = row["category_code"]
        if new.mode is not ModeName.normal and policy.tightens(category):
            urgency = policy.urgency_for(Urgency(row["urgency"]), category, new.emergency_type)
            limit = time_limit_for(center, new, policy, urgency, category)
            fresh = compute_deadlines(row["received_at"], limit, ref.calendar)
            respond_by = min(row["respond_by"], fresh.respond_by)
            reply_by = min(row["reply_by"], fresh.reply_by)
            if (respond_by, reply_by) != (row["respond_by"], row["reply_by"]):
                entry = TimelineEntry(
                    actor=who.username,
                    role=who.role.value,
                    action="mode_tighten",
                    at=at,
                    from_status=row["status"],
                    note=f"{label}：按{policy.title_zh}时限收紧办理时限",
                    data={
                        "mode": list(new.key),
                        "urgency_in_mode": urgency.value,
                        "respond_by": iso(respond_by),
                        "reply_by": iso(reply_by),
                        "was": {
                            "respond_by": iso(row["respond_by"]),
                            "reply_by": iso(row["reply_by"]),
                        },
                    },
                )
                async with center.db.connection() as conn:
                    moved = await order_store.apply_change(
                        conn,
                        row["id"],
                        row["version"],
                        row["status"],
                        {"respond_by": respond_by, "reply_by": reply_by},
                        entry,
                    )
                if moved is not None:
                    tightened += 1
                    await publish_changes(center, [moved])
                    continue
        plain.append(row["id"])
    noted = 0
    by_label: dict[str, list[int]] = {}
    index = {r["id"]: r for r in rows}
    for oid in plain:
        county = index[oid]["county"] if index[oid]["county"] in after else None
        by_label.setdefault(_switch_label(before[county], after[county]), []).append(oid)
    async with center.db.connection() as conn:
        for label, ids in by_label.items():
            noted += await store.note_orders(
                conn,
                ids,
                at=at,
                actor=who.username,
                role=who.role.value,
                action="mode_note",
                note=f"{label}：本单办理时限不变",
                data={"kind": "mode_switch"},
            )
    return {"tightened": tightened, "noted": noted}


def _switch_label(old: ActiveMode, new: ActiveMode) -> str:
    """The note's opening words: which mode the switch left and which it entered.

    Examples
    --------
    >>> from modes.policy import EmergencyType
    >>> _switch_label(ActiveMode(ModeName.normal), ActiveMode(ModeName.emergency,
    ...     EmergencyType.flood))
    '调度模式由常规切换为应急（flood）'
    """
    names = {"normal": "常规", "holiday": "假日", "emergency": "应急"}

    def one(a: ActiveMode) -> str:
        return names[a.mode.value] + (f"（{a.emergency_type.value}）" if a.emergency_type else "")

    return f"调度模式由{one(old)}切换为{one(new)}"
