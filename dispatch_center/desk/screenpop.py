"""The screen pop: the call the CTI put through to a seat, and who is calling.

The CTI's RING/ANSWER/HANGUP events land in ``voice_calls`` through the intake (the voice
channel, :mod:`dispatch_center.intake.channels`); a seat is the CTI's ``agentId``, which the
desk page takes to be the signed-in user's name unless the seat is set on the page. The
page asks :func:`wait_for_change` (a long poll): the database is the truth, so a desk on
any worker sees a call that any worker took in, with no message to lose.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.core.lifecycle import Status, is_open
from dispatch_center.core.privacy import mask_phone
from dispatch_center.store import desk as store

#: A call is shown from its ring until this long after it was answered or rang...
LIVE_FOR = timedelta(minutes=30)
#: ...and for this long after the caller hung up (the wrap-up).
WRAP_UP = timedelta(minutes=5)
POLL_S = 1.0
HISTORY = 20


def call_state(row: dict[str, Any]) -> str:
    """``ringing``, ``answered`` or ``ended``.

    Examples
    --------
    >>> call_state({"answered_at": None, "ended_at": None})
    'ringing'
    """
    if row["ended_at"] is not None:
        return "ended"
    return "answered" if row["answered_at"] is not None else "ringing"


def month_start(now: datetime) -> datetime:
    """The first moment of ``now``'s month in China Standard Time.

    Examples
    --------
    >>> from datetime import timezone
    >>> month_start(datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)).isoformat()
    '2026-12-01T00:00:00+08:00'
    """
    local = now.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _order(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "status": row["status"],
        "open": is_open(Status(row["status"])) and row["status"] != Status.transferred_110,
        "request_type": row["request_type"],
        "category_code": row["category_code"],
        "description": row["description"][:120],
        "address": row["address"],
        "received_at": _iso(row["received_at"]),
        "merged_into": str(row["merged_into"]) if row["merged_into"] else None,
    }


async def screen_pop(center: Center, who: Principal, seat: str) -> dict[str, Any]:
    """What the desk of ``seat`` shows now: ``call`` is None when nothing rings there."""
    now = center.now()
    async with center.db.connection() as conn:
        row = await store.call_at_seat(conn, seat, now - LIVE_FOR)
        if row is None or (row["ended_at"] is not None and now - row["ended_at"] > WRAP_UP):
            return {"seat": seat, "call": None}
        phone = row["caller"]
        orders = await store.orders_of_caller(conn, phone, HISTORY)
        since = month_start(now)
        calls = await store.calls_of_caller_since(conn, phone, since)
    history = [_order(o) for o in orders]
    # Orders of this very call (the seat's form names it) do not make the caller a repeat one.
    this_month = [
        o for o in orders if o["received_at"] >= since and o["source_id"] != row["call_id"]
    ]
    return {
        "seat": seat,
        "call": {
            "call_id": row["call_id"],
            "state": call_state(row),
            "caller": phone if who.sees_full_phone else mask_phone(phone),
            "rang_at": _iso(row["rang_at"]),
            "answered_at": _iso(row["answered_at"]),
            "ended_at": _iso(row["ended_at"]),
        },
        "history": history,
        "open_orders": sum(o["open"] for o in history),
        "calls_this_month": calls,
        "orders_this_month": len(this_month),
        # This call is one of the month's calls: a repeat caller has called before it.
        "repeat_caller": calls > 1 or bool(this_month),
    }


def _key(view: dict[str, Any]) -> str:
    call = view["call"]
    return f"{call['call_id']}:{call['state']}" if call else ""


async def wait_for_change(
    center: Center, who: Principal, seat: str, known: str, wait_s: float
) -> dict[str, Any]:
    """The screen pop once it differs from ``known`` (``"<call_id>:<state>"``, empty for
    no call), or as it is after ``wait_s`` seconds; ``key`` says what to send next time.
    """
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        view = await screen_pop(center, who, seat)
        key = _key(view)
        if key != known or asyncio.get_running_loop().time() + POLL_S > deadline:
            return {**view, "key": key}
        await asyncio.sleep(POLL_S)
