"""What a switch changes on the orders still being worked.

In the counties whose mode changed, an order the new policy tightens gets the shorter of its
deadlines and the new mode's (a ``mode_tighten`` timeline entry); every other one gets a
``mode_note`` saying its limits stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.deadlines import Urgency, compute_deadlines
from dispatch_center.core.routing import time_limit_for
from dispatch_center.modeswitch.common import Modes, Row, changed_counties, iso
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
    order in the counties whose mode changed.
    """
    changed = changed_counties(before, after)
    if not changed:
        return {"tightened": 0, "noted": 0}
    counties = [c for c in changed if c is not None]
    async with center.db.connection() as conn:
        rows = await store.open_orders_in(conn, counties, None in changed, WORKING_STATUSES)
    tightened = 0
    untouched: dict[str, list[int]] = {}  # by the switch's label
    for row in rows:
        county = row["county"] if row["county"] in after else None
        old, new = before[county], after[county]
        if await _tighten(center, who, row, old, new, at):
            tightened += 1
        else:
            untouched.setdefault(_switch_label(old, new), []).append(row["id"])
    noted = await _note(center, who, untouched, at)
    return {"tightened": tightened, "noted": noted}


async def _tighten(
    center: Center, who: Principal, row: Row, old: ActiveMode, new: ActiveMode, at: datetime
) -> bool:
    """Give one order the shorter of its deadlines and the new mode's; whether it did."""
    policy = center.modes.policy(new)
    category = row["category_code"]
    if new.mode is ModeName.normal or not policy.tightens(category):
        return False
    urgency = policy.urgency_for(Urgency(row["urgency"]), category, new.emergency_type)
    limit = time_limit_for(center.reference, new, policy, urgency, category)
    fresh = compute_deadlines(row["received_at"], limit, center.reference.calendar)
    respond_by = min(row["respond_by"], fresh.respond_by)
    reply_by = min(row["reply_by"], fresh.reply_by)
    if (respond_by, reply_by) == (row["respond_by"], row["reply_by"]):
        return False
    entry = TimelineEntry(
        actor=who.username,
        role=who.role.value,
        action="mode_tighten",
        at=at,
        from_status=row["status"],
        note=f"{_switch_label(old, new)}：按{policy.title_zh}时限收紧办理时限",
        data={
            "mode": list(new.key),
            "urgency_in_mode": urgency.value,
            "respond_by": iso(respond_by),
            "reply_by": iso(reply_by),
            "was": {"respond_by": iso(row["respond_by"]), "reply_by": iso(row["reply_by"])},
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
    if moved is None:  # the order moved on meanwhile: it is noted instead
        return False
    await publish_changes(center, [moved])
    return True


async def _note(
    center: Center, who: Principal, orders_by_label: Mapping[str, list[int]], at: datetime
) -> int:
    """Note the switch on orders whose limits stay; how many were noted."""
    noted = 0
    async with center.db.connection() as conn:
        for label, ids in orders_by_label.items():
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
    return noted


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
