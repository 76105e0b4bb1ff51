"""Supervision (督), escalation, video supervision sessions, callbacks (回) and rates (评).

The pure rules live in :mod:`dispatch_center.core.supervision`; SQL in
:mod:`dispatch_center.store.supervision`. Every change reaches the wall through the
change log (kinds ``supervision.*``) and then :func:`~dispatch_center.center.publish_changes`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import supervision as sv
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized, Unavailable
from dispatch_center.messaging import outbox
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as order_service
from dispatch_center.store import accounts as account_store
from dispatch_center.store import orders as order_store
from dispatch_center.store import supervision as store
from dispatch_center.store.orders import TimelineEntry

log = logging.getLogger(__name__)

Row = dict[str, Any]

SYSTEM = Principal("system", Role.admin)
# Who may do what (the lifecycle table decides order actions; these are supervision's).
SUPERVISORS = frozenset({Role.duty_officer, Role.leader, Role.admin})  # 督办单, escalation
SESSION_RUNNERS = frozenset({Role.duty_officer, Role.admin, Role.flood_hq, Role.holiday_hq})
INSTRUCTING = frozenset({Role.leader, Role.admin})
CALLBACK_STAFF = frozenset({Role.duty_officer, Role.dispatcher, Role.admin})
DUE_SOON_FRACTION = 0.2
WORKING = tuple(s.value for s in order_service.OPEN_UNREPLIED)


def _iso(value: datetime | None) -> str | None:
    return to_shanghai(value).isoformat() if value is not None else None


def _need(who: Principal, roles: frozenset[Role], what: str) -> None:
    if who.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"role {who.role.value!r} may not {what}; allowed: {allowed}")


def _parse_id(value: str, what: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18 or int(value) < 1:
        raise NotFound(f"no {what} {value!r}")
    return int(value)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(f"{field} must carry a UTC offset", fields={field: "naive datetime"})
    return value


def _entry(
    who: Principal, action: str, at: datetime, note: str | None, data: Mapping[str, Any]
) -> TimelineEntry:
    return TimelineEntry(
        actor=who.username, role=who.role.value, action=action, at=at, note=note, data=data
    )


async def _order_or_404(center: Center, who: Principal, order_id: str) -> Row:
    oid = order_service.parse_order_id(order_id)
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, oid)
    if row is None or not _may_see(center, who, row):
        raise NotFound(f"no order {order_id!r}")
    return row


def _may_see(center: Center, who: Principal, row: Row) -> bool:
    if who.role is not Role.handler:
        return True
    return who.unit_code in center.reference.unit_chain(row.get("assigned_unit"))


def _county(row: Mapping[str, Any]) -> str | None:
    return row.get("county_code")  # the orders column (migration 014)


def policy_for(center: Center, row: Mapping[str, Any] | None = None) -> Any:
    """The mode policy in force where the order is (city-wide without an order)."""
    active = center.modes.active(_county(row) if row else None, center.now())
    return center.modes.policy(active)


def thresholds_for(center: Center, row: Mapping[str, Any]) -> sv.ReminderThresholds:
    """Reminder thresholds of the mode in force where the order is."""
    try:
        return sv.ReminderThresholds.from_policy(policy_for(center, row).escalation)
    except Exception:  # no modes loaded (a bare center): the defaults apply
        return sv.ReminderThresholds()


def max_reopens(center: Center, row: Mapping[str, Any]) -> int:
    """How many times the policy lets an order be reopened (default 2)."""
    try:
        value = policy_for(center, row).escalation.get("max_reopens")
    except Exception:
        value = None
    return int(value) if value else sv.DEFAULT_MAX_REOPENS


# -- the reminder timer (督) -----------------------------------------------------------------------


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
        if not await store.try_tick_lock(conn):
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
            rows = await store.reminder_candidates(conn, WORKING, now, horizon, DUE_SOON_FRACTION)
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
            for cb in await store.create_callback_tasks(conn, now):
                made["callbacks"] += 1
                if cb["channel"] == "sms":
                    order = await order_store.get_order(conn, cb["order_id"])
                    if order and order.get("reporter_phone"):
                        await store.enqueue(
                            conn,
                            {
                                "channel": "sms",
                                "recipient": order["reporter_phone"],
                                "body": _callback_sms(order["number"]),
                                "ref_kind": "callback",
                                "ref_id": str(cb["id"]),
                                "at": now,
                            },
                        )
        finally:
            await store.release_tick_lock(conn)
    await publish_changes(center, published)
    made["outbox"] = await outbox.deliver_pending(center)
    return made


async def _remind(
    center: Center, conn: Any, row: Row, kind: sv.ReminderKind, now: datetime
) -> Row | None:
    text = sv.reminder_text(kind, row["number"], row["reply_by"])
    rem = await store.insert_reminder(
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
        await store.enqueue(
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
    if kind is sv.ReminderKind.escalated:
        await store.enqueue(
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
    await store.append_order_event(
        conn,
        row["id"],
        _entry(
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


def _callback_sms(number: str) -> str:
    return (
        f"【乐山12345】您反映的问题（工单{number}）已办结，"
        "请回复：1满意 2基本满意 3不满意；问题是否解决：是/否。"
    )


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


# -- supervision orders (督办单) and the escalation ladder ---------------------------------


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
        "answer_by": _iso(row["answer_by"]),
        "unit": row["unit_code"],
        "issued_by": row["issued_by"],
        "issued_at": _iso(row["issued_at"]),
        "status": row["status"],
        "answer": row["answer"],
        "answered_by": row["answered_by"],
        "answered_at": _iso(row["answered_at"]),
    }


async def issue_supervision_order(
    center: Center, who: Principal, order_id: str, level: str, requirement: str, answer_by: datetime
) -> Row:
    """A duty officer (or leader) issues a 督办单 on an order; the timeline records it."""
    _need(who, SUPERVISORS, "issue supervision orders")
    lvl = sv.SupervisionLevel(level)
    _aware(answer_by, "answer_by")
    row = await _order_or_404(center, who, order_id)
    if not row.get("assigned_unit"):
        raise Conflict(
            "the order has no handling unit yet: dispatch it first", current_status=row["status"]
        )
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        so = await store.insert_supervision_order(
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
        ev = await store.append_order_event(
            conn,
            row["id"],
            _entry(
                who,
                "supervision.order",
                now,
                requirement,
                {
                    "supervision_order_id": str(so["id"]),
                    "level": lvl.value,
                    "level_label": sv.LEVEL_LABELS_ZH[lvl],
                    "answer_by": _iso(answer_by),
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
            await store.enqueue(
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
    await publish_changes(center, [so, ev])
    return supervision_order_view(so)


async def answer_supervision_order(center: Center, who: Principal, sid: str, answer: str) -> Row:
    """The handling unit answers a 督办单 (once)."""
    if who.role not in (Role.handler, Role.admin):
        raise Forbidden("only the handling unit answers a supervision order")
    so_id = _parse_id(sid, "supervision order")
    async with center.db.connection() as conn:
        so = await store.get_supervision_order(conn, so_id)
        if so is None:
            raise NotFound(f"no supervision order {sid!r}")
        order = await order_store.get_order(conn, so["order_id"])
        assert order is not None
        if not _may_see(center, who, order):
            raise NotFound(f"no supervision order {sid!r}")
        now = center.now()
        async with conn.transaction():
            done = await store.answer_supervision_order(conn, so_id, answer, who.username, now)
            if done is None:
                raise Conflict(
                    "this supervision order was answered already",
                    answered_by=so["answered_by"],
                    answered_at=_iso(so["answered_at"]),
                )
            ev = await store.append_order_event(
                conn,
                so["order_id"],
                _entry(
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


async def escalate(
    center: Center,
    who: Principal,
    order_id: str,
    step: str,
    details: Mapping[str, Any],
    note: str | None = None,
) -> Row:
    """Record one step of the escalation ladder on the order's timeline."""
    _need(who, SUPERVISORS, "escalate orders")
    row = await _order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        done = [r["data"].get("step") for r in await store.escalation_steps(conn, row["id"])]
        try:
            decision = sv.decide_step(done, step, details)
        except sv.StepError as exc:
            if exc.field == "step":
                raise Conflict(str(exc), done=done) from exc
            raise Invalid(str(exc), fields={f"details.{exc.field}": str(exc)}) from exc
        if decision.spec.step is sv.EscalationStep.video_supervision:
            sid = _parse_id(str(details["session_id"]), "session")
            if row["id"] not in await store.session_order_ids(conn, sid):
                raise Invalid(
                    "the session is not linked to this order",
                    fields={"details.session_id": "not linked"},
                )
        return await _record_step(center, conn, who, row, decision, note)


