"""What a switch will change, read from the policies: which categories become urgent,
which units are co-dispatched, the seats on duty, the time limits tightened.

The HQ sees this before confirming a switch (the ``/hq`` console): it comes from the same
policy documents the center routes with, so it cannot drift from what will happen.

Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from modes.names import EmergencyType
from modes.policy import ModePolicy

__all__ = ["switch_effects"]


def _applies(types: frozenset[EmergencyType], emergency_type: EmergencyType | None) -> bool:
    return not types or emergency_type in types


def switch_effects(
    target: ModePolicy, emergency_type: EmergencyType | None, current: ModePolicy | None
) -> dict[str, Any]:
    """The effects of switching from ``current`` to ``target`` (of ``emergency_type``).

    Parameters
    ----------
    target : ModePolicy
        The policy of the mode switched to.
    emergency_type : EmergencyType or None
        The emergency's type (rules may apply to some types only).
    current : ModePolicy or None
        The policy in force now (for the seats' change).

    Returns
    -------
    dict
        ``urgent_categories`` (patterns raised to urgent), ``co_dispatch`` (categories and
        units), ``seats_on_duty`` (``{seat: [now, then]}``), ``tighten_open`` (patterns
        whose open orders get the new limits) and ``time_limits`` (urgency, category,
        respond and reply).

    Examples
    --------
    >>> from modes.policy import example_policy
    >>> e = switch_effects(example_policy(), EmergencyType.flood, None)
    >>> e["urgent_categories"], e["co_dispatch"][0]["units"]
    (['flood.*', 'water.drainage'], ['511100.flood_hq', '{township}'])
    >>> e["seats_on_duty"]["minimum"], e["time_limits"][0]["respond"]
    ([None, 30], '10 minutes')
    >>> switch_effects(example_policy(), EmergencyType.public_health, None)["urgent_categories"]
    []
    """
    urgent = [
        c
        for r in target.urgency_rules
        if r.urgency.value == "urgent" and _applies(r.emergency_types, emergency_type)
        for c in r.categories
    ]
    co = [
        {"categories": list(r.categories), "units": list(r.units), "at": r.at or None}
        for r in target.co_dispatch
        if _applies(r.emergency_types, emergency_type)
    ]
    now_seats = dict(current.seats_on_duty) if current is not None else {}
    seats = {
        k: [now_seats.get(k), target.seats_on_duty.get(k)]
        for k in sorted(set(now_seats) | set(target.seats_on_duty))
    }
    limits = [
        {
            "urgency": u.value,
            "category": category,
            "respond": f"{lim.respond.value} {lim.respond.unit.value}",
            "reply": f"{lim.reply.value} {lim.reply.unit.value}",
        }
        for (u, category), lim in sorted(
            target.time_limits.items(), key=lambda kv: (kv[0][0].value, kv[0][1] or "")
        )
    ]
    return {
        "urgent_categories": list(dict.fromkeys(urgent)),
        "co_dispatch": co,
        "seats_on_duty": seats,
        "tighten_open": list(target.tighten_open),
        "time_limits": limits,
    }
