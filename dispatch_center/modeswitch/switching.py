"""Switching the mode: now, on a schedule, or cancelling a switch that has not started.

A switch goes in steps: validate the request; under the switch lock, plan the new
declarations on the ones the database holds; write the declarations, the history and the
change log in one transaction; only after the commit install the new state in this worker
and announce it; then apply it to the open orders.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.modeswitch.common import (
    KEEP_ENDED,
    change_summary,
    declaration_of,
    suggestion_conflict,
    top_mode,
)
from dispatch_center.modeswitch.effects import apply_to_open_orders
from dispatch_center.modeswitch.state import after_commit, mode_view, state_view
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from modes.authority import NotAllowed, check_declare, may_end
from modes.policy import ModeName
from modes.scope import Declaration, SwitchRequest, mode_map, plan_switch


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
                raise await suggestion_conflict(conn, suggestion_id)
        rows = await store.live_declarations(conn, now - KEEP_ENDED)
        decls = [declaration_of(r) for r in rows]
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
                ended[d.id] = declaration_of(row)
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
            created.append(declaration_of(row))
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
                "from_mode": top_mode(before, req.scope).mode.value,
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
                    "changes": change_summary(before, after),
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
        # Held back until the commit: a failed commit must leave this worker's modes alone.
        after_state = replace(center.modes, declarations=tuple(after_decls))
        view = state_view(after_state, now)
        change = await changes.append_change(
            conn,
            now,
            "mode.changed" if immediate else "mode.scheduled",
            str(entry["id"]),
            {"mode": view, "action": action, "actor": who.username, "history_id": str(entry["id"])},
        )
    await after_commit(center, change, after_state.declarations)
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