async def _record_step(
    center: Center, conn: Any, who: Principal, row: Row, decision: sv.StepDecision, note: str | None
) -> Row:
    now = center.now()
    data = {
        "step": decision.spec.step.value,
        "label": decision.spec.label_zh,
        "rank": decision.spec.rank,
        "details": dict(decision.details),
        "skipped": [s.value for s in decision.skipped],
    }
    ev = await store.append_order_event(
        conn,
        row["id"],
        _entry(who, "supervision.escalate", now, note, data),
        "supervision.escalate",
    )
    await publish_changes(center, [ev])
    return {"order_id": str(row["id"]), "at": _iso(now), "by": who.username, **data}


async def ladder(center: Center, who: Principal, order_id: str) -> Row:
    """The ladder as data with the steps taken on this order and what may come next."""
    row = await _order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        taken = await store.escalation_steps(conn, row["id"])
        orders_ = await store.supervision_orders_for(conn, order_id=row["id"])
        reminders = await store.reminders_for_order(conn, row["id"])
        sessions = await store.sessions_of_order(conn, row["id"])
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
        "taken": [{"at": _iso(t["at"]), "by": t["actor"], **t["data"]} for t in taken],
        "next": [s.value for s in sv.next_steps(done)],
        "supervision_orders": [supervision_order_view(r) for r in orders_],
        "reminders": [_reminder_view(r) for r in reminders],
        "sessions": [str(s) for s in sessions],
    }


