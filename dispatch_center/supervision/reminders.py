"""The reminder timer (督): each pass reminds the units of due-soon and overdue orders,
opens the callback tasks of replied orders and delivers the outbox. It runs in every
worker as :class:`SupervisionTimer`; a database lock keeps each pass to one worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import notices
from dispatch_center.core import supervision as sv
from dispatch_center.core.roles import Role
from dispatch_center.messaging import outbox
from dispatch_center.orders.notices import mobile_of
from dispatch_center.store import orders as order_store
from dispatch_center.store import outbox as outbox_store
from dispatch_center.store import push as push_store
from dispatch_center.store.supervision import callbacks as callback_store
from dispatch_center.store.supervision import reminders as reminder_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    SYSTEM,
    WORKING,
    Row,
    need,
    policy_for,
    timeline_entry,
)

DUE_SOON_FRACTION = 0.2
# Who may run a pass by hand (the timer runs them anyway).
TICK_RUNNERS = frozenset({Role.admin, Role.duty_officer})


def thresholds_for(center: Center, row: Mapping[str, Any]) -> sv.ReminderThresholds:
    """Reminder thresholds of the mode in force where the order is."""
    try:
        return sv.ReminderThresholds.from_policy(policy_for(center, row).escalation)
    except Exception:  # no modes loaded (a bare center): the defaults apply
        return sv.ReminderThresholds()


async def run_tick(center: Center) -> dict[str, Any]:
    """One pass of the timer: remind units of due-soon and overdue orders, open callback
    tasks for replied orders, deliver the outbox.

    Only the worker holding the database lock works a tick; the unique keys on reminders
    and callback tasks make a repeat harmless even so.
    """
    now = center.now()
    published: list[Row] = []
    made: dict[str, Any] = {"reminders": 0, "callbacks": 0, "skipped": False}
    async with center.db.connection() as conn:
        if not await reminder_store.try_tick_lock(conn):
            made["skipped"] = True
            return made
        try:
            horizon = max(
                (
                    sv.ReminderThresholds.from_policy(p.escalation).due_soon_minutes
                    for p in center.modes.policies.values()
                ),
                default=sv.ReminderThresholds().due_soon_minutes,
            )
            rows = await reminder_store.reminder_candidates(
                conn, WORKING, now, horizon, DUE_SOON_FRACTION
            )
            for row in rows:
                kind = sv.reminder_for(
                    received_at=row["received_at"],
                    respond_by=row["respond_by"],
                    reply_by=row["reply_by"],
                    now=now,
                    thresholds=thresholds_for(center, row),
                )
                if kind is None or kind.value in (row["sent"] or []):
                    continue
                rem = await _remind(center, conn, row, kind, now)
                if rem is not None:
                    published.append(rem)
                    made["reminders"] += 1
            for cb in await callback_store.create_callback_tasks(conn, now):
                made["callbacks"] += 1
                if cb["channel"] == "sms":
                    order = await order_store.get_order(conn, cb["order_id"])
                    to = mobile_of(order.get("reporter_phone")) if order else None
                    if order and to:
                        # 回访调查: the reply is matched to this callback by ref_id.
                        await outbox_store.enqueue(
                            conn,
                            {
                                "channel": "sms",
                                "recipient": to,
                                "body": notices.render(
                                    notices.Template.survey, number=order["number"]
                                ),
                                "ref_kind": "callback",
                                "ref_id": str(cb["id"]),
                                "at": now,
                                "template": notices.Template.survey.value,
                                "order_id": order["id"],
                            },
                        )
        finally:
            await reminder_store.release_tick_lock(conn)
    await publish_changes(center, published)
    made["outbox"] = await outbox.deliver_pending(center)
    return made


async def tick_now(center: Center, who: Principal) -> dict[str, Any]:
    """Run a pass now, at an admin's or a duty officer's request (:func:`run_tick`)."""
    need(who, TICK_RUNNERS, "run the timer")
    return await run_tick(center)


async def _remind(
    center: Center, conn: Any, row: Row, kind: sv.ReminderKind, now: datetime
) -> Row | None:
    text = sv.reminder_text(kind, row["number"], row["reply_by"])
    rem = await reminder_store.insert_reminder(
        conn,
        {
            "order_id": row["id"],
            "unit_code": row["assigned_unit"],
            "kind": kind.value,
            "reply_by": row["reply_by"],
            "at": now,
            "message": text,
        },
    )
    if rem is None:
        return None
    for channel, recipient in (
        ("console", f"unit:{row['assigned_unit']}"),
        ("sms", f"unit:{row['assigned_unit']}"),
    ):
        await outbox_store.enqueue(
            conn,
            {
                "channel": channel,
                "recipient": recipient,
                "body": text,
                "ref_kind": "reminder",
                "ref_id": str(rem["id"]),
                "at": now,
            },
        )
    await push_store.enqueue_push(
        conn, row["assigned_unit"], text, "reminder", str(rem["id"]), now
    )  # the phones of the unit's people who allowed notifications (Web Push)
    if kind is sv.ReminderKind.escalated:
        await outbox_store.enqueue(
            conn,
            {
                "channel": "console",
                "recipient": "role:duty_officer",
                "body": text,
                "ref_kind": "reminder",
                "ref_id": str(rem["id"]),
                "at": now,
            },
        )
    await timeline_store.append_order_event(
        conn,
        row["id"],
        timeline_entry(
            SYSTEM,
            "supervision.remind",
            now,
            text,
            {
                "kind": kind.value,
                "label": sv.REMINDER_LABELS_ZH[kind],
                "unit": row["assigned_unit"],
            },
        ),
        "supervision.reminder",
    )
    return rem


class SupervisionTimer(BackgroundLoop):
    """Runs :func:`run_tick` every ``interval`` seconds in this worker."""

    name = "supervision timer"

    def __init__(self, center: Center, interval: float = 60.0) -> None:
        super().__init__()
        self.center = center
        self.interval = interval
        self.retry_after = interval
        self.last: dict[str, Any] | None = None

    async def step(self) -> float:
        """One supervision pass."""
        self.last = await run_tick(self.center)
        return self.interval
