"""Callback and evaluation (回、评): the citizen's answer closes the order, or reopens it
(重办) under the policy's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import supervision as sv
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, NotFound, parse_id
from dispatch_center.models import OrderAction
from dispatch_center.orders import service as order_service
from dispatch_center.store import orders as order_store
from dispatch_center.store import replies as reply_store
from dispatch_center.store.supervision import callbacks as callback_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    CALLBACK_STAFF,
    SYSTEM,
    Row,
    callback_view,
    need,
    order_or_404,
    policy_for,
    timeline_entry,
)


def max_reopens(center: Center, row: Mapping[str, Any]) -> int:
    """How many times the policy lets an order be reopened (default 2)."""
    try:
        value = policy_for(center, row).escalation.get("max_reopens")
    except Exception:
        value = None
    return int(value) if value else sv.DEFAULT_MAX_REOPENS


async def list_callbacks(center: Center, who: Principal) -> list[Row]:
    """Callback tasks still to call (the timer opens one per reply)."""
    need(who, CALLBACK_STAFF | {Role.leader, Role.auditor}, "see callback tasks")
    async with center.db.connection() as conn:
        return [callback_view(c) for c in await callback_store.pending_callbacks(conn)]


async def open_callback(center: Center, who: Principal, order_id: str) -> Row:
    """The callback task of a replied order, made now if the timer has not yet."""
    need(who, CALLBACK_STAFF, "call citizens back")
    row = await order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        await callback_store.create_callback_tasks(conn, center.now())
        cb = await callback_store.callback_for_order(conn, row["id"])
    if cb is None:
        raise Conflict("no callback: the order has not been replied", current_status=row["status"])
    return callback_view(cb)


async def record_callback(
    center: Center,
    who: Principal,
    callback_id: str,
    rating: str,
    solved: bool,
    note: str | None,
    via: str = "phone",
) -> Row:
    """The citizen's answer (by ``via``: a seat's ``phone`` call or the citizen's ``sms``
    reply): callback and evaluation on the order, then close it, or reopen it (重办) under
    the policy's limit.
    """
    need(who, CALLBACK_STAFF, "record callbacks")
    cid = parse_id(callback_id, "callback")
    async with center.db.connection() as conn:
        cb = await callback_store.get_callback(conn, cid)
        if cb is None:
            raise NotFound(f"no callback {callback_id!r}")
        if cb["status"] != "pending":
            raise Conflict("this callback was recorded already", outcome=cb["outcome"])
        order = await order_store.get_order(conn, cb["order_id"])
        assert order is not None
        reopens = await timeline_store.count_actions(conn, order["id"], "reopen")
    oid = str(order["id"])
    limit = max_reopens(center, order)
    verdict = sv.decide_callback(rating, solved, reopens, limit)
    if order["status"] == lc.Status.replied.value:
        await order_service.act(center, who, oid, "callback", OrderAction(note=note))
    await order_service.act(
        center,
        who,
        oid,
        "evaluate",
        OrderAction(rating=lc.Rating(rating), solved=solved, note=note),
    )
    outcome = verdict.outcome.value
    if verdict.outcome is sv.CallbackOutcome.close:
        # Closing after a satisfied answer follows from the rules; a callback agent, who
        # may not close orders by hand, has the system close it.
        closer = who if who.role in lc.rule_for(lc.Action.close).roles else SYSTEM
        view = await order_service.act(
            center, closer, oid, "close", OrderAction(note=verdict.reason)
        )
    elif verdict.outcome is sv.CallbackOutcome.reopen:
        view = await order_service.act(center, who, oid, "reopen", OrderAction(note=verdict.reason))
    else:
        # An order past the reopen limit waits for the duty officer's decision (a
        # supervision order), and the timeline says why.
        async with center.db.connection() as conn:
            ev = await timeline_store.append_order_event(
                conn,
                order["id"],
                timeline_entry(
                    who,
                    "supervision.needs_review",
                    center.now(),
                    verdict.reason,
                    {"rating": rating, "solved": solved, "reopens": reopens, "max_reopens": limit},
                ),
                "supervision.callback",
            )
        await publish_changes(center, [ev])
        view = await order_service.get_order(center, who, oid, with_timeline=False)
    async with center.db.connection() as conn:
        done = await callback_store.finish_callback(
            conn,
            cid,
            {
                "rating": rating,
                "solved": solved,
                "outcome": outcome,
                "done_by": who.username,
                "at": center.now(),
            },
        )
        if done is not None:
            await reply_store.mark_answered_via(conn, cid, via)
    if done is not None:
        await publish_changes(center, [done])
    result = callback_view(done or cb)
    result.update(
        verdict=verdict.reason,
        order_status=view["status"],
        reopens=reopens + (1 if view["status"] == lc.Status.dispatched.value else 0),
        max_reopens=limit,
    )
    return result