def _reminder_view(r: Row) -> Row:
    return {
        "id": str(r["id"]),
        "order_id": str(r["order_id"]),
        "order_number": r.get("number"),
        "kind": r["kind"],
        "label": sv.REMINDER_LABELS_ZH[sv.ReminderKind(r["kind"])],
        "unit": r["unit_code"],
        "reply_by": _iso(r["reply_by"]),
        "at": _iso(r["at"]),
        "message": r["message"],
    }


# -- video supervision sessions ------------------------------------------------------------------


async def _display_name(center: Center, who: Principal) -> str:
    async with center.db.connection() as conn:
        user = await account_store.get_user(conn, who.username)
    return (user or {}).get("display_name") or who.username


async def create_session(center: Center, who: Principal, body: Mapping[str, Any]) -> Row:
    """Open a video supervision session; each linked order's timeline records it (as the
    ladder's video-supervision step where the ladder allows)."""
    _need(who, SESSION_RUNNERS, "run supervision sessions")
    ids = [order_service.parse_order_id(str(i)) for i in body.get("order_ids") or []]
    if not ids and not body.get("emergency"):
        raise Invalid(
            "link at least one order or name the emergency",
            fields={"order_ids": "empty and no emergency"},
        )
    now = center.now()
    async with center.db.connection() as conn:
        rows = []
        for oid in ids:
            r = await order_store.get_order(conn, oid)
            if r is None:
                raise Invalid(f"no order {oid}", fields={"order_ids": f"{oid} not found"})
            rows.append(r)
        mode = body.get("mode") or _mode_now(center)
        async with conn.transaction():
            session = await store.insert_session(
                conn, {**body, "mode": mode, "created_by": who.username, "at": now}
            )
            await store.link_orders(conn, session["id"], ids)
        events: list[Row | None] = []
        for r in rows:
            done = [t["data"].get("step") for t in await store.escalation_steps(conn, r["id"])]
            details = {
                "session_id": str(session["id"]),
                "topic": session["topic"],
                "room_url": session["room_url"],
            }
            try:
                decision = sv.decide_step(done, sv.EscalationStep.video_supervision, details)
            except sv.StepError:  # already past this rung: still on the timeline, not as a step
                events.append(
                    await store.append_order_event(
                        conn,
                        r["id"],
                        _entry(who, "supervision.session", now, session["topic"], details),
                        "supervision.session",
                    )
                )
                continue
            await _record_step(center, conn, who, r, decision, session["topic"])
    await publish_changes(center, [session, *events])
    return await get_session(center, who, str(session["id"]))


def _mode_now(center: Center) -> str | None:
    try:
        return center.mode
    except Exception:
        return None


async def _open_session(conn: Any, session_id: int) -> Row:
    s = await store.get_session(conn, session_id)
    if s is None:
        raise NotFound(f"no session {session_id}")
    if s["status"] != "open":
        raise Conflict(
            "the session is closed: append an amendment instead",
            closed_at=_iso(s["closed_at"]),
            closed_by=s["closed_by"],
        )
    return s


async def join_session(center: Center, who: Principal, session_id: str) -> Row:
    """The caller joins (a second join while in changes nothing)."""
    sid = _parse_id(session_id, "session")
    name = await _display_name(center, who)
    return await _presence(
        center, sid, "join", who.username, name, who.role.value, "button", center.now()
    )


async def leave_session(center: Center, who: Principal, session_id: str) -> Row:
    """The caller leaves (leaving when not in changes nothing)."""
    sid = _parse_id(session_id, "session")
    return await _presence(
        center, sid, "leave", who.username, who.username, who.role.value, "button", center.now()
    )


