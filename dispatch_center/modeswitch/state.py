"""This worker's modes in memory (``center.modes``) and the views of them.

``center.modes`` is an immutable :class:`~modes.state.ModeState`, swapped whole: at start,
when another worker changed the declarations (:func:`refresh`), and after a commit of this
worker (:func:`after_commit`) -- never before the commit, so a failed one changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from dispatch_center.center import Center, publish_changes
from dispatch_center.modeswitch.common import KEEP_ENDED, declaration_of, iso
from dispatch_center.modeswitch.policies import load_policies_at_start, read_configured_policies
from dispatch_center.store import modes as store
from dispatch_center.store.changes import Change
from modes.policy import PolicyError
from modes.scope import ActiveMode, Declaration, describe_scope, next_transition
from modes.state import ModeState

log = logging.getLogger(__name__)


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
        try:
            policies = await read_configured_policies(center)
        except PolicyError as exc:
            log.error("policy reload seen from another worker refused here: %s", exc)
    center.modes = replace(
        center.modes,
        policies=policies,
        declarations=tuple(declaration_of(r) for r in rows),
        version=latest,
    )
    return True


async def start_modes(center: Center) -> None:
    """Load the policies and declarations into ``center.modes`` (after reference data)."""
    policies = await asyncio.to_thread(load_policies_at_start, center)
    counties = center.geography.counties
    center.modes = ModeState(
        policies=policies,
        counties=tuple(a.code for a in counties),
        county_names={a.code: a.name for a in counties},
    )
    await refresh(center, force=True)


async def after_commit(
    center: Center, change: Change, declarations: tuple[Declaration, ...] | None = None
) -> None:
    """After a commit that changed the declarations: install them (when the writer knows
    them), reload from the database, and announce ``change``.
    """
    if declarations is not None:
        center.modes = replace(center.modes, declarations=declarations)
    await refresh(center, force=True)
    await publish_changes(center, [change])


# -- views -----------------------------------------------------------------------------------


def _declaration_view(d: Declaration, names: Mapping[str, str]) -> dict[str, Any]:
    """One declaration as the API shows it."""
    return {
        "id": str(d.id),
        "mode": d.mode.value,
        "emergency_type": d.emergency_type.value if d.emergency_type else None,
        "scope": sorted(d.scope) if d.scope is not None else None,
        "scope_label": describe_scope(d.scope, names),
        "starts_at": iso(d.starts_at),
        "ends_at": iso(d.ends_at),
        "by": d.declared_by,
        "reason": d.reason,
    }


def _active_view(a: ActiveMode) -> dict[str, Any]:
    """The mode in force somewhere, with the declaration that put it there."""
    d = a.declaration
    return {
        "mode": a.mode.value,
        "emergency_type": a.emergency_type.value if a.emergency_type else None,
        "declaration_id": str(d.id) if d else None,
        "since": iso(d.starts_at) if d else None,
        "until": iso(d.ends_at) if d else None,
        "by": d.declared_by if d else None,
    }


def mode_view(center: Center, now: datetime | None = None) -> dict[str, Any]:
    """``GET /api/v1/mode``: the headline mode plus the per-county view and the schedule."""
    return state_view(center.modes, now or center.now())


def state_view(state: ModeState, now: datetime) -> dict[str, Any]:
    """:func:`mode_view` of ``state`` (one not yet in force, say) at ``now``."""
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
        "since": iso(since),
        "until": iso(d.ends_at) if d else None,
        "by": d.declared_by if d else None,
        "reason": d.reason if d else None,
        "declaration_id": str(d.id) if d else None,
        "title": {"zh": policy.title_zh, "en": policy.title_en},
        "policy_version": policy.version,
        "city_wide": _active_view(per[None]),
        "scopes": [
            {"county": c, "name": state.county_names.get(c, c), **_active_view(a)}
            for c, a in per.items()
            if c is not None
        ],
        "in_force": [
            _declaration_view(x, state.county_names) for x in state.declarations if x.in_force(now)
        ],
        "scheduled": [_declaration_view(x, state.county_names) for x in upcoming],
        "next_change": (
            {"at": iso(nxt.at), "kind": nxt.kind, "declaration_id": str(nxt.declaration.id)}
            if nxt
            else None
        ),
        "wallboard": dict(policy.wallboard),
        "as_of": iso(now),
    }
