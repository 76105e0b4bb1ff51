"""What every part of supervision shares: who may do what, access to an order, the
timeline entry, the mode policy where an order is, and the views of rows that more than
one part shows (reminders, tasks, callbacks, instructions, attachments).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import supervision as sv
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.links import link_problem
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.orders import service as order_service
from dispatch_center.store import orders as order_store
from dispatch_center.store.orders import TimelineEntry
from dispatch_center.store.supervision import sessions as session_store

Row = dict[str, Any]

SYSTEM = Principal("system", Role.admin)
# Who may do what (the lifecycle table decides order actions; these are supervision's).
SUPERVISORS = frozenset({Role.duty_officer, Role.leader, Role.admin})  # 督办单, escalation
SESSION_RUNNERS = frozenset({Role.duty_officer, Role.admin, Role.flood_hq, Role.holiday_hq})
INSTRUCTING = frozenset({Role.leader, Role.admin})
CALLBACK_STAFF = frozenset({Role.duty_officer, Role.dispatcher, Role.admin, Role.callback_agent})
# Orders a unit still works on (not yet replied): reminded by the timer, listed on consoles.
WORKING = tuple(s.value for s in order_service.OPEN_UNREPLIED)


# -- times and access -----------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """A time on the wire: ISO 8601 in Shanghai time (``None`` stays ``None``).

    Examples
    --------
    >>> from datetime import UTC
    >>> iso(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    '2026-11-27T10:00:00+08:00'
    >>> iso(None) is None
    True
    """
    return to_shanghai(value).isoformat() if value is not None else None


def need(who: Principal, roles: frozenset[Role], what: str) -> None:
    """Refuse (403) unless ``who`` has one of ``roles``; the message names the roles allowed.

    Examples
    --------
    >>> need(Principal("duty", Role.duty_officer), SUPERVISORS, "escalate orders")
    >>> try:
    ...     need(Principal("d", Role.dispatcher), INSTRUCTING, "issue instructions")
    ... except Forbidden as exc:
    ...     print(exc)
    role 'dispatcher' may not issue instructions; allowed: admin, leader
    """
    if who.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"role {who.role.value!r} may not {what}; allowed: {allowed}")


def aware(value: datetime | None, field: str) -> datetime | None:
    """``value`` unchanged when it carries a UTC offset (or is ``None``); else 422 on ``field``."""
    if value is not None and value.tzinfo is None:
        raise Invalid(f"{field} must carry a UTC offset", fields={field: "naive datetime"})
    return value


def web_link(center: Center, url: str, field: str) -> str:
    """``url`` unchanged when it may be stored as a link (https, or http to a host in
    ``DISPATCH_HTTP_LINK_HOSTS``); else 422 naming ``field``. It becomes the ``href`` of
    pages other people open, so a ``javascript:`` link must never get in.
    """
    problem = link_problem(url, center.settings.http_link_host_set)
    if problem is not None:
        raise Invalid(f"{field}: {problem}", fields={field: problem})
    return url


def timeline_entry(
    who: Principal, action: str, at: datetime, note: str | None, data: Mapping[str, Any]
) -> TimelineEntry:
    """A supervision entry on an order's timeline, made by ``who``."""
    return TimelineEntry(
        actor=who.username, role=who.role.value, action=action, at=at, note=note, data=data
    )


async def order_or_404(center: Center, who: Principal, order_id: str) -> Row:
    """The order ``who`` may see, or 404 (a handler sees its own unit's orders only)."""
    oid = order_service.parse_order_id(order_id)
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, oid)
    if row is None or not may_see(center, who, row):
        raise NotFound(f"no order {order_id!r}")
    return row


def may_see(center: Center, who: Principal, row: Row) -> bool:
    """Whether ``who`` may see the order ``row``: the one rule of
    :mod:`dispatch_center.core.visibility` (the center's roles see the city, a handler
    its unit's subtree).
    """
    return order_service.may_see(center, who, row)


# -- the mode policy where an order is -----------------------------------------------------------


def _county(row: Mapping[str, Any]) -> str | None:
    return row.get("county_code")  # the orders column (migration 014)


def policy_for(center: Center, row: Mapping[str, Any] | None = None) -> Any:
    """The mode policy in force where the order is (city-wide without an order)."""
    active = center.modes.active(_county(row) if row else None, center.now())
    return center.modes.policy(active)


# -- sessions and the views more than one part shows --------------------------------------------


async def open_session(conn: Any, session_id: int) -> Row:
    """The session, if open: 404 when there is none, 409 when it is closed (its record
    then takes amendments only).
    """
    s = await session_store.get_session(conn, session_id)
    if s is None:
        raise NotFound(f"no session {session_id}")
    if s["status"] != "open":
        raise Conflict(
            "the session is closed: append an amendment instead",
            closed_at=iso(s["closed_at"]),
            closed_by=s["closed_by"],
        )
    return s


def reminder_view(r: Row) -> Row:
    """A reminder on the wire (the ladder of an order, a handler's console)."""
    return {
        "id": str(r["id"]),
        "order_id": str(r["order_id"]),
        "order_number": r.get("number"),
        "kind": r["kind"],
        "label": sv.REMINDER_LABELS_ZH[sv.ReminderKind(r["kind"])],
        "unit": r["unit_code"],
        "reply_by": iso(r["reply_by"]),
        "at": iso(r["at"]),
        "message": r["message"],
    }


def task_view(t: Row) -> Row:
    """A tracked task on the wire."""
    return {
        "id": str(t["id"]),
        "source": t["source"],
        "source_id": str(t["source_id"]),
        "title": t["title"],
        "owner": t["owner"],
        "due": iso(t["due"]),
        "status": t["status"],
        "created_by": t["created_by"],
        "created_at": iso(t["created_at"]),
        "done_by": t["done_by"],
        "done_at": iso(t["done_at"]),
        "result": t["result"],
    }


def callback_view(c: Row) -> Row:
    """A callback task on the wire."""
    return {
        "id": str(c["id"]),
        "order_id": str(c["order_id"]),
        "order_number": c.get("number"),
        "channel": c["channel"],
        "status": c["status"],
        "replied_at": iso(c["replied_at"]),
        "created_at": iso(c["created_at"]),
        "rating": c["rating"],
        "solved": c["solved"],
        "outcome": c["outcome"],
        "done_by": c["done_by"],
        "done_at": iso(c["done_at"]),
    }


def instruction_view(r: Row) -> Row:
    """An instruction on the wire, with the task or order it became."""
    return {
        "id": str(r["id"]),
        "session_id": str(r["session_id"]),
        "text": r["text"],
        "owner": r["owner"],
        "due": iso(r["due"]),
        "kind": r["kind"],
        "issued_by": r["issued_by"],
        "issued_at": iso(r["issued_at"]),
        "task": {"id": str(r["task_id"]), "status": r["task_status"]} if r["task_id"] else None,
        "order": (
            {"id": str(r["order_id"]), "number": r["order_number"], "status": r["order_status"]}
            if r["order_id"]
            else None
        ),
    }


def attachment_view(r: Row) -> Row:
    """An attachment of a session on the wire."""
    return {
        "id": str(r["id"]),
        "kind": r["kind"],
        "title": r["title"],
        "url": r["url"],
        "added_by": r["added_by"],
        "added_at": iso(r["added_at"]),
    }