async def _presence(
    center: Center,
    sid: int,
    what: str,
    participant: str,
    name: str,
    role: str | None,
    via: str,
    at: datetime,
) -> Row:
    async with center.db.connection() as conn:
        await _open_session(conn, sid)
        values = {
            "session_id": sid,
            "participant": participant,
            "display_name": name,
            "role": role,
            "via": via,
            "at": at,
        }
        row = await (store.join(conn, values) if what == "join" else store.leave(conn, values))
        if row is None:  # a repeat, or the session closed in between
            await _open_session(conn, sid)
    if row is not None:
        await publish_changes(center, [row])
    return {
        "session_id": str(sid),
        "participant": participant,
        "changed": row is not None,
        "action": what,
    }


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Check ``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.

    Examples
    --------
    >>> sig = "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    >>> verify_signature("k", b"{}", sig)
    """
    if not signature:
        raise Unauthorized("missing X-Signature header")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        raise Unauthorized("bad webhook signature")


async def video_webhook(center: Center, body: bytes, signature: str | None) -> Row:
    """A join or leave reported by the city's video-conference system.

    Payload: ``{"event_id", "event": "participant.joined|participant.left", "session_id"
    or "room_url", "participant": {"user"?, "id"?, "name"?}, "at"?}``. ``user`` is our
    username (the room link carries it), so a button join and the webhook's join of the
    same person are one presence; without it the video system's ``id`` is used.
    """
    if not signature:
        raise Unauthorized("missing X-Signature header (HMAC-SHA256 of the body)")
    secret = center.settings.video_webhook_secret
    if not secret:
        raise Unavailable("video webhook not configured (DISPATCH_VIDEO_WEBHOOK_SECRET)")
    verify_signature(secret, body, signature)
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise Invalid(f"body is not a JSON object: {exc}", fields={"body": "JSON object"}) from exc
    event = payload.get("event")
    if event not in ("participant.joined", "participant.left"):
        raise Invalid("unknown event", fields={"event": "participant.joined|participant.left"})
    person = payload.get("participant") or {}
    if not isinstance(person, dict) or not (person.get("user") or person.get("id")):
        raise Invalid("participant needs user or id", fields={"participant": "user or id"})
    key = str(person.get("user") or f"ext:{person['id']}")
    now = center.now()
    at = now
    if payload.get("at"):
        try:
            at = datetime.fromisoformat(str(payload["at"]))
        except ValueError as exc:
            raise Invalid("at is not ISO 8601", fields={"at": "ISO 8601 with offset"}) from exc
        if at.tzinfo is None:
            raise Invalid("at must carry a UTC offset", fields={"at": "naive datetime"})
        at = min(at, now)  # a clock ahead of ours must not put presence in the future
    async with center.db.connection() as conn:
        if payload.get("session_id") is not None:
            s = await store.get_session(conn, _parse_id(str(payload["session_id"]), "session"))
        elif payload.get("room_url"):
            s = await store.session_by_room(conn, str(payload["room_url"]))
        else:
            raise Invalid("name the session", fields={"session_id": "or room_url"})
        if s is None:
            raise NotFound("no such session")
        event_id = str(payload.get("event_id") or "")
        if event_id and not await store.seen_webhook(conn, event_id, now, payload):
            return {
                "session_id": str(s["id"]),
                "participant": key,
                "changed": False,
                "duplicate": True,
            }
        role = None
        if person.get("user"):
            user = await account_store.get_user(conn, str(person["user"]))
            role = user["role"] if user else None
    what = "join" if event == "participant.joined" else "leave"
    return await _presence(
        center, s["id"], what, key, str(person.get("name") or key), role, "webhook", at
    )


async def add_instruction(
    center: Center, who: Principal, session_id: str, body: Mapping[str, Any]
) -> Row:
    """A leader's instruction or decision: a tracked task, or a new work order when it
    names a unit (``unit_code``) or a place (``address`` / ``location``)."""
    _need(who, INSTRUCTING, "issue instructions")
    sid = _parse_id(session_id, "session")
    due = _aware(body.get("due"), "due")
    unit = body.get("unit_code")
    ref = center.reference
    if unit is not None and unit not in ref.units:
        raise Invalid(f"unknown unit {unit!r}", fields={"unit_code": "not a known unit"})
    now = center.now()
    async with center.db.connection() as conn:
        await _open_session(conn, sid)
        ins = await store.insert_instruction(
            conn,
            {
                "session_id": sid,
                "text": body["text"],
                "owner": body["owner"],
                "due": due,
                "kind": body.get("kind") or "instruction",
                "issued_by": who.username,
                "at": now,
            },
        )
        if ins is None:
            await _open_session(conn, sid)  # closed in between: 409
            raise NotFound(f"no session {session_id}")
        order_ids = await store.session_order_ids(conn, sid)
    published: list[Row | None] = [ins]
    names_place = unit or body.get("address") or body.get("location")
    if names_place:
        order_id = await _instruction_order(center, who, sid, ins, body, order_ids)
        async with center.db.connection() as conn:
            await store.link_instruction(conn, ins["id"], order_id=order_id)
    else:
        async with center.db.connection() as conn:
            task = await store.insert_task(
                conn,
                {
                    "source": "instruction",
                    "source_id": ins["id"],
                    "title": body["text"],
                    "owner": body["owner"],
                    "due": due,
                    "created_by": who.username,
                    "at": now,
                },
            )
            await store.link_instruction(conn, ins["id"], task_id=task["id"])
        published.append(task)
    async with center.db.connection() as conn:
        for oid in order_ids:
            published.append(
                await store.append_order_event(
                    conn,
                    oid,
                    _entry(
                        who,
                        "supervision.instruction",
                        now,
                        body["text"],
                        {
                            "session_id": str(sid),
                            "instruction_id": str(ins["id"]),
                            "owner": body["owner"],
                            "due": _iso(due),
                        },
                    ),
                    "supervision.instruction",
                )
            )
        rows = await store.instructions(conn, sid)
    await publish_changes(center, published)
    return next(_instruction_view(r) for r in rows if r["id"] == ins["id"])


async def _instruction_order(
    center: Center, who: Principal, sid: int, ins: Row, body: Mapping[str, Any], linked: list[int]
) -> int:
    async with center.db.connection() as conn:
        first = await order_store.get_order(conn, linked[0]) if linked else None
    category: Any = (
        {"type": first["request_type"], "code": first["category_code"]} if first else "help"
    )
    data = OrderCreate.model_validate(
        {
            "channel": "web",
            "category": category,
            "urgency": "urgent",
            "description": f"【视频督办指示】{body['text']}（责任：{body['owner']}）",
            "address": body.get("address") or (first or {}).get("address") or "乐山市",
            "location": body.get("location")
            or (
                {"lon": first["lon"], "lat": first["lat"]}
                if first and first["lon"] is not None
                else None
            ),
            "source": "supervision",
            "source_id": f"instruction-{ins['id']}",
        }
    )
    view, _ = await order_service.create_order(center, who, data)
    if body.get("unit_code"):
        view = await order_service.act(
            center,
            SYSTEM,
            view["id"],
            "dispatch",
            OrderAction(unit_code=body["unit_code"], note=f"督办会议#{sid}领导指示派单"),
        )
    return int(view["id"])


def _instruction_view(r: Row) -> Row:
    return {
        "id": str(r["id"]),
        "session_id": str(r["session_id"]),
        "text": r["text"],
        "owner": r["owner"],
        "due": _iso(r["due"]),
        "kind": r["kind"],
        "issued_by": r["issued_by"],
        "issued_at": _iso(r["issued_at"]),
        "task": {"id": str(r["task_id"]), "status": r["task_status"]} if r["task_id"] else None,
        "order": (
            {"id": str(r["order_id"]), "number": r["order_number"], "status": r["order_status"]}
            if r["order_id"]
            else None
        ),
    }


async def add_attachment(
    center: Center, who: Principal, session_id: str, body: Mapping[str, Any]
) -> Row:
    """A recording link or a document by URL."""
    _need(who, SESSION_RUNNERS | INSTRUCTING, "add attachments")
    sid = _parse_id(session_id, "session")
    async with center.db.connection() as conn:
        await _open_session(conn, sid)
        row = await store.insert_attachment(
            conn,
            {
                "session_id": sid,
                "kind": body["kind"],
                "title": body["title"],
                "url": body["url"],
                "added_by": who.username,
                "at": center.now(),
            },
        )
        if row is None:
            await _open_session(conn, sid)
            raise NotFound(f"no session {session_id}")
    await publish_changes(center, [row])
    return _attachment_view(row)


def _attachment_view(r: Row) -> Row:
    return {
        "id": str(r["id"]),
        "kind": r["kind"],
        "title": r["title"],
        "url": r["url"],
        "added_by": r["added_by"],
        "added_at": _iso(r["added_at"]),
    }


async def close_session(center: Center, who: Principal, session_id: str) -> Row:
    """End the session: everyone still in leaves, the minutes are frozen."""
    _need(who, SESSION_RUNNERS, "close supervision sessions")
    sid = _parse_id(session_id, "session")
    now = center.now()
    async with center.db.connection() as conn:
        await _open_session(conn, sid)
        async with conn.transaction():
            closed = await store.close_session(conn, sid, who.username, now)
            if closed is None:
                await _open_session(conn, sid)
                raise NotFound(f"no session {session_id}")
            minutes = await _minutes_data(center, conn, closed)
            await store.store_minutes(conn, sid, minutes)
        events = [
            await store.append_order_event(
                conn,
                oid,
                _entry(
                    who,
                    "supervision.session_closed",
                    now,
                    closed["topic"],
                    {"session_id": str(sid), "instructions": len(minutes["instructions"])},
                ),
                "supervision.session",
            )
            for oid in await store.session_order_ids(conn, sid)
        ]
    await publish_changes(center, [closed, *events])
    return await get_session(center, who, session_id)


async def add_amendment(center: Center, who: Principal, session_id: str, text: str) -> Row:
    """Append a correction to a session's record (the record itself stays as it was)."""
    _need(who, SESSION_RUNNERS | INSTRUCTING, "amend session records")
    sid = _parse_id(session_id, "session")
    async with center.db.connection() as conn:
        if await store.get_session(conn, sid) is None:
            raise NotFound(f"no session {session_id}")
        row = await store.insert_amendment(
            conn, {"session_id": sid, "text": text, "author": who.username, "at": center.now()}
        )
    await publish_changes(center, [row])
    return _amendment_view(row)


