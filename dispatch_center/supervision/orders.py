"""Supervision orders (督办单): a duty officer or leader issues one on a work order with a
level, a requirement and an answer deadline; the handling unit answers it once.
"""

from __future__ import annotations

from datetime import datetime

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import supervision as sv
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Forbidden, NotFound, parse_id
from dispatch_center.store import orders as order_store
from dispatch_center.store import outbox as outbox_store
from dispatch_center.store import push as push_store
from dispatch_center.store.supervision import orders as supervision_order_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    SUPERVISORS,
    Row,
    aware,
    iso,
    may_see,
    need,
    order_or_404,
    timeline_entry,
)


def supervision_order_view(row: Row) -> Row:
    """A 督办单 on the wire."""
    level = sv.SupervisionLevel(row["level"])
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "order_number": row.get("number"),
        "level": level.value,
        "level_label": sv.LEVEL_LABELS_ZH[level],
        "requirement": row["requirement"],
        "answer_by": iso(row["answer_by"]),
        "unit": row["unit_code"],
        "issued_by": row["issued_by"],
        "issued_at": iso(row["issued_at"]),
        "status": row["status"],
        "answer": row["answer"],
        "answered_by": row["answered_by"],
        "answered_at": iso(row["answered_at"]),
    }


async def issue_supervision_order(
    center: Center, who: Principal, order_id: str, level: str, requirement: str, answer_by: datetime
) -> Row:
    """A duty officer (or leader) issues a 督办单 on an order; the timeline records it."""
    need(who, SUPERVISORS, "issue supervision orders")
    lvl = sv.SupervisionLevel(level)
    aware(answer_by, "answer_by")
    row = await order_or_404(center, who, order_id)
    if not row.get("assigned_unit"):
        raise Conflict(
            "the order has no handling unit yet: dispatch it first", current_status=row["status"]
        )
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        so = await supervision_order_store.insert_supervision_order(
            conn,
            {
                "order_id": row["id"],
                "level": lvl.value,
                "requirement": requirement,
                "answer_by": answer_by,
                "unit_code": row["assigned_unit"],
                "issued_by": who.username,
                "at": now,
            },
        )
        ev = await timeline_store.append_order_event(
            conn,
            row["id"],
            timeline_entry(
                who,
                "supervision.order",
                now,
                requirement,
                {
                    "supervision_order_id": str(so["id"]),
                    "level": lvl.value,
                    "level_label": sv.LEVEL_LABELS_ZH[lvl],
                    "answer_by": iso(answer_by),
                    "unit": row["assigned_unit"],
                },
            ),
            "supervision.order",
        )
        text = (
            f"【12345{sv.LEVEL_LABELS_ZH[lvl]}】工单{row['number']}：{requirement}"
            f"（请于{to_shanghai(answer_by):%Y-%m-%d %H:%M}前答复）"
        )
        for channel in ("console", "sms"):
            await outbox_store.enqueue(
                conn,
                {
                    "channel": channel,
                    "recipient": f"unit:{row['assigned_unit']}",
                    "body": text,
                    "ref_kind": "supervision_order",
                    "ref_id": str(so["id"]),
                    "at": now,
                },
            )
        # And the phones of the unit's people who allowed notifications (Web Push).
        await push_store.enqueue_push(
            conn, row["assigned_unit"], text, "supervision_order", str(so["id"]), now
        )
    await publish_changes(center, [so, ev])
    return supervision_order_view(so)


async def answer_supervision_order(center: Center, who: Principal, sid: str, answer: str) -> Row:
    """The handling unit answers a 督办单 (once)."""
    if who.role not in (Role.handler, Role.admin):
        raise Forbidden("only the handling unit answers a supervision order")
    so_id = parse_id(sid, "supervision order")
    async with center.db.connection() as conn:
        so = await supervision_order_store.get_supervision_order(conn, so_id)
        if so is None:
            raise NotFound(f"no supervision order {sid!r}")
        order = await order_store.get_order(conn, so["order_id"])
        assert order is not None
        if not may_see(center, who, order):
            raise NotFound(f"no supervision order {sid!r}")
        now = center.now()
        async with conn.transaction():
            done = await supervision_order_store.answer_supervision_order(
                conn, so_id, answer, who.username, now
            )
            if done is None:
                raise Conflict(
                    "this supervision order was answered already",
                    answered_by=so["answered_by"],
                    answered_at=iso(so["answered_at"]),
                )
            ev = await timeline_store.append_order_event(
                conn,
                so["order_id"],
                timeline_entry(
                    who,
                    "supervision.answer",
                    now,
                    answer,
                    {
                        "supervision_order_id": str(so_id),
                        "level": so["level"],
                        "on_time": now <= so["answer_by"],
                    },
                ),
                "supervision.order",
            )
    await publish_changes(center, [done, ev])
    return supervision_order_view(done)
