"""The callback desk (回访台): orders whose callback is due, soonest first, with the
citizen's number for the seats who call; and texts that looked like survey answers but
matched no open survey, for a seat to read.

A callback is due ``DISPATCH_CALLBACK_DUE_WORKING_DAYS`` working days (3 unless set; the
center's working-day calendar, holidays and make-up days included) after the unit's reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.privacy import mask_phone
from dispatch_center.core.roles import ROLES_SEEING_FULL_PHONE, Role
from dispatch_center.errors import Forbidden, NotFound
from dispatch_center.store import replies as reply_store

Row = dict[str, Any]

#: Who works the desk (the page and its API).
DESK_ROLES = frozenset({Role.callback_agent, Role.duty_officer, Role.dispatcher, Role.admin})


def _phone_for(who: Principal, phone: str | None) -> str | None:
    # The seat calls the citizen: the number in full to the callback roles.
    if who.role in ROLES_SEEING_FULL_PHONE or who.role in DESK_ROLES:
        return phone
    return mask_phone(phone)


def callback_due(center: Center, replied_at: datetime) -> datetime:
    """When a callback of an order replied at ``replied_at`` is due."""
    n = center.settings.callback_due_working_days
    return center.reference.calendar.add_working_days(replied_at, n)[0]


def due_view(who: Principal, row: Row, due: datetime) -> Row:
    """One callback on the desk, due at ``due`` (:func:`callback_due`)."""
    return {
        "callback_id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "number": row["number"],
        "channel": row["channel"],
        "replied_at": to_shanghai(row["replied_at"]).isoformat(),
        "due_at": to_shanghai(due).isoformat(),
        "reporter_name": row["reporter_name"] if not row["reporter_confidential"] else None,
        "phone": _phone_for(who, row["reporter_phone"]),
        "description": row["description"],
        "unit": row["unit_name"] or row["assigned_unit"],
        "desk_reason": row["desk_reason"],
        "last_reply": row["last_reply"],
    }


def reply_view(who: Principal, row: Row) -> Row:
    """A text that matched no open survey."""
    return {
        "id": str(row["id"]),
        "phone": _phone_for(who, row["sender"]),
        "body": row["body"],
        "received_at": to_shanghai(row["received_at"]).isoformat(),
    }


async def desk(center: Center, who: Principal) -> Row:
    """What the desk works: callbacks by due time, then unmatched replies."""
    if who.role not in DESK_ROLES:
        raise Forbidden("only the callback desk's seats see it")
    async with center.db.connection() as conn:
        due = await reply_store.callbacks_due(conn)
        replies = await reply_store.unmatched_replies(conn)
    return {
        "due": [due_view(who, r, callback_due(center, r["replied_at"])) for r in due],
        "replies": [reply_view(who, r) for r in replies],
    }


async def reply_handled(center: Center, who: Principal, reply_id: str) -> Row:
    """A seat has dealt with an unmatched reply (called back, or it needed nothing)."""
    if who.role not in DESK_ROLES:
        raise Forbidden("only the callback desk's seats handle replies")
    if not reply_id.isdigit() or len(reply_id) > 18:
        raise NotFound(f"no reply {reply_id!r}")
    async with center.db.connection() as conn:
        row = await reply_store.handle_reply(conn, int(reply_id), who.username, center.now())
    if row is None:
        raise NotFound(f"no open reply {reply_id!r}")
    return reply_view(who, row)
