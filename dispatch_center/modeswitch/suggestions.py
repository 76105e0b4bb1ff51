"""Suggestions to switch, raised by feed conditions, and the people's one-click decisions.

The feeds hand an event to :func:`submit_trigger`; the policy in force says whether it
suggests a mode there (or switches at once, under ``auto_switch``). When the condition ends
(:func:`end_condition`, or the sweep of expired CAP warnings) an open suggestion is
withdrawn; an accepted one stays, noted, for a person to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Invalid, NotFound
from dispatch_center.modeswitch.common import Row, iso, seen_history, suggestion_conflict
from dispatch_center.modeswitch.switching import switch
from dispatch_center.store import changes
from dispatch_center.store import modes as store
from dispatch_center.store.changes import Change
from modes.authority import may_declare
from modes.policy import RANK, EmergencyType, ModeName
from modes.scope import SwitchRequest, describe_scope
from modes.state import ModeState
from modes.triggers import FeedEvent, Suggestion, evaluate, event_from_dict

SYSTEM = Principal("system", Role.admin)
# Who withdraws a suggestion when its CAP warning ends (the feed, not a person).
CAP_SOURCE = "feed:weather_cap"


def _suggestion_view(row: Row, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "dedupe_key": row["dedupe_key"],
        "mode": row["mode"],
        "emergency_type": row["emergency_type"],
        "scope": list(row["scope"]),
        "scope_label": describe_scope(row["scope"], names),
        "reason": row["reason"],
        "evidence": row["evidence"],
        "status": row["status"],
        "raised_at": iso(row["raised_at"]),
        "seen_count": row["seen_count"],
        "last_seen_at": iso(row["last_seen_at"]),
        "decided_at": iso(row["decided_at"]),
        "decided_by": row["decided_by"],
        "decision_note": row["decision_note"],
        "declaration_id": str(row["declaration_id"]) if row["declaration_id"] else None,
        "sources": list(row.get("sources") or []),
        "condition_ended_at": iso(row.get("condition_ended_at")),
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
                conn,
                now,
                "mode.suggestion",
                str(row["id"]),
                {"suggestion": _suggestion_view(row, center.modes.county_names)},
            )
    await publish_changes(center, [change])
    view = {**_suggestion_view(row, center.modes.county_names), "created": created}
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
            view = _suggestion_view(row, center.modes.county_names)
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
        seen_history(center, entry["id"])
        await publish_changes(center, [change])
    return [_suggestion_view(row, center.modes.county_names) for row, _, _ in done]


async def end_expired_warnings(center: Center) -> int:
    """Withdraw (or mark) suggestions whose CAP warning expired or is no longer current."""
    async with center.db.connection() as conn:
        ended = await store.expired_cap_sources(conn, center.now())
    n = 0
    now = center.now()
    for r in ended:
        expired = r["expires"] is not None and r["expires"] <= now
        why = f"预警已过期（{iso(r['expires'])}）" if expired else "预警已不再生效"
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
    return {"suggestion": _suggestion_view(fresh, center.modes.county_names), **result}


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
            raise await suggestion_conflict(conn, sid)
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
            conn,
            now,
            "mode.suggestion",
            str(sid),
            {"suggestion": _suggestion_view(decided, center.modes.county_names)},
        )
    seen_history(center, entry["id"])
    await publish_changes(center, [change])
    return {"suggestion": _suggestion_view(decided, center.modes.county_names)}


async def list_suggestions(center: Center, status: str | None) -> dict[str, Any]:
    """Suggestions, newest first."""
    async with center.db.connection() as conn:
        rows = await store.list_suggestions(conn, status)
    return {"suggestions": [_suggestion_view(r, center.modes.county_names) for r in rows]}
