"""Switching the mode: now, on a schedule, or cancelling a switch that has not started.

A switch goes in steps: validate the request; under the switch lock, plan the new
declarations on the ones the database holds; write the declarations, the history and the
change log in one transaction; only after the commit install the new state in this worker
and announce it; then apply it to the open orders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.modeswitch.common import (
    KEEP_ENDED,
    Modes,
    Row,
    change_summary,
    declaration_of,
    suggestion_conflict,
    top_mode,
)
from dispatch_center.modeswitch.effects import apply_to_open_orders
from dispatch_center.modeswitch.state import after_commit, mode_view, state_view
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from dispatch_center.store.changes import Change
from dispatch_center.store.modes import Conn
from modes.authority import NotAllowed, check_declare, may_end
from modes.policy import ModeName
from modes.scope import Declaration, SwitchPlan, SwitchRequest, mode_map, plan_switch


def validate(center: Center, req: SwitchRequest, now: datetime) -> SwitchRequest:
    """The request with its reason trimmed, or :class:`Invalid` naming the field at fault."""
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


@dataclass(frozen=True)
class _Draft:
    """A validated, planned switch, as its transaction writes it."""

    who: Principal
    req: SwitchRequest
    plan: SwitchPlan
    now: datetime
    suggestion_id: int | None

    @property
    def immediate(self) -> bool:
        return self.plan.at <= self.now

    @property
    def action(self) -> str:
        if not self.immediate:
            return "schedule"
        return "declare" if self.req.mode is not ModeName.normal else "end"

    @property
    def status(self) -> str:
        if not self.immediate:
            return "scheduled"
        return "active" if self.req.mode is not ModeName.normal else "ended"


@dataclass(frozen=True)
class _Written:
    """What the transaction wrote, for the steps after the commit."""

    entry: Row
    change: Change
    declarations: tuple[Declaration, ...]
    before: Modes
    after: Modes


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
    req = validate(center, req, now)
    if not authorised:
        _check_role(who, req)
    async with center.db.connection() as conn, conn.transaction():
        await store.lock_switches(conn)
        if suggestion_id is not None:
            await _take_suggestion(conn, suggestion_id, who, now)
        decls = [declaration_of(r) for r in await store.live_declarations(conn, now - KEEP_ENDED)]
        plan = plan_switch(req, decls, now, center.modes.counties, _ender(who, authorised))
        if plan.noop and suggestion_id is None:
            return {"changed": False, "mode": mode_view(center, now), "history_id": None}
        draft = _Draft(who, req, plan, now, suggestion_id)
        written = await _write(conn, center, draft, decls)
    await after_commit(center, written.change, written.declarations)
    effects: dict[str, Any] = {}
    if draft.immediate:
        effects = await apply_to_open_orders(center, who, written.before, written.after, now)
    return {
        "changed": True,
        "mode": mode_view(center),
        "history_id": str(written.entry["id"]),
        "orders": effects,
    }


def _check_role(who: Principal, req: SwitchRequest) -> None:
    """Raise :class:`Forbidden` unless ``who`` may declare what ``req`` asks."""
    try:
        check_declare(who.role, req.mode, req.emergency_type)
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from exc


def _ender(who: Principal, authorised: bool) -> Callable[[Declaration], bool]:
    """Whether the switch may end a declaration in its way."""

    def ender(d: Declaration) -> bool:
        return authorised or may_end(who.role, d)

    return ender


async def _take_suggestion(conn: Conn, sid: int, who: Principal, now: datetime) -> None:
    """Mark the suggestion accepted, or raise when someone decided it first."""
    decided = await store.decide_suggestion(conn, sid, "accepted", who.username, now, None)
    if decided is None:
        raise await suggestion_conflict(conn, sid)


async def _write(conn: Conn, center: Center, draft: _Draft, decls: list[Declaration]) -> _Written:
    """Write the planned switch: declarations ended and made, history, change log."""
    counties = center.modes.counties
    before = mode_map(counties, decls, draft.plan.at)
    ended = await _end_declarations(conn, draft)
    created = await _create_declarations(conn, draft)
    declarations = tuple([ended.get(d.id, d) for d in decls] + created)
    after = mode_map(counties, declarations, draft.plan.at)
    primary = next((c for c in created if c.mode is draft.req.mode), None)
    entry = await _record(conn, draft, before, after, ended, created, primary)
    if draft.suggestion_id is not None:
        await _record_acceptance(conn, draft, draft.suggestion_id, primary)
    # The new state's view, built without installing it: that waits for the commit.
    view = state_view(replace(center.modes, declarations=declarations), draft.now)
    change = await changes.append_change(
        conn,
        draft.now,
        "mode.changed" if draft.immediate else "mode.scheduled",
        str(entry["id"]),
        {
            "mode": view,
            "action": draft.action,
            "actor": draft.who.username,
            "history_id": str(entry["id"]),
        },
    )
    return _Written(entry, change, declarations, before, after)


async def _end_declarations(conn: Conn, draft: _Draft) -> dict[int, Declaration]:
    """End the declarations the plan ends; the ended ones by id."""
    ended: dict[int, Declaration] = {}
    for d, at in draft.plan.end:
        row = await store.end_declaration(conn, d.id, at, draft.who.username)
        if row is not None:
            if draft.immediate:
                await store.claim_transition(conn, d.id, "end")
            ended[d.id] = declaration_of(row)
    return ended


async def _create_declarations(conn: Conn, draft: _Draft) -> list[Declaration]:
    """Insert the declarations the plan makes."""
    created: list[Declaration] = []
    for n in draft.plan.create:
        row = await store.insert_declaration(
            conn,
            {
                "mode": n.mode.value,
                "emergency_type": n.emergency_type.value if n.emergency_type else None,
                "scope": sorted(n.scope) if n.scope is not None else None,
                "starts_at": n.starts_at,
                "ends_at": n.ends_at,
                "declared_by": draft.who.username,
                "declared_role": draft.who.role.value,
                "declared_at": draft.now,
                "reason": n.reason if n.continues is None else draft.req.reason,
                "continues": n.continues,
                "suggestion_id": draft.suggestion_id,
                "start_applied": draft.immediate,
            },
        )
        created.append(declaration_of(row))
    return created


async def _record(
    conn: Conn,
    draft: _Draft,
    before: Modes,
    after: Modes,
    ended: Mapping[int, Declaration],
    created: list[Declaration],
    primary: Declaration | None,
) -> Row:
    """The switch's history entry."""
    req = draft.req
    return await store.insert_history(
        conn,
        {
            "at": draft.now,
            "action": draft.action,
            "actor": draft.who.username,
            "role": draft.who.role.value,
            "from_mode": top_mode(before, req.scope).mode.value,
            "to_mode": req.mode.value,
            "emergency_type": req.emergency_type.value if req.emergency_type else None,
            "scope": sorted(req.scope) if req.scope is not None else None,
            "reason": req.reason,
            "starts_at": draft.plan.at,
            "ends_at": req.ends_at,
            "status": draft.status,
            "declaration_id": primary.id if primary else None,
            "suggestion_id": draft.suggestion_id,
            "data": {
                "changes": change_summary(before, after),
                "ended": [str(i) for i in ended],
                "created": [str(c.id) for c in created],
                "noop": draft.plan.noop,
            },
        },
    )


async def _record_acceptance(
    conn: Conn, draft: _Draft, sid: int, primary: Declaration | None
) -> None:
    """Link the accepted suggestion to its declaration and note the acceptance."""
    if primary is not None:
        await store.link_suggestion(conn, sid, primary.id)
    req = draft.req
    await store.insert_history(
        conn,
        {
            "at": draft.now,
            "action": "suggestion.accepted",
            "actor": draft.who.username,
            "role": draft.who.role.value,
            "to_mode": req.mode.value,
            "scope": sorted(req.scope) if req.scope else None,
            "reason": req.reason,
            "status": "accepted",
            "suggestion_id": sid,
            "declaration_id": primary.id if primary else None,
        },
    )


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
        d = declaration_of(row)
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
    await after_commit(center, change)
    return {"cancelled": str(did), "mode": mode_view(center)}