def _amendment_view(r: Row) -> Row:
    return {"id": str(r["id"]), "text": r["text"], "author": r["author"], "at": _iso(r["at"])}


def _participants(rows: Sequence[Row]) -> list[Row]:
    """Presence intervals folded per participant, in order of first joining."""
    out: dict[str, Row] = {}
    for p in rows:
        one = out.setdefault(
            p["participant"],
            {
                "participant": p["participant"],
                "name": p["display_name"],
                "role": p["role"],
                "joined_at": _iso(p["joined_at"]),
                "left_at": None,
                "present": False,
                "intervals": [],
            },
        )
        one["intervals"].append(
            {
                "joined_at": _iso(p["joined_at"]),
                "left_at": _iso(p["left_at"]),
                "joined_via": p["joined_via"],
                "left_via": p["left_via"],
            }
        )
        one["present"] = p["left_at"] is None
        one["left_at"] = _iso(p["left_at"])
        if p["role"] and not one["role"]:
            one["role"] = p["role"]
    return list(out.values())


async def _minutes_data(center: Center, conn: Any, s: Row) -> Row:
    """What the minutes record, read once at closing."""
    order_rows = [
        await order_store.get_order(conn, oid)
        for oid in await store.session_order_ids(conn, s["id"])
    ]
    return {
        "session_id": str(s["id"]),
        "topic": s["topic"],
        "room_url": s["room_url"],
        "mode": s["mode"],
        "emergency": s["emergency"],
        "affected_area": s["affected_area"],
        "invited": s["invited"],
        "created_by": s["created_by"],
        "started_at": _iso(s["created_at"]),
        "closed_at": _iso(s["closed_at"]),
        "closed_by": s["closed_by"],
        "participants": _participants(await store.presence(conn, s["id"])),
        "orders": [
            {
                "id": str(o["id"]),
                "number": o["number"],
                "description": o["description"],
                "address": o["address"],
                "status": o["status"],
                "status_label": lc.STATUS_LABELS_ZH[lc.Status(o["status"])],
                "unit": (center.reference.units.get(o["assigned_unit"] or "") or {}).get("name"),
            }
            for o in order_rows
            if o
        ],
        "instructions": [_instruction_view(r) for r in await store.instructions(conn, s["id"])],
        "attachments": [_attachment_view(r) for r in await store.attachments(conn, s["id"])],
    }


