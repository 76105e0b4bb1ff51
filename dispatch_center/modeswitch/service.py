"""Dispatch modes: switching, the schedule, suggestions, policies and what a switch changes.

The pure rules live in ``modes/``; this module loads the policy files, talks to the
store, writes the change log, publishes on the bus and keeps ``center.modes`` (an
immutable :class:`~modes.state.ModeState`) current in every worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.deadlines import Urgency, compute_deadlines
from dispatch_center.core.roles import Role
from dispatch_center.core.routing import time_limit_for
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.reference.seed import COUNTIES
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from dispatch_center.store import orders as order_store
from dispatch_center.store.changes import Change
from dispatch_center.store.orders import TimelineEntry
from modes.authority import NotAllowed, check_declare, may_declare, may_end
from modes.holidays import propose_windows
from modes.policy import RANK, EmergencyType, ModeName, ModePolicy, PolicyError, parse_policy
from modes.scope import (
    ActiveMode,
    Declaration,
    SwitchRequest,
    describe_scope,
    due_transitions,
    mode_map,
    next_transition,
    plan_switch,
)
from modes.state import ModeState
from modes.triggers import FeedEvent, Suggestion, evaluate, event_from_dict

log = logging.getLogger(__name__)

Row = dict[str, Any]

SYSTEM = Principal("system", Role.admin)
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
KEEP_ENDED = timedelta(days=1)  # ended declarations kept in memory for "since" views
SCHEDULER_TICK = 1.0
# Who withdraws a suggestion when its CAP warning ends (the feed, not a person).
CAP_SOURCE = "feed:weather_cap"
# How often each worker looks for CAP warnings that expired under a live suggestion.
WARNING_SWEEP_S = 5.0


# -- policies --------------------------------------------------------------------------------


def bundled_policy_text(mode: ModeName) -> str:
    """The policy file shipped in ``modes/policies``."""
    return (resources.files("modes.policies") / f"{mode.value}.json").read_text(encoding="utf-8")


def read_policies(
    policy_dir: Path | None,
    categories: Collection[str] | None,
    units: Collection[str] | None,
) -> dict[ModeName, ModePolicy]:
    """Parse every mode's policy: the operator's file where one exists, else the bundled one.

    Raises
    ------
    PolicyError
        For the first file that is refused (naming the file and the field).
    """
    out: dict[ModeName, ModePolicy] = {}
    for mode in ModeName:
        override = policy_dir / f"{mode.value}.json" if policy_dir else None
        if override is not None and override.is_file():
            try:
                text = override.read_text(encoding="utf-8")
            except OSError as exc:
                raise PolicyError(str(override), "(file)", str(exc)) from exc
            source = str(override)
        else:
            text, source = bundled_policy_text(mode), f"modes/policies/{mode.value}.json"
        out[mode] = parse_policy(
            text, source=source, expected_mode=mode, categories=categories, units=units
        )
    return out


def _known_codes(center: Center) -> tuple[set[str] | None, set[str] | None]:
    if center.ref is None:
        return None, None
    return set(center.reference.categories), set(center.reference.units)


def _policy_dir(center: Center) -> Path | None:
    value = getattr(center.settings, "policy_dir", None)
    return Path(value) if value else None


def load_policies_at_start(center: Center) -> dict[ModeName, ModePolicy]:
    """Policies for start-up: a refused operator file is logged and the bundled one runs."""
    categories, units = _known_codes(center)
    try:
        return read_policies(_policy_dir(center), categories, units)
    except PolicyError as exc:
        log.error("mode policy refused, running the bundled policies instead: %s", exc)
        return read_policies(None, categories, units)


async def reload_policies(center: Center, who: Principal) -> dict[str, Any]:
    """Re-read the policy files; a bad file is refused (422) and the running policies stay."""
    if who.role is not Role.admin:
        raise Forbidden("only an admin may reload the mode policies")
    categories, units = _known_codes(center)
    try:
        policies = await asyncio.to_thread(read_policies, _policy_dir(center), categories, units)
    except PolicyError as exc:
        raise Invalid(
            f"policy refused, the running policies stay: {exc}",
            fields={exc.field: exc.message},
            file=exc.source,
        ) from exc
    now = center.now()
    versions = {m.value: p.version for m, p in policies.items()}
    async with center.db.connection() as conn, conn.transaction():
        entry = await store.insert_history(
            conn,
            {
                "at": now,
                "action": "policies.reloaded",
                "actor": who.username,
                "role": who.role.value,
                "status": "applied",
                "data": {"versions": versions},
            },
        )
        change = await changes.append_change(
            conn, now, "mode.policies", str(entry["id"]), {"versions": versions}
        )
    center.modes = replace(
        center.modes, policies=policies, version=max(center.modes.version, entry["id"])
    )
    await publish_changes(center, [change])
    return policies_view(center)


def policies_view(center: Center) -> dict[str, Any]:
    """The policies in force, for the wallboard and operators."""
    return {"policies": {m.value: p.public() for m, p in center.modes.policies.items()}}


# -- state in memory -------------------------------------------------------------------------


def _declaration(row: Row) -> Declaration:
    return Declaration(
        id=int(row["id"]),
        mode=ModeName(row["mode"]),
        emergency_type=EmergencyType(row["emergency_type"]) if row["emergency_type"] else None,
        scope=frozenset(row["scope"]) if row["scope"] is not None else None,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        declared_by=row["declared_by"],
        reason=row["reason"],
        cancelled=row["cancelled_at"] is not None,
        start_applied=row["start_applied"],
        end_applied=row["end_applied"],
    )


async def refresh(center: Center, *, force: bool = False) -> bool:
    """Reload declarations when another worker changed them; return whether it did."""
    async with center.db.connection() as conn:
        latest = await store.latest_history_id(conn)
        if not force and latest <= center.modes.version:
            return False
        rows = await store.live_declarations(conn, center.now() - KEEP_ENDED)
        reloaded = False
        if not force and latest > center.modes.version:
            news = await store.history(conn, limit=50)
            reloaded = any(
                h["action"] == "policies.reloaded" and h["id"] > center.modes.version for h in news
            )
    policies = center.modes.policies
    if reloaded:
        categories, units = _known_codes(center)
        try:
            policies = await asyncio.to_thread(
                read_policies, _policy_dir(center), categories, units
            )
        except PolicyError as exc:
            log.error("policy reload seen from another worker refused here: %s", exc)
    center.modes = ModeState(
        policies=policies,
        declarations=tuple(_declaration(r) for r in rows),
        counties=center.modes.counties,
        version=latest,
    )
    return True


async def start_modes(center: Center) -> None:
    """Load the policies and declarations into ``center.modes`` (after reference data)."""
    policies = await asyncio.to_thread(load_policies_at_start, center)
    center.modes = ModeState(policies=policies, counties=tuple(sorted(COUNTIES)))
    await refresh(center, force=True)


# -- views -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return to_shanghai(value).isoformat() if value is not None else None


def _declaration_view(d: Declaration) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "mode": d.mode.value,
        "emergency_type": d.emergency_type.value if d.emergency_type else None,
        "scope": sorted(d.scope) if d.scope is not None else None,
        "scope_label": describe_scope(d.scope, COUNTIES),
        "starts_at": _iso(d.starts_at),
        "ends_at": _iso(d.ends_at),
        "by": d.declared_by,
        "reason": d.reason,
    }


def _active_view(a: ActiveMode) -> dict[str, Any]:
    d = a.declaration
    return {
        "mode": a.mode.value,
        "emergency_type": a.emergency_type.value if a.emergency_type else None,
        "declaration_id": str(d.id) if d else None,
        "since": _iso(d.starts_at) if d else None,
        "until": _iso(d.ends_at) if d else None,
        "by": d.declared_by if d else None,
    }


def mode_view(center: Center, now: datetime | None = None) -> dict[str, Any]:
    """``GET /api/v1/mode``: the headline mode plus the per-county view and the schedule."""
    now = now or center.now()
    state = center.modes
    top, where = state.headline(now)
    per = state.per_county(now)
    d = top.declaration
    since = (
        d.starts_at
        if d
        else max(
            (x.ends_at for x in state.declarations if x.ends_at is not None and x.ends_at <= now),
            default=None,
        )
    )
    policy = state.policy(top)
    upcoming = sorted(
        (x for x in state.declarations if not x.cancelled and x.starts_at > now),
        key=lambda x: (x.starts_at, x.id),
    )
    nxt = next_transition(state.declarations, now)
    return {
        "mode": top.mode.value,
        "emergency_type": top.emergency_type.value if top.emergency_type else None,
        "scope": where,
        "since": _iso(since),
        "until": _iso(d.ends_at) if d else None,
        "by": d.declared_by if d else None,
        "reason": d.reason if d else None,
        "declaration_id": str(d.id) if d else None,
        "title": {"zh": policy.title_zh, "en": policy.title_en},
        "policy_version": policy.version,
        "city_wide": _active_view(per[None]),
        "scopes": [
            {"county": c, "name": COUNTIES.get(c, c), **_active_view(a)}
            for c, a in per.items()
            if c is not None
        ],
        "in_force": [_declaration_view(x) for x in state.declarations if x.in_force(now)],
        "scheduled": [_declaration_view(x) for x in upcoming],
        "next_change": (
            {"at": _iso(nxt.at), "kind": nxt.kind, "declaration_id": str(nxt.declaration.id)}
            if nxt
            else None
        ),
        "wallboard": dict(policy.wallboard),
        "as_of": _iso(now),
    }


# -- switching -------------------------------------------------------------------------------


def _validate(center: Center, req: SwitchRequest, now: datetime) -> SwitchRequest:
    if not req.reason or not req.reason.strip():
        raise Invalid("a reason is required", fields={"reason": "required"})
    if req.mode is ModeName.emergency and req.emergency_type is None:
        raise Invalid(
            "an emergency needs its type",
            fields={"emergency_type": "flood|geohazard|public_health|major_accident|other"},
        )
    if req.mode is not ModeName.emergency and req.emergency_type is not None:
        raise Invalid(
            "only an emergency has a type", fields={"emergency_type": "only with emergency"}
        )
    if req.scope is not None:
        if not req.scope:
            raise Invalid("scope is empty: leave it out for city-wide", fields={"scope": "empty"})
        unknown = sorted(set(req.scope) - set(center.modes.counties))
        if unknown:
            raise Invalid(
                f"not counties of the city: {', '.join(unknown)}",
                fields={"scope": f"unknown adcode(s): {', '.join(unknown)}"},
            )
    for name in ("starts_at", "ends_at"):
        value = getattr(req, name)
        if value is not None and value.tzinfo is None:
            raise Invalid(f"{name} must carry a UTC offset", fields={name: "naive datetime"})
    start = max(req.starts_at or now, now)
    if req.ends_at is not None:
        if req.mode is ModeName.normal:
            raise Invalid(
                "normal has no end: it is what remains", fields={"ends_at": "not with normal"}
            )
        if req.ends_at <= start:
            raise Invalid(
                "ends_at must be after the start", fields={"ends_at": "not after starts_at"}
            )
    return replace(req, reason=req.reason.strip())


def _changed(
    before: Mapping[str | None, ActiveMode], after: Mapping[str | None, ActiveMode]
) -> set[str | None]:
    return {c for c in after if before.get(c, after[c]).key != after[c].key}


def _summary(
    before: Mapping[str | None, ActiveMode], after: Mapping[str | None, ActiveMode]
) -> dict[str, Any]:
    return {
        (c or "none"): {"from": list(before[c].key), "to": list(after[c].key)}
        for c in sorted(_changed(before, after), key=lambda x: x or "")
    }


def _top(modes: Mapping[str | None, ActiveMode], counties: Collection[str] | None) -> ActiveMode:
    picked = [a for c, a in modes.items() if counties is None or c in counties]
    return max(picked, key=lambda a: RANK[a.mode])


async def switch(
    center: Center,
    who: Principal,
    req: SwitchRequest,
    *,
    suggestion_id: int | None = None,
    authorised: bool = False,
) -> dict[str, Any]:
    """Declare, end or schedule a mode. Switching to what is already so changes nothing.

    ``authorised`` skips the role check when the policy's auto-switch made the decision.
    Returns ``{"changed": bool, "mode": <GET /mode view>, "history_id": ...}``.
    """
    now = center.now()
    req = _validate(center, req, now)
    if not authorised:
        try:
            check_declare(who.role, req.mode, req.emergency_type)
        except NotAllowed as exc:
            raise Forbidden(str(exc)) from exc

    def ender(d: Declaration) -> bool:
        return authorised or may_end(who.role, d)

    async with center.db.connection() as conn, conn.transaction():
        await store.lock_switches(conn)
        if suggestion_id is not None:
            decided = await store.decide_suggestion(
                conn, suggestion_id, "accepted", who.username, now, None
            )
            if decided is None:
                raise await _suggestion_conflict(conn, suggestion_id)
        rows = await store.live_declarations(conn, now - KEEP_ENDED)
        decls = [_declaration(r) for r in rows]
        plan = plan_switch(req, decls, now, center.modes.counties, ender)
        if plan.noop and suggestion_id is None:
            return {"changed": False, "mode": mode_view(center, now), "history_id": None}
        immediate = plan.at <= now
        before = mode_map(center.modes.counties, decls, plan.at)
        ended: dict[int, Declaration] = {}
        for d, at in plan.end:
            row = await store.end_declaration(conn, d.id, at, who.username)
            if row is not None:
                if immediate:
                    await store.claim_transition(conn, d.id, "end")
                ended[d.id] = _declaration(row)
        created: list[Declaration] = []
        for n in plan.create:
            row = await store.insert_declaration(
                conn,
                {
                    "mode": n.mode.value,
                    "emergency_type": n.emergency_type.value if n.emergency_type else None,
                    "scope": sorted(n.scope) if n.scope is not None else None,
                    "starts_at": n.starts_at,
                    "ends_at": n.ends_at,
                    "declared_by": who.username,
                    "declared_role": who.role.value,
                    "declared_at": now,
                    "reason": n.reason if n.continues is None else req.reason,
                    "continues": n.continues,
                    "suggestion_id": suggestion_id,
                    "start_applied": immediate,
                },
            )
            created.append(_declaration(row))
        after_decls = [ended.get(d.id, d) for d in decls] + created
        after = mode_map(center.modes.counties, after_decls, plan.at)
        action = (
            ("declare" if req.mode is not ModeName.normal else "end") if immediate else "schedule"
        )
        primary = next((c for c in created if c.mode is req.mode), None)
        entry = await store.insert_history(
            conn,
            {
                "at": now,
                "action": action,
                "actor": who.username,
                "role": who.role.value,
                "from_mode": _top(before, req.scope).mode.value,
                "to_mode": req.mode.value,
                "emergency_type": req.emergency_type.value if req.emergency_type else None,
                "scope": sorted(req.scope) if req.scope is not None else None,
                "reason": req.reason,
                "starts_at": plan.at,
                "ends_at": req.ends_at,
                "status": ("active" if req.mode is not ModeName.normal else "ended")
                if immediate
                else "scheduled",
                "declaration_id": primary.id if primary else None,
                "suggestion_id": suggestion_id,
                "data": {
                    "changes": _summary(before, after),
                    "ended": [str(i) for i in ended],
                    "created": [str(c.id) for c in created],
                    "noop": plan.noop,
                },
            },
        )
        if suggestion_id is not None and primary is not None:
            await store.link_suggestion(conn, suggestion_id, primary.id)
        if suggestion_id is not None:
            await store.insert_history(
                conn,
                {
                    "at": now,
                    "action": "suggestion.accepted",
                    "actor": who.username,
                    "role": who.role.value,
                    "to_mode": req.mode.value,
                    "scope": sorted(req.scope) if req.scope else None,
                    "reason": req.reason,
                    "status": "accepted",
                    "suggestion_id": suggestion_id,
                    "declaration_id": primary.id if primary else None,
                },
            )
        center.modes = ModeState(
            center.modes.policies, tuple(after_decls), center.modes.counties, center.modes.version
        )
        view = mode_view(center, now)
        change = await changes.append_change(
            conn,
            now,
            "mode.changed" if immediate else "mode.scheduled",
            str(entry["id"]),
            {"mode": view, "action": action, "actor": who.username, "history_id": str(entry["id"])},
        )
    await refresh(center, force=True)
    await publish_changes(center, [change])
    effects: dict[str, Any] = {}
    if immediate:
        effects = await apply_to_open_orders(center, who, before, after, now)
    return {
        "changed": True,
        "mode": mode_view(center),
        "history_id": str(entry["id"]),
        "orders": effects,
    }


async def cancel_scheduled(center: Center, who: Principal, declaration_id: str) -> dict[str, Any]:
    """Cancel a declaration that has not started yet."""
    try:
        did = int(declaration_id)
    except ValueError as exc:
        raise NotFound(f"no declaration {declaration_id!r}") from exc
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        await store.lock_switches(conn)
        row = await store.get_declaration(conn, did)
        if row is None:
            raise NotFound(f"no declaration {declaration_id!r}")
        d = _declaration(row)
        if not may_end(who.role, d):
            raise Forbidden(f"role {who.role.value!r} may not cancel a {d.mode.value} declaration")
        cancelled = await store.cancel_declaration(conn, did, now, who.username)
        if cancelled is None:
            raise Conflict(
                "only a declaration that has not started can be cancelled; end it instead"
            )
        entry = await store.insert_history(
            conn,
            {
                "at": now,
                "action": "cancel",
                "actor": who.username,
                "role": who.role.value,
                "to_mode": d.mode.value,
                "emergency_type": d.emergency_type.value if d.emergency_type else None,
                "scope": sorted(d.scope) if d.scope is not None else None,
                "reason": d.reason,
                "starts_at": d.starts_at,
                "ends_at": d.ends_at,
                "status": "cancelled",
                "declaration_id": did,
            },
        )
        change = await changes.append_change(
            conn, now, "mode.scheduled", str(entry["id"]), {"cancelled": str(did)}
        )
    await refresh(center, force=True)
    await publish_changes(center, [change])
    return {"cancelled": str(did), "mode": mode_view(center)}


# -- what a switch does to open orders -------------------------------------------------------


async def apply_to_open_orders(
    center: Center,
    who: Principal,
    before: Mapping[str | None, ActiveMode],
    after: Mapping[str | None, ActiveMode],
    at: datetime,
) -> dict[str, int]:
    """Tighten the deadlines the new policy names and note the switch on every other open
    order in the counties whose mode changed."""
    changed = _changed(before, after)
    if not changed:
        return {"tightened": 0, "noted": 0}
    counties = [c for c in changed if c is not None]
    async with center.db.connection() as conn:
        rows = await store.open_orders_in(conn, counties, None in changed, WORKING_STATUSES)
    ref = center.reference
    tightened = 0
    plain: list[int] = []
    for row in rows:
        county = row["county"] if row["county"] in after else None
        old, new = before[county], after[county]
        policy = center.modes.policy(new)
        label = _switch_label(old, new)
        category = row["category_code"]
        if new.mode is not ModeName.normal and policy.tightens(category):
            urgency = policy.urgency_for(Urgency(row["urgency"]), category, new.emergency_type)
            limit = time_limit_for(center.reference, new, policy, urgency, category)
            fresh = compute_deadlines(row["received_at"], limit, ref.calendar)
            respond_by = min(row["respond_by"], fresh.respond_by)
            reply_by = min(row["reply_by"], fresh.reply_by)
            if (respond_by, reply_by) != (row["respond_by"], row["reply_by"]):
                entry = TimelineEntry(
                    actor=who.username,
                    role=who.role.value,
                    action="mode_tighten",
                    at=at,
                    from_status=row["status"],
                    note=f"{label}：按{policy.title_zh}时限收紧办理时限",
                    data={
                        "mode": list(new.key),
                        "urgency_in_mode": urgency.value,
                        "respond_by": _iso(respond_by),
                        "reply_by": _iso(reply_by),
                        "was": {
                            "respond_by": _iso(row["respond_by"]),
                            "reply_by": _iso(row["reply_by"]),
                        },
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
                if moved is not None:
                    tightened += 1
                    await publish_changes(center, [moved])
                    continue
        plain.append(row["id"])
    noted = 0
    by_label: dict[str, list[int]] = {}
    index = {r["id"]: r for r in rows}
    for oid in plain:
        county = index[oid]["county"] if index[oid]["county"] in after else None
        by_label.setdefault(_switch_label(before[county], after[county]), []).append(oid)
    async with center.db.connection() as conn:
        for label, ids in by_label.items():
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
    return {"tightened": tightened, "noted": noted}


def _switch_label(old: ActiveMode, new: ActiveMode) -> str:
    names = {"normal": "常规", "holiday": "假日", "emergency": "应急"}

    def one(a: ActiveMode) -> str:
        return names[a.mode.value] + (f"（{a.emergency_type.value}）" if a.emergency_type else "")

    return f"调度模式由{one(old)}切换为{one(new)}"


# -- the schedule ----------------------------------------------------------------------------


async def run_due(center: Center) -> int:
    """Apply the starts and ends whose time has come; each exactly once across workers."""
    await refresh(center)
    now = center.now()
    due = due_transitions(center.modes.declarations, now)
    if not due:
        return 0
    applied = 0
    groups: dict[datetime, list[Any]] = {}
    for t in due:
        groups.setdefault(t.at, []).append(t)
    for at, transitions in sorted(groups.items()):
        decls = list(center.modes.declarations)
        before = mode_map(center.modes.counties, decls, at - timedelta(microseconds=1))
        after = mode_map(center.modes.counties, decls, at)
        async with center.db.connection() as conn, conn.transaction():
            claimed = []
            for t in transitions:
                row = await store.claim_transition(conn, t.declaration.id, t.kind)
                if row is None:
                    continue
                claimed.append(t)
                d = t.declaration
                entry = await store.insert_history(
                    conn,
                    {
                        "at": now,
                        "action": t.kind,
                        "actor": "scheduler",
                        "role": "system",
                        "from_mode": _top(before, d.scope).mode.value,
                        "to_mode": d.mode.value if t.kind == "start" else ModeName.normal.value,
                        "emergency_type": d.emergency_type.value if d.emergency_type else None,
                        "scope": sorted(d.scope) if d.scope is not None else None,
                        "reason": d.reason,
                        "starts_at": d.starts_at,
                        "ends_at": d.ends_at,
                        "status": "active" if t.kind == "start" else "ended",
                        "declaration_id": d.id,
                        "data": {"changes": _summary(before, after), "scheduled_at": _iso(t.at)},
                    },
                )
            if not claimed:
                continue
            change = await changes.append_change(
                conn,
                now,
                "mode.changed",
                str(entry["id"]),
                {
                    "mode": mode_view(center, now),
                    "action": "scheduled",
                    "actor": "scheduler",
                    "history_id": str(entry["id"]),
                },
            )
        applied += len(claimed)
        await refresh(center, force=True)
        await publish_changes(center, [change])
        await apply_to_open_orders(center, Principal("scheduler", Role.admin), before, after, now)
    return applied


class ModeScheduler(BackgroundLoop):
    """Starts and ends scheduled modes on time and keeps this worker's modes current.

    Every worker runs one; the database flag each transition flips makes sure only one
    of them applies it.
    """

    name = "mode scheduler"

    def __init__(self, center: Center, tick: float = SCHEDULER_TICK) -> None:
        super().__init__()
        self.center = center
        self.tick = tick
        self.retry_after = tick
        self.last_run_at: datetime | None = None
        self.last_sweep_at: datetime | None = None

    async def step(self) -> float:
        """Apply what is due; sleep until the next transition or the tick."""
        await run_due(self.center)
        now = self.center.now()
        if self.last_sweep_at is None or (now - self.last_sweep_at).total_seconds() >= (
            WARNING_SWEEP_S
        ):
            self.last_sweep_at = now
            await end_expired_warnings(self.center)
        self.last_run_at = self.center.now()
        nxt = next_transition(self.center.modes.declarations, self.center.now())
        if nxt is None:
            return self.tick
        return min(self.tick, max(0.01, (nxt.at - self.center.now()).total_seconds()))


# -- suggestions -----------------------------------------------------------------------------


def _suggestion_view(row: Row) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "dedupe_key": row["dedupe_key"],
        "mode": row["mode"],
        "emergency_type": row["emergency_type"],
        "scope": list(row["scope"]),
        "scope_label": describe_scope(row["scope"], COUNTIES),
        "reason": row["reason"],
        "evidence": row["evidence"],
        "status": row["status"],
        "raised_at": _iso(row["raised_at"]),
        "seen_count": row["seen_count"],
        "last_seen_at": _iso(row["last_seen_at"]),
        "decided_at": _iso(row["decided_at"]),
        "decided_by": row["decided_by"],
        "decision_note": row["decision_note"],
        "declaration_id": str(row["declaration_id"]) if row["declaration_id"] else None,
        "sources": list(row.get("sources") or []),
        "condition_ended_at": _iso(row.get("condition_ended_at")),
        "condition_note": row.get("condition_note"),
    }


async def submit_trigger(
    center: Center, event: FeedEvent | Mapping[str, Any]
) -> dict[str, Any] | None:
    """The feeds' entry point: evaluate a feed event and raise (or re-sight) a suggestion.

    Returns the suggestion's view (``"created"`` says whether it is new), or ``None``
    when the event suggests nothing or the mode is already in force there. Where the
    policy in force lists the trigger under ``auto_switch``, the switch is made at once.
    """
    if isinstance(event, Mapping):
        try:
            event = event_from_dict(event)
        except ValueError as exc:
            raise Invalid(str(exc), fields={"kind": str(exc)}) from exc
    now = center.now()
    state = center.modes
    county = getattr(event, "county", None)
    policy = state.policy(state.active(county, now))
    suggestion = evaluate(event, policy.alert_thresholds, state.counties)
    if suggestion is None or _already(state, suggestion, now):
        return None
    async with center.db.connection() as conn, conn.transaction():
        row, created = await store.raise_suggestion(
            conn,
            {
                "kind": suggestion.kind.value,
                "dedupe_key": suggestion.dedupe_key,
                "mode": suggestion.mode.value,
                "emergency_type": suggestion.emergency_type.value
                if suggestion.emergency_type
                else None,
                "scope": list(suggestion.scope),
                "reason": suggestion.reason,
                "evidence": dict(suggestion.evidence),
                "source": suggestion.source,
            },
            now,
        )
        change: Change | None = None
        if created:
            await store.insert_history(
                conn,
                {
                    "at": now,
                    "action": "suggestion.raised",
                    "actor": f"trigger:{suggestion.kind.value}",
                    "role": "system",
                    "to_mode": suggestion.mode.value,
                    "emergency_type": row["emergency_type"],
                    "scope": list(suggestion.scope),
                    "reason": suggestion.reason,
                    "status": "open",
                    "suggestion_id": row["id"],
                },
            )
            change = await changes.append_change(
                conn, now, "mode.suggestion", str(row["id"]), {"suggestion": _suggestion_view(row)}
            )
    await publish_changes(center, [change])
    view = {**_suggestion_view(row), "created": created}
    if created and suggestion.kind in policy.auto_switch:
        result = await accept_suggestion(
            center, SYSTEM, str(row["id"]), note="auto_switch", authorised=True
        )
        view = {**result["suggestion"], "created": True, "auto_switched": True}
    return view


async def end_condition(center: Center, source: str, *, by: str, why: str) -> list[dict[str, Any]]:
    """A feed condition ended (a CAP Cancel, an Update below the threshold, an expiry).

    An open suggestion it alone held up is withdrawn, so the wall stops offering it; an
    accepted one is not reverted (people decided, and the mode stays until a person ends
    it) but records that its warning ended, and the wall's ticker says so. Each goes into
    the suggestions' history with ``by`` as the actor and into the change log. Safe to call
    again or on several workers: only the call that removes ``source`` acts on a row.

    Examples
    --------
    ``await end_condition(center, "cap:sender,ALERT-1", by="feed:weather_cap",
    why="预警已解除")`` → the views of the suggestions withdrawn or marked.
    """
    now = center.now()
    done: list[tuple[Row, Row, Change]] = []
    async with center.db.connection() as conn, conn.transaction():
        for row in await store.end_condition(conn, source, now, by, why):
            if row["sources"]:  # another warning over the same counties still holds it
                continue
            withdrawn = row["status"] == "withdrawn"
            entry = await store.insert_history(
                conn,
                {
                    "at": now,
                    "action": "suggestion.withdrawn" if withdrawn else "suggestion.condition_ended",
                    "actor": by,
                    "role": "system",
                    "to_mode": row["mode"],
                    "emergency_type": row["emergency_type"],
                    "scope": list(row["scope"]),
                    "reason": why,
                    "status": row["status"],
                    "suggestion_id": row["id"],
                    "data": {"source": source},
                },
            )
            view = _suggestion_view(row)
            label = "建议已撤回" if withdrawn else "已采纳的模式保持，请值班领导决定是否结束"
            change = await changes.append_change(
                conn,
                now,
                "mode.suggestion",
                str(row["id"]),
                {"suggestion": view, "notice": f"{why}（{label}）", "actor": by},
            )
            done.append((row, entry, change))
    for _row, entry, change in done:
        center.modes = replace(center.modes, version=max(center.modes.version, entry["id"]))
        await publish_changes(center, [change])
    return [_suggestion_view(row) for row, _, _ in done]


async def end_expired_warnings(center: Center) -> int:
    """Withdraw (or mark) suggestions whose CAP warning expired or is no longer current."""
    async with center.db.connection() as conn:
        ended = await store.expired_cap_sources(conn, center.now())
    n = 0
    now = center.now()
    for r in ended:
        expired = r["expires"] is not None and r["expires"] <= now
        why = f"预警已过期（{_iso(r['expires'])}）" if expired else "预警已不再生效"
        n += len(await end_condition(center, r["source"], by=CAP_SOURCE, why=why))
    return n


def _already(state: ModeState, s: Suggestion, now: datetime) -> bool:
    # A suggestion to do what is already so would only be noise on the wall.
    for county in s.scope:
        a = state.active(county, now)
        if RANK[a.mode] < RANK[s.mode] or (
            a.mode is s.mode and a.emergency_type != s.emergency_type
        ):
            return False
    return True


def _suggestion_id(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise NotFound(f"no suggestion {value!r}") from exc


async def _suggestion_conflict(conn: Any, sid: int) -> Exception:
    row = await store.get_suggestion(conn, sid)
    if row is None:
        return NotFound(f"no suggestion {sid}")
    return Conflict(
        f"suggestion {sid} was already {row['status']} by {row['decided_by']}",
        current_status=row["status"],
        changed_by=row["decided_by"],
    )


async def accept_suggestion(
    center: Center,
    who: Principal,
    suggestion_id: str,
    note: str | None = None,
    *,
    authorised: bool = False,
) -> dict[str, Any]:
    """One click: switch as suggested and record who accepted it."""
    sid = _suggestion_id(suggestion_id)
    async with center.db.connection() as conn:
        row = await store.get_suggestion(conn, sid)
    if row is None:
        raise NotFound(f"no suggestion {suggestion_id!r}")
    mode = ModeName(row["mode"])
    etype = EmergencyType(row["emergency_type"]) if row["emergency_type"] else None
    if not authorised and not may_declare(who.role, mode, etype):
        raise Forbidden(f"role {who.role.value!r} may not switch to {mode.value}")
    reason = f"采纳建议#{sid}：{row['reason']}" + (f"（{note}）" if note else "")
    req = SwitchRequest(mode, reason, etype, frozenset(row["scope"]))
    result = await switch(center, who, req, suggestion_id=sid, authorised=authorised)
    async with center.db.connection() as conn:
        fresh = await store.get_suggestion(conn, sid)
    assert fresh is not None
    return {"suggestion": _suggestion_view(fresh), **result}


async def dismiss_suggestion(
    center: Center, who: Principal, suggestion_id: str, note: str | None = None
) -> dict[str, Any]:
    """One click: dismiss, recorded with who and why."""
    sid = _suggestion_id(suggestion_id)
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        row = await store.get_suggestion(conn, sid)
        if row is None:
            raise NotFound(f"no suggestion {suggestion_id!r}")
        etype = EmergencyType(row["emergency_type"]) if row["emergency_type"] else None
        if not may_declare(who.role, ModeName(row["mode"]), etype):
            raise Forbidden(f"role {who.role.value!r} may not decide a {row['mode']} suggestion")
        decided = await store.decide_suggestion(conn, sid, "dismissed", who.username, now, note)
        if decided is None:
            raise await _suggestion_conflict(conn, sid)
        entry = await store.insert_history(
            conn,
            {
                "at": now,
                "action": "suggestion.dismissed",
                "actor": who.username,
                "role": who.role.value,
                "to_mode": row["mode"],
                "emergency_type": row["emergency_type"],
                "scope": list(row["scope"]),
                "reason": note or row["reason"],
                "status": "dismissed",
                "suggestion_id": sid,
            },
        )
        change = await changes.append_change(
            conn, now, "mode.suggestion", str(sid), {"suggestion": _suggestion_view(decided)}
        )
    center.modes = replace(center.modes, version=max(center.modes.version, entry["id"]))
    await publish_changes(center, [change])
    return {"suggestion": _suggestion_view(decided)}


async def list_suggestions(center: Center, status: str | None) -> dict[str, Any]:
    """Suggestions, newest first."""
    async with center.db.connection() as conn:
        rows = await store.list_suggestions(conn, status)
    return {"suggestions": [_suggestion_view(r) for r in rows]}


# -- history, schedule and holiday windows ---------------------------------------------------


def _history_view(row: Row) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "at": _iso(row["at"]),
        "action": row["action"],
        "by": row["actor"],
        "role": row["role"],
        "from": row["from_mode"],
        "to": row["to_mode"],
        "emergency_type": row["emergency_type"],
        "scope": row["scope"],
        "reason": row["reason"],
        "starts_at": _iso(row["starts_at"]),
        "ends_at": _iso(row["ends_at"]),
        "status": row["status"],
        "declaration_id": str(row["declaration_id"]) if row["declaration_id"] else None,
        "suggestion_id": str(row["suggestion_id"]) if row["suggestion_id"] else None,
        "data": row["data"],
    }


async def history(center: Center, limit: int = 100, before_id: int | None = None) -> dict[str, Any]:
    """The append-only history, newest first."""
    async with center.db.connection() as conn:
        rows = await store.history(conn, limit=limit, before_id=before_id)
    return {
        "history": [_history_view(r) for r in rows],
        "next_before_id": str(rows[-1]["id"]) if len(rows) == limit else None,
    }


def schedule_view(center: Center) -> dict[str, Any]:
    """Declarations in force or still to start, and the next transition."""
    now = center.now()
    view = mode_view(center, now)
    return {
        "in_force": view["in_force"],
        "scheduled": view["scheduled"],
        "next_change": view["next_change"],
    }


def holiday_windows(center: Center, start: date | None = None, days: int = 366) -> dict[str, Any]:
    """Holiday-mode windows proposed from the statutory calendar, with whether each is
    already scheduled."""
    start = start or center.today()
    windows = propose_windows(center.reference.calendar, start, start + timedelta(days=days))
    decls = [d for d in center.modes.declarations if d.mode is ModeName.holiday and not d.cancelled]
    out = []
    for w in windows:
        match = next(
            (
                d
                for d in decls
                if d.starts_at <= w.starts_at and (d.ends_at or w.ends_at) >= w.ends_at
            ),
            None,
        )
        out.append(
            {
                "key": w.key,
                "name": w.name,
                "name_zh": w.name_zh,
                "first_day": w.first_day.isoformat(),
                "last_day": w.last_day.isoformat(),
                "starts_at": _iso(w.starts_at),
                "ends_at": _iso(w.ends_at),
                "scheduled": match is not None,
                "declaration_id": str(match.id) if match else None,
            }
        )
    covered = sorted(center.reference.calendar.covered_years)
    return {"windows": out, "calendar_covers": [covered[0], covered[-1]] if covered else None}


async def confirm_holiday_window(
    center: Center, who: Principal, key: str, reason: str | None = None
) -> dict[str, Any]:
    """Schedule holiday mode (city-wide) for a proposed window: the holiday HQ confirms."""
    proposals = {w["key"]: w for w in holiday_windows(center)["windows"]}
    if key not in proposals:
        raise NotFound(f"no proposed holiday window {key!r}")
    w = proposals[key]
    req = SwitchRequest(
        ModeName.holiday,
        reason or f"{w['name_zh']}假日调度（法定节假日 {w['first_day']}至{w['last_day']}）",
        None,
        None,
        datetime.fromisoformat(w["starts_at"]),
        datetime.fromisoformat(w["ends_at"]),
    )
    return await switch(center, who, req)
