"""What a person's supervision console shows: a handler's orders, reminders, supervision
orders and tasks; a leader's or duty officer's sessions, instructions, tasks and callbacks.
"""

from __future__ import annotations

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.orders import service as order_service
from dispatch_center.store import orders as order_store
from dispatch_center.store.supervision import callbacks as callback_store
from dispatch_center.store.supervision import orders as supervision_order_store
from dispatch_center.store.supervision import reminders as reminder_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.store.supervision import tasks as task_store
from dispatch_center.supervision.common import (
    WORKING,
    Row,
    callback_view,
    instruction_view,
    iso,
    reminder_view,
    task_view,
)
from dispatch_center.supervision.orders import supervision_order_view


async def my_view(center: Center, who: Principal) -> Row:
    """A handler's orders, reminders, supervision orders and tasks; a leader's sessions,
    instructions and tasks; the others' open supervision work.
    """
    scope = reading_scope(center, who)
    async with center.db.connection() as conn:
        if scope.units is not None:  # a handler: its units' work, read as such
            units = sorted(scope.units)
            orders_ = await order_store.list_orders(
                conn, order_store.OrderFilter(statuses=WORKING, limit=200, scope=scope)
            )
            mine = [order_service.order_view(center, who, o) for o in orders_]
            return {
                "role": who.role.value,
                "unit": who.unit_code,
                "orders": mine,
                "reminders": [
                    reminder_view(r) for r in await reminder_store.reminders_for_units(conn, units)
                ],
                "supervision_orders": [
                    supervision_order_view(r)
                    for r in await supervision_order_store.supervision_orders_for(conn, units=units)
                ],
                "tasks": [
                    task_view(t)
                    for t in await task_store.tasks(conn, owners=[*units, who.username])
                ],
            }
        sessions = await session_store.list_sessions(conn, None, 50)
        instr = []
        for s in sessions:
            instr += [
                instruction_view(r)
                for r in await session_store.instructions(conn, s["id"])
                if who.role is not Role.leader or r["issued_by"] == who.username
            ]
        return {
            "role": who.role.value,
            "sessions": [
                {
                    "id": str(s["id"]),
                    "topic": s["topic"],
                    "status": s["status"],
                    "created_at": iso(s["created_at"]),
                    "room_url": s["room_url"],
                }
                for s in sessions
            ],
            "instructions": instr,
            "tasks": [task_view(t) for t in await task_store.tasks(conn, status="open")],
            "callbacks": [
                callback_view(c) for c in await callback_store.pending_callbacks(conn, 50)
            ],
        }