def _session_view(
    s: Row,
    presence: Sequence[Row],
    instr: Sequence[Row],
    att: Sequence[Row],
    amend: Sequence[Row],
    order_ids: Sequence[int],
) -> Row:
    return {
        "id": str(s["id"]),
        "topic": s["topic"],
        "room_url": s["room_url"],
        "status": s["status"],
        "emergency": s["emergency"],
        "mode": s["mode"],
        "affected_area": s["affected_area"],
        "invited": s["invited"],
        "order_ids": [str(i) for i in order_ids],
        "created_by": s["created_by"],
        "created_at": _iso(s["created_at"]),
        "closed_by": s["closed_by"],
        "closed_at": _iso(s["closed_at"]),
        "participants": _participants(presence),
        "instructions": [_instruction_view(r) for r in instr],
        "attachments": [_attachment_view(r) for r in att],
        "amendments": [_amendment_view(r) for r in amend],
        "minutes": (
            {
                **s["minutes"],
                "amendments": [_amendment_view(r) for r in amend],
                "html_url": f"/api/v1/supervision/sessions/{s['id']}/minutes?format=html",
                "pdf_url": f"/api/v1/supervision/sessions/{s['id']}/minutes?format=pdf",
            }
            if s["status"] == "closed" and s["minutes"]
            else None
        ),
    }


async def get_session(center: Center, who: Principal, session_id: str) -> Row:
    """A session with its participants, instructions, attachments and (closed) minutes."""
    sid = _parse_id(session_id, "session")
    async with center.db.connection() as conn:
        s = await store.get_session(conn, sid)
        if s is None:
            raise NotFound(f"no session {session_id!r}")
        return _session_view(
            s,
            await store.presence(conn, sid),
            await store.instructions(conn, sid),
            await store.attachments(conn, sid),
            await store.amendments(conn, sid),
            await store.session_order_ids(conn, sid),
        )


async def list_sessions(center: Center, who: Principal, status: str | None) -> list[Row]:
    """Sessions, newest first (brief: no instructions or minutes)."""
    async with center.db.connection() as conn:
        rows = await store.list_sessions(conn, status)
        out = []
        for s in rows:
            people = _participants(await store.presence(conn, s["id"]))
            out.append(
                {
                    "id": str(s["id"]),
                    "topic": s["topic"],
                    "status": s["status"],
                    "room_url": s["room_url"],
                    "created_at": _iso(s["created_at"]),
                    "closed_at": _iso(s["closed_at"]),
                    "mode": s["mode"],
                    "present": [p["name"] for p in people if p["present"]],
                }
            )
    return out


