"""What the leader's console (``/leader``) reads: the open orders past or near their reply
deadline by unit and tier with the supervision already on them, a person's day (what waits
for their 批示 or signature, what they asked for and whether it is done), the follow-up
list of session instructions (overdue first), and signing a closed session's minutes.

Why the old console said 暂无 in normal mode while orders were overdue: a leader's and a
duty officer's panels listed only sessions, instructions and tasks, which exist once a
session has been held (in practice in an emergency); overdue orders reached only the
handling unit's reminder list. The board reads the orders themselves.
"""

from __future__ import annotations

from datetime import datetime

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import supervision as sv
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.errors import Conflict, NotFound, parse_id
from dispatch_center.store.supervision import board as store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.supervision.common import (
    INSTRUCTING,
    SESSION_RUNNERS,
    WORKING,
    Row,
    iso,
    need,
    policy_for,
)

#: How far ahead the board looks for orders at risk: the widest due-soon window of any
#: mode is applied per order below; this bounds the query.
HORIZON_MINUTES = 3 * 24 * 60
SIGNERS = INSTRUCTING | SESSION_RUNNERS
_LEVEL_BY_RANK = {1: sv.SupervisionLevel.urge, 2: sv.SupervisionLevel.supervise}
_LEVEL_BY_RANK[3] = sv.SupervisionLevel.listed
_DONE_ORDER = frozenset(s.value for s in lc.Status if s not in lc.OPEN_UNREPLIED)


def _thresholds(center: Center, row: Row) -> sv.ReminderThresholds:
    try:
        return sv.ReminderThresholds.from_policy(policy_for(center, row).escalation)
    except Exception:  # a bare center with no modes loaded: the defaults
        return sv.ReminderThresholds()


def late_minutes(reply_by: datetime, now: datetime) -> int:
    """Minutes past the reply deadline (negative: minutes left).

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> due = datetime(2026, 12, 5, 18, 0, tzinfo=SHANGHAI)
    >>> late_minutes(due, datetime(2026, 12, 5, 19, 30, tzinfo=SHANGHAI))
    90
    """
    return int((to_shanghai(now) - to_shanghai(reply_by)).total_seconds() // 60)


def board_item(center: Center, row: Row, now: datetime) -> Row | None:
    """One order on the board, or None when it is neither overdue nor at risk under the
    mode in force where it is.
    """
    t = _thresholds(center, row)
    late = late_minutes(row["reply_by"], now)
    if late < 0 and -late > t.due_soon_minutes:
        return None
    units = center.reference.units
    unit = units.get(row["assigned_unit"] or "") or {}
    county = units.get(row["county_code"] or "") or {}
    level = _LEVEL_BY_RANK.get(int(row["so_rank"] or 0))
    top = int(row["top_rank"] or 0)
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "description": row["description"],
        "category": (center.reference.categories.get(row["category_code"] or "") or {}).get(
            "name_zh"
        ),
        "urgency": row["urgency"],
        "status": row["status"],
        "status_label": lc.STATUS_LABELS_ZH[lc.Status(row["status"])],
        "unit": {"code": row["assigned_unit"], "name": unit.get("name")}
        if row["assigned_unit"]
        else None,
        "tier": unit.get("tier"),
        "county": county.get("name"),
        "reply_by": iso(row["reply_by"]),
        "state": "overdue" if late > 0 else "at_risk",
        "late_minutes": late,
        "escalate_after_minutes": t.overdue_escalate_minutes,
        "level": level.value if level else None,
        "level_label": sv.LEVEL_LABELS_ZH[level] if level else None,
        "open_supervision_orders": int(row["so_open"] or 0),
        "top_step": sv.LADDER[top - 1].step.value if top else None,
        "top_step_label": sv.LADDER[top - 1].label_zh if top else None,
        "next_steps": [s.value for s in sv.next_steps([sv.LADDER[top - 1].step] if top else [])],
        "version": row["version"],
    }


