"""Passing an order down the tiers and back up (一级抓一级): the effects of ``assign_down``,
``hand_back`` and ``report_up`` (rules in :mod:`dispatch_center.core.delegation`), and the
holder check every holder's action passes.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import delegation as dl
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import workbench as wb
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, NotFound

Row = dict[str, Any]

_DELEGATION_ACTIONS = frozenset({lc.Action.assign_down, lc.Action.hand_back, lc.Action.report_up})


def check_holder(center: Center, who: Principal, row: Row, action: str) -> None:
    """404 when a handler takes a holder's action on an order its unit does not hold.

    404, not 403: the contract of ``assign_down`` (a handler above the holder reads the
    order, but for acting on it the order is not theirs).
    """
    try:
        act = lc.Action(action)
    except ValueError:
        return  # the lifecycle names the unknown action (422)
    standing = dl.standing_of(who.unit_code, row.get("assigned_unit"), center.reference.unit_tree)
    problem = dl.holder_problem(act, who.role, standing)
    if problem is not None:
        raise NotFound(f"no order {row['id']} held by your unit: {problem}")


def may_act(center: Center, who: Principal, row: Row, action: lc.Action) -> bool:
    """Whether ``who``'s standing lets it take ``action`` (the lifecycle decides the rest)."""
    standing = dl.standing_of(who.unit_code, row.get("assigned_unit"), center.reference.unit_tree)
    return dl.holder_problem(action, who.role, standing) is None


def calls_back(center: Center, who: Principal, row: Row) -> bool:
    """Whether ``who`` is of the unit that must call the citizen back: for a handler, the
    unit holding the order (a county that passed it down reads it with the number masked);
    every other role as :mod:`dispatch_center.core.privacy` decides.
    """
    if who.role is not Role.handler:
        return True
    return who.unit_code is not None and who.unit_code == row.get("assigned_unit")


def lead_unit(row: Row) -> str | None:
    """The unit the center dispatched the order to (the bottom of the pass-down stack)."""
    stack = row.get("delegation") or []
    return str(stack[0]["parent"]) if stack else row.get("assigned_unit")


def effects(
    center: Center, who: Principal, row: Row, action: lc.Action, body: Any
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Column updates and timeline data of a pass-down action; None for any other action."""
    if action not in _DELEGATION_ACTIONS:
        return None
    units = center.reference.units
    tree = center.reference.unit_tree
    stack = list(row.get("delegation") or [])
    holder = row.get("assigned_unit")
    now = center.now()
    if action is lc.Action.assign_down:
        child = body.unit_code
        if not child:
            raise Invalid("give the child unit", fields={"unit_code": "required"})
        if not holder:
            raise Invalid("the order has no holding unit", fields={"unit_code": "no holder"})
        try:
            stack = dl.pass_down(
                stack,
                holder,
                child,
                tree,
                by=who.username,
                at=now,
                reply_by=row["reply_by"],
                note=body.note,
                due=body.due,
            )
        except dl.DelegationError as exc:
            raise Invalid(str(exc), fields={exc.field: str(exc)}) from exc
        data = {
            "from_unit": holder,
            "unit": child,
            "unit_name": units.get(child, {}).get("name"),
            "due": body.due.isoformat() if body.due else None,
        }
        return {"assigned_unit": child, "delegation": stack}, data
    bad = wb.check_reason(body.reason_code) if action is lc.Action.hand_back else None
    if bad is not None:
        raise Invalid(bad, fields={"reason_code": bad})
    bad = wb.check_outcome(body.outcome) if action is lc.Action.report_up else None
    if bad is not None:
        raise Invalid(bad, fields={"outcome": bad})
    try:
        stack, parent = dl.pop(stack)
    except dl.DelegationError as exc:  # the lifecycle's guard said so first; kept for safety
        raise Invalid(str(exc), fields={exc.field: str(exc)}) from exc
    data = {
        "from_unit": holder,
        "unit": parent,
        "unit_name": units.get(parent, {}).get("name"),
        "reason_code": body.reason_code,
        "outcome": body.outcome,
        "photo_ids": list(body.photo_ids),
    }
    return {"assigned_unit": parent, "delegation": stack}, data


def view(center: Center, row: Row) -> dict[str, Any]:
    """The pass-down part of an order's view: the lead unit and the stack with names."""
    units = center.reference.units

    def ref(code: str | None) -> dict[str, Any] | None:
        return {"code": code, "name": units.get(code, {}).get("name")} if code else None

    lead = lead_unit(row)
    return {
        "lead_unit": ref(lead),
        "delegation": [
            {**e, "parent": ref(e["parent"]), "child": ref(e["child"])}
            for e in row.get("delegation") or []
        ],
    }