async def live_sessions_snapshot(center: Center, conn: Any = None) -> list[Row]:
    """Open sessions and who is in them now, for the wall's "live sessions" section.

    Pass the snapshot's connection to read at the snapshot's ``seq``.

    Examples
    --------
    >>> await live_sessions_snapshot(center)  # doctest: +SKIP
    [{'id': '3', 'topic': '…', 'present': [{'participant': 'leader', 'name': '分管副市长', ...}]}]
    """

    async def read(c: Any) -> list[Row]:
        return [
            {
                "id": str(r["id"]),
                "topic": r["topic"],
                "room_url": r["room_url"],
                "mode": r["mode"],
                "emergency": r["emergency"],
                "affected_area": r["affected_area"],
                "started_at": _iso(r["created_at"]),
                "order_ids": [str(i) for i in r["order_ids"] or []],
                "join_url": f"/api/v1/supervision/sessions/{r['id']}/join",
                "present": [
                    {**p, "joined_at": _iso(datetime.fromisoformat(p["joined_at"]))}
                    for p in r["present"]
                ],
            }
            for r in await store.live_sessions(c)
        ]

    if conn is not None:
        return await read(conn)
    async with center.db.connection() as c:
        return await read(c)


async def minutes_data(center: Center, who: Principal, session_id: str) -> Row:
    """The frozen minutes of a closed session plus its amendments (409 while open)."""
    view = await get_session(center, who, session_id)
    if view["minutes"] is None:
        raise Conflict("minutes exist once the session is closed", status=view["status"])
    minutes: Row = view["minutes"]
    return minutes


# -- tasks ------------------------------------------------------------------------------------


def _task_view(t: Row) -> Row:
    return {
        "id": str(t["id"]),
        "source": t["source"],
        "source_id": str(t["source_id"]),
        "title": t["title"],
        "owner": t["owner"],
        "due": _iso(t["due"]),
        "status": t["status"],
        "created_by": t["created_by"],
        "created_at": _iso(t["created_at"]),
        "done_by": t["done_by"],
        "done_at": _iso(t["done_at"]),
        "result": t["result"],
    }


async def list_tasks(
    center: Center, who: Principal, owner: str | None, status: str | None
) -> list[Row]:
    """Tracked tasks."""
    async with center.db.connection() as conn:
        return [_task_view(t) for t in await store.tasks(conn, owner=owner, status=status)]


async def finish_task(
    center: Center, who: Principal, task_id: str, status: str, result: str | None
) -> Row:
    """Mark a task done or cancelled (the owner, or a supervisor)."""
    tid = _parse_id(task_id, "task")
    async with center.db.connection() as conn:
        t = await store.get_task(conn, tid)
        if t is None:
            raise NotFound(f"no task {task_id!r}")
        mine = t["owner"] in (who.username, who.unit_code)
        if not mine and who.role not in SUPERVISORS:
            raise Forbidden("only the task's owner or a supervisor may finish it")
        row = await store.finish_task(conn, tid, status, result, who.username, center.now())
        if row is None:
            raise Conflict(f"task is {t['status']} already", current_status=t["status"])
    await publish_changes(center, [row])
    return _task_view(row)


# -- callback and evaluation (回、评) --------------------------------------------------------------


def _callback_view(c: Row) -> Row:
    return {
        "id": str(c["id"]),
        "order_id": str(c["order_id"]),
        "order_number": c.get("number"),
        "channel": c["channel"],
        "status": c["status"],
        "replied_at": _iso(c["replied_at"]),
        "created_at": _iso(c["created_at"]),
        "rating": c["rating"],
        "solved": c["solved"],
        "outcome": c["outcome"],
        "done_by": c["done_by"],
        "done_at": _iso(c["done_at"]),
    }


async def list_callbacks(center: Center, who: Principal) -> list[Row]:
    """Callback tasks still to call (the timer opens one per reply)."""
    _need(who, CALLBACK_STAFF | {Role.leader, Role.auditor}, "see callback tasks")
    async with center.db.connection() as conn:
        return [_callback_view(c) for c in await store.pending_callbacks(conn)]


async def open_callback(center: Center, who: Principal, order_id: str) -> Row:
    """The callback task of a replied order, made now if the timer has not yet."""
    _need(who, CALLBACK_STAFF, "call citizens back")
    row = await _order_or_404(center, who, order_id)
    async with center.db.connection() as conn:
        await store.create_callback_tasks(conn, center.now())
        cb = await store.callback_for_order(conn, row["id"])
    if cb is None:
        raise Conflict("no callback: the order has not been replied", current_status=row["status"])
    return _callback_view(cb)