def by_unit(items: list[Row]) -> list[Row]:
    """The board's figures per unit: overdue and at-risk counts, worst lateness first.

    Examples
    --------
    >>> by_unit([{"unit": {"code": "a", "name": "A"}, "tier": 2, "state": "overdue",
    ...           "late_minutes": 30}, {"unit": None, "tier": None, "state": "at_risk",
    ...           "late_minutes": -20}])[0]["overdue"]
    1
    """
    out: dict[str, Row] = {}
    for it in items:
        code = (it["unit"] or {}).get("code") or ""
        u = out.setdefault(
            code,
            {
                "code": code or None,
                "name": (it["unit"] or {}).get("name"),
                "tier": it["tier"],
                "overdue": 0,
                "at_risk": 0,
                "worst_late_minutes": it["late_minutes"],
            },
        )
        u[it["state"]] += 1
        u["worst_late_minutes"] = max(u["worst_late_minutes"], it["late_minutes"])
    return sorted(out.values(), key=lambda u: (-u["overdue"], -u["worst_late_minutes"]))


async def board(center: Center, who: Principal) -> Row:
    """The overdue and at-risk orders ``who`` may see (a handler: its units'), by unit."""
    now = center.now()
    async with center.db.connection() as conn:
        rows = await store.at_risk_orders(
            conn, WORKING, now, HORIZON_MINUTES, reading_scope(center, who)
        )
    items = [i for i in (board_item(center, r, now) for r in rows) if i is not None]
    items.sort(key=lambda i: -i["late_minutes"])
    return {
        "at": iso(now),
        "overdue": sum(1 for i in items if i["state"] == "overdue"),
        "at_risk": sum(1 for i in items if i["state"] == "at_risk"),
        "orders": items,
        "units": by_unit(items),
    }


def instruction_state(r: Row, now: datetime) -> str:
    """How an instruction stands: ``done`` (its task done, or its work order answered),
    ``overdue`` (past its due time and not done) or ``open``.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> now = datetime(2026, 12, 5, 12, 0, tzinfo=SHANGHAI)
    >>> instruction_state({"task_status": "open", "order_status": None,
    ...                    "due": datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI)}, now)
    'overdue'
    >>> instruction_state({"task_status": None, "order_status": "replied", "due": None}, now)
    'done'
    """
    if r.get("task_status") in ("done", "cancelled") or r.get("order_status") in _DONE_ORDER:
        return "done"
    if r.get("due") is not None and r["due"] < now:
        return "overdue"
    return "open"


def _instruction(r: Row, now: datetime) -> Row:
    return {
        "id": str(r["id"]),
        "session_id": str(r["session_id"]),
        "topic": r["topic"],
        "text": r["text"],
        "owner": r["owner"],
        "due": iso(r["due"]),
        "issued_by": r["issued_by"],
        "issued_at": iso(r["issued_at"]),
        "state": instruction_state(r, now),
        "task": (
            {"id": str(r["task_id"]), "status": r["task_status"], "result": r["task_result"]}
            if r["task_id"]
            else None
        ),
        "order": (
            {"id": str(r["order_id"]), "number": r["order_number"], "status": r["order_status"]}
            if r["order_id"]
            else None
        ),
    }


def _owned_by(who: Principal, center: Center, owner: str) -> bool:
    scope = reading_scope(center, who)
    if scope.units is None:
        return True
    names = {who.username, *(scope.units or ())}
    names |= {(center.reference.units.get(u) or {}).get("name") or u for u in scope.units}
    return owner in names


async def followups(center: Center, who: Principal) -> list[Row]:
    """Session instructions and how each is carried out: overdue first, then by due time,
    done last. A handler sees the ones its unit (or itself) owns.
    """
    now = center.now()
    async with center.db.connection() as conn:
        rows = await store.all_instructions(conn)
    items = [_instruction(r, now) for r in rows if _owned_by(who, center, r["owner"])]
    order = {"overdue": 0, "open": 1, "done": 2}
    items.sort(key=lambda i: (order[i["state"]], i["due"] or "9999"))
    return items


