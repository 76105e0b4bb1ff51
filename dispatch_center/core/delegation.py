"""一级抓一级: who holds an order on its way down the four tiers, and the pass-down stack.

The center dispatches an order to one unit, the *lead* (a county, a department). The lead
may pass it to one of its own child units (下派: county → township/street → village/community,
or a department to its sub-units), which may pass it further down. Each pass is one entry
of the order's *delegation stack*; the unit on top holds the order (``assigned_unit``),
every unit below the lead in the stack keeps answering for it and sees it (it stays in their
subtree, :mod:`dispatch_center.core.visibility`). The holder hands it back up (回退上级,
with a reason) or reports its result up (办结上报); either pops the stack, and the parent
works the order again. Only the lead answers the citizen (办结, ``reply``) and only the lead
asks the center to take it back (退单): :mod:`dispatch_center.core.lifecycle` guards both on
``OrderFacts.delegated``.

Who may take a holder's action: the handler of the holding unit (its *standing* is
``holder``) or an admin. A handler above the holder reads the order but does not act on it;
the API answers 404 to a handler acting on an order it does not hold.

Pure: plain data in, decisions out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch_center.core.lifecycle import Action
from dispatch_center.core.roles import Role
from dispatch_center.core.visibility import UnitTree

__all__ = [
    "HOLDER_ACTIONS",
    "DelegationError",
    "Pass",
    "Standing",
    "holder_problem",
    "pass_down",
    "pop",
    "standing_of",
]

#: Actions only the unit holding the order takes (the work itself).
HOLDER_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.accept,
        Action.start,
        Action.reply,
        Action.request_return,
        Action.request_extension,
        Action.assign_down,
        Action.hand_back,
        Action.report_up,
    }
)


class Standing(StrEnum):
    """Where a handler's unit stands to an order."""

    holder = "holder"  # its unit holds the order now
    above = "above"  # an ancestor of the holder: answers for it, reads it, does not act
    outside = "outside"  # neither: may not even read it


def standing_of(unit_code: str | None, assigned_unit: str | None, tree: UnitTree) -> Standing:
    """The standing of a handler bound to ``unit_code`` toward an order held by
    ``assigned_unit``.

    Examples
    --------
    >>> tree = UnitTree({"c": None, "c.t": "c", "c.t.v": "c.t", "d": None})
    >>> [str(standing_of(u, "c.t", tree)) for u in ("c.t", "c", "c.t.v", "d", None)]
    ['holder', 'above', 'outside', 'outside', 'outside']
    """
    if not unit_code or not assigned_unit:
        return Standing.outside
    if unit_code == assigned_unit:
        return Standing.holder
    if assigned_unit in tree.subtree(unit_code):
        return Standing.above
    return Standing.outside


def holder_problem(action: Action, role: Role, standing: Standing) -> str | None:
    """Why ``role`` with ``standing`` may not take ``action``, or None when it may.

    A handler takes a holder's action only on an order its own unit holds; the center's
    roles and an admin are not bound by standing (the lifecycle table decides for them).

    Examples
    --------
    >>> holder_problem(Action.assign_down, Role.handler, Standing.above)
    'only the unit holding the order may assign_down it'
    >>> holder_problem(Action.assign_down, Role.handler, Standing.holder) is None
    True
    >>> holder_problem(Action.assign_down, Role.admin, Standing.outside) is None
    True
    """
    if role is not Role.handler or action not in HOLDER_ACTIONS:
        return None
    if standing is Standing.holder:
        return None
    return f"only the unit holding the order may {action} it"


class DelegationError(ValueError):
    """A pass-down that cannot be made (HTTP 422 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Pass:
    """One pass down: from ``parent`` to ``child`` by ``by`` at ``at``.

    ``due`` is the child's internal deadline, set by the parent (None: the order's own).
    """

    parent: str
    child: str
    by: str
    at: datetime
    note: str | None = None
    due: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The stack entry as stored (ISO 8601 times)."""
        return {
            "parent": self.parent,
            "child": self.child,
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note,
            "due": self.due.isoformat() if self.due else None,
        }


def pass_down(
    stack: Sequence[Mapping[str, Any]],
    holder: str,
    child: str,
    tree: UnitTree,
    *,
    by: str,
    at: datetime,
    reply_by: datetime,
    note: str | None = None,
    due: datetime | None = None,
) -> list[dict[str, Any]]:
    """The stack after ``holder`` passes the order to ``child``.

    Raises
    ------
    DelegationError
        ``unit_code`` when ``child`` is not a child unit of ``holder``; ``due`` when the
        internal deadline is not between now and the order's reply deadline.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> tree = UnitTree({"c": None, "c.t": "c", "c.t.v": "c.t"})
    >>> now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    >>> later = now + timedelta(days=5)
    >>> s = pass_down([], "c", "c.t", tree, by="h_c", at=now, reply_by=later)
    >>> [e["child"] for e in pass_down(s, "c.t", "c.t.v", tree, by="h_t", at=now,
    ...                                 reply_by=later)]
    ['c.t', 'c.t.v']
    >>> pass_down(s, "c.t", "c", tree, by="h_t", at=now, reply_by=later)
    Traceback (most recent call last):
    ...
    dispatch_center.core.delegation.DelegationError: c is not a child unit of c.t
    """
    if child not in tree.children(holder):
        raise DelegationError("unit_code", f"{child} is not a child unit of {holder}")
    if due is not None:
        if due.tzinfo is None:
            raise DelegationError("due", "give the internal deadline with its UTC offset")
        if due <= at:
            raise DelegationError("due", "the internal deadline must lie in the future")
        if due > reply_by:
            raise DelegationError("due", "the internal deadline must not pass the order's")
    step = Pass(parent=holder, child=child, by=by, at=at, note=note, due=due)
    return [*(dict(e) for e in stack), step.to_json()]


def pop(stack: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The stack after the holder hands the order back (or reports up), and the parent
    who holds it again.

    Raises
    ------
    DelegationError
        When the order was not passed down (an empty stack).

    Examples
    --------
    >>> pop([{"parent": "c", "child": "c.t"}, {"parent": "c.t", "child": "c.t.v"}])
    ([{'parent': 'c', 'child': 'c.t'}], 'c.t')
    """
    if not stack:
        raise DelegationError("action", "the order was not passed down")
    rest = [dict(e) for e in stack[:-1]]
    return rest, str(stack[-1]["parent"])