async def record_callback(
    center: Center, who: Principal, callback_id: str, rating: str, solved: bool, note: str | None
) -> Row:
    """The citizen's answer: callback and evaluation on the order, then close it, or
    reopen it (重办) under the policy's limit."""
    _need(who, CALLBACK_STAFF, "record callbacks")
    cid = _parse_id(callback_id, "callback")
    async with center.db.connection() as conn:
        cb = await store.get_callback(conn, cid)
        if cb is None:
            raise NotFound(f"no callback {callback_id!r}")
        if cb["status"] != "pending":
            raise Conflict("this callback was recorded already", outcome=cb["outcome"])
        order = await order_store.get_order(conn, cb["order_id"])
        assert order is not None
        reopens = await store.count_actions(conn, order["id"], "reopen")
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
        view = await order_service.act(center, who, oid, "close", OrderAction(note=verdict.reason))
    elif verdict.outcome is sv.CallbackOutcome.reopen:
        view = await order_service.act(center, who, oid, "reopen", OrderAction(note=verdict.reason))
    else:
        # An order past the reopen limit waits for the duty officer's decision (a
        # supervision order), and the timeline says why.
        async with center.db.connection() as conn:
            ev = await store.append_order_event(
                conn,
                order["id"],
                _entry(
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
        done = await store.finish_callback(
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
        await publish_changes(center, [done])
    result = _callback_view(done or cb)
    result.update(
        verdict=verdict.reason,
        order_status=view["status"],
        reopens=reopens + (1 if view["status"] == lc.Status.dispatched.value else 0),
        max_reopens=limit,
    )
    return result


# -- rates ------------------------------------------------------------------------------------


def _subtree(center: Center, unit: str) -> list[str]:
    ref = center.reference
    if unit not in ref.units:
        raise Invalid(f"unknown unit {unit!r}", fields={"unit": "not a known unit"})
    return [code for code in ref.units if unit in ref.unit_chain(code)]


async def rates(
    center: Center, who: Principal, unit: str | None, start: datetime | None, end: datetime | None
) -> Row:
    """Response, resolution, satisfaction, on-time, return and reopen rates per unit over
    orders received in [start, end) (default: the last 30 days)."""
    if who.role is Role.handler:
        unit = unit or who.unit_code
        if unit is None or who.unit_code not in center.reference.unit_chain(unit):
            raise Forbidden("a handler sees its own unit's rates")
    end = _aware(end, "to") or center.now()
    start = _aware(start, "from") or end - timedelta(days=30)
    if start >= end:
        raise Invalid("from must be before to", fields={"from": "not before to"})
    units = _subtree(center, unit) if unit else None
    async with center.db.connection() as conn:
        rows = await store.rate_rows(conn, units, start, end)
    facts = [
        sv.RateRow(
            unit=r["unit"],
            respond_by=r["respond_by"],
            reply_by=r["reply_by"],
            responded_at=r["responded_at"],
            replied_at=r["replied_at"],
            rating=r["rating"],
            returns=int(r["returns"]),
            reopens=int(r["reopens"]),
        )
        for r in rows
    ]
    names = center.reference.units
    per = [
        {**u.as_dict(), "name": (names.get(u.unit) or {}).get("name")}
        for u in sv.rates_by_unit(facts)
    ]
    total = sv.compute_rates(unit or "all", facts).as_dict()
    return {"unit": unit, "from": _iso(start), "to": _iso(end), "overall": total, "units": per}


# -- consoles ---------------------------------------------------------------------------------


async def my_view(center: Center, who: Principal) -> Row:
    """A handler's orders, reminders, supervision orders and tasks; a leader's sessions,
    instructions and tasks; the others' open supervision work."""
    async with center.db.connection() as conn:
        if who.role is Role.handler and who.unit_code:
            units = [
                c for c in center.reference.units if who.unit_code in center.reference.unit_chain(c)
            ]
            units = units or [who.unit_code]
            orders_ = await order_store.list_orders(
                conn, order_store.OrderFilter(statuses=WORKING, limit=200)
            )
            mine = [
                order_service.order_view(center, who, o)
                for o in orders_
                if o["assigned_unit"] in units
            ]
            return {
                "role": who.role.value,
                "unit": who.unit_code,
                "orders": mine,
                "reminders": [
                    _reminder_view(r) for r in await store.reminders_for_units(conn, units)
                ],
                "supervision_orders": [
                    supervision_order_view(r)
                    for r in await store.supervision_orders_for(conn, units=units)
                ],
                "tasks": [_task_view(t) for t in await store.tasks(conn, owner=who.unit_code)]
                + [_task_view(t) for t in await store.tasks(conn, owner=who.username)],
            }
        sessions = await store.list_sessions(conn, None, 50)
        instr = []
        for s in sessions:
            instr += [
                _instruction_view(r)
                for r in await store.instructions(conn, s["id"])
                if who.role is not Role.leader or r["issued_by"] == who.username
            ]
        return {
            "role": who.role.value,
            "sessions": [
                {
                    "id": str(s["id"]),
                    "topic": s["topic"],
                    "status": s["status"],
                    "created_at": _iso(s["created_at"]),
                    "room_url": s["room_url"],
                }
                for s in sessions
            ],
            "instructions": instr,
            "tasks": [_task_view(t) for t in await store.tasks(conn, status="open")],
            "callbacks": [_callback_view(c) for c in await store.pending_callbacks(conn, 50)],
        }