async def my_day(center: Center, who: Principal) -> Row:
    """A leader's (or duty officer's) day: orders that wait for a 批示 (挂牌督办, or overdue
    past the escalation threshold, with no 领导研究 yet), minutes waiting for a signature,
    and what ``who`` asked for (批示, 督办单, instructions) with whether each is done.
    """
    now = center.now()
    whole = await board(center, who)
    async with center.db.connection() as conn:
        candidates = [
            o
            for o in whole["orders"]
            if o["level"] == "listed"
            or (o["state"] == "overdue" and o["late_minutes"] >= o["escalate_after_minutes"])
        ]
        studied = await store.leader_steps_on(conn, [int(o["id"]) for o in candidates])
        waiting = [o for o in candidates if int(o["id"]) not in studied]
        unsigned = await store.unsigned_minutes(conn) if who.role in SIGNERS else []
        steps = await store.steps_by(conn, who.username, sv.EscalationStep.leader_study.value)
        issued = await store.supervision_orders_issued_by(conn, who.username)
        mine = [r for r in await store.all_instructions(conn) if r["issued_by"] == who.username]
    return {
        "at": iso(now),
        "needs_instruction": waiting,
        "unsigned_minutes": [
            {
                "id": str(s["id"]),
                "topic": s["topic"],
                "closed_at": iso(s["closed_at"]),
                "closed_by": s["closed_by"],
            }
            for s in unsigned
        ],
        "instructions_given": [
            {
                "order_id": str(s["order_id"]),
                "number": s["number"],
                "at": iso(s["at"]),
                "text": (s["data"].get("details") or {}).get("instruction"),
                "status": s["status"],
                "status_label": lc.STATUS_LABELS_ZH[lc.Status(s["status"])],
                "done": s["status"] in _DONE_ORDER,
            }
            for s in steps
        ],
        "supervision_orders": [
            {
                "id": str(s["id"]),
                "order_id": str(s["order_id"]),
                "number": s["number"],
                "level": s["level"],
                "level_label": sv.LEVEL_LABELS_ZH[sv.SupervisionLevel(s["level"])],
                "requirement": s["requirement"],
                "answer_by": iso(s["answer_by"]),
                "answered": s["status"] == "answered",
                "answer": s["answer"],
                "overdue": s["status"] != "answered" and s["answer_by"] < now,
            }
            for s in issued
        ],
        "session_instructions": [_instruction(r, now) for r in mine],
    }


async def sign_minutes(center: Center, who: Principal, session_id: str) -> Row:
    """Sign (签发) the minutes of a closed session, once: 409 while it is open or when
    someone signed already (saying who).
    """
    need(who, SIGNERS, "sign minutes")
    sid = parse_id(session_id, "session")
    now = center.now()
    async with center.db.connection() as conn:
        s = await session_store.get_session(conn, sid)
        if s is None:
            raise NotFound(f"no session {session_id!r}")
        if s["status"] != "closed":
            raise Conflict("close the session before signing its minutes", status=s["status"])
        row = await store.sign_minutes(conn, sid, who.username, now)
        if row is None:
            fresh = await session_store.get_session(conn, sid) or s
            raise Conflict(
                f"the minutes were signed by {fresh.get('minutes_signed_by')} already",
                signed_by=fresh.get("minutes_signed_by"),
                signed_at=iso(fresh.get("minutes_signed_at")),
            )
    await publish_changes(center, [row])
    return {
        "session_id": str(sid),
        "signed_by": row["minutes_signed_by"],
        "signed_at": iso(row["minutes_signed_at"]),
    }


__all__ = [
    "board",
    "by_unit",
    "followups",
    "instruction_state",
    "late_minutes",
    "my_day",
    "sign_minutes",
]
