"""What the mode in force decides for a new or reopened order: urgency, time limit and
co-dispatched units.

Moved unchanged from the former ``service.py``; it is to become a pure routing step in the
orders package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.deadlines import TimeLimit, Urgency
from modes.policy import ModePolicy
from modes.scope import ActiveMode


def time_limit_for(
    center: Center, active: ActiveMode, policy: ModePolicy, urgency: Urgency, category: str | None
) -> TimeLimit:
    """The limit an order gets: an admin's row for this mode and category, else the
    policy's, else the reference table (mode, then statutory)."""
    ref = center.reference
    explicit = ref.time_limits.get((urgency.value, category, active.mode.value))
    if explicit is not None:
        return explicit
    return policy.time_limit(urgency, category) or ref.time_limit(
        urgency.value, category, active.mode.value
    )


def apply_to_new_order(
    center: Center, urgency: Urgency, category: str | None, routing: dict[str, Any]
) -> tuple[Urgency, TimeLimit, dict[str, Any]]:
    """Urgency, time limit and routing (with the mode's co-dispatch) for a new order.

    The mode is the one in force in the order's county now (city-wide when the routing
    names no county).
    """
    active, policy, decision = center.modes.decide(urgency, category, routing, center.now())
    limit = time_limit_for(center, active, policy, decision.urgency, category)
    mode_info: dict[str, Any] = {
        "mode": active.mode.value,
        "emergency_type": active.emergency_type.value if active.emergency_type else None,
        "declaration_id": str(active.declaration.id) if active.declaration else None,
        "policy_version": policy.version,
    }
    if decision.raised_from is not None:
        mode_info["urgency_raised_from"] = decision.raised_from.value
    routed = dict(routing)
    if decision.co_units:
        units = center.reference.units
        co = list(routed.get("co") or [])
        have = {c.get("code") for c in co if isinstance(c, Mapping)}
        lead = (
            (routed.get("lead") or {}).get("code")
            if isinstance(routed.get("lead"), Mapping)
            else None
        )
        for code in decision.co_units:
            if code in have or code == lead:
                continue
            co.append(
                {"code": code, "name": (units.get(code) or {}).get("name", code), "by": "mode"}
            )
        routed["co"] = co
        mode_info["co_dispatch"] = list(decision.co_units)
    routed["mode"] = mode_info
    return decision.urgency, limit, routed


def reopen_limit(center: Center, row: Mapping[str, Any]) -> TimeLimit:
    """The limit a reopened order gets under the mode in force where it is now."""
    active, policy, _ = center.modes.decide(
        Urgency(row["urgency"]), row["category_code"], row.get("routing"), center.now()
    )
    return time_limit_for(center, active, policy, Urgency(row["urgency"]), row["category_code"])
