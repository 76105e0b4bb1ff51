"""Who may read which work orders: one rule for every read (lists, one order, the wall's
sections and its live stream, supervision, consoles).

The rule
--------
A reader's *scope* is decided by role and unit:

- The city center's roles (:data:`CITY_WIDE_ROLES`: admin, duty officer, dispatcher,
  leader, auditor and the two HQs) see the whole city. They receive every request
  (一号受理), dispatch it, supervise it and answer for it; seeing all of it is their job.
- Everyone else (a handler, 承办人) sees the orders **assigned to its unit or to a unit
  below it** in the unit tree (:meth:`UnitTree.subtree`): a village its own; a township or
  street its own and its villages'; a county its own, its townships' and villages' and its
  county departments' (``511102-ZJJ`` hangs under ``511102``); a city department its own.
  A handler without a unit (an old token) sees nothing.

Why the assigned unit and not where the order is
--------------------------------------------------
一单到底、四级联动: the center passes an order down tier by tier and it must come back
closed. A county that passed an order to one of its townships still answers for it, so it
follows it: the order stays in the county's subtree however far down it goes, and the
county sees every step. Where the order *is* (its routing path, ``county_code``) does not
decide, for three reasons:

1. Before the center dispatches an order nobody below the center owns it; a 举报
   (report of wrongdoing) located in a county may well be about that county's own
   offices, and only the center decides who hears of it.
2. An order in one county may be the duty of a city department or a scenic-area
   authority (a national road, 峨眉山): the county has no part in it.
3. After a return upheld and a re-dispatch (退单、改派) the order is another unit's; its
   citizen's name and number should no longer be on the first unit's screens.

Co-handling units (协办) named at dispatch read the order too (``co_units``, a column so the
lists filter it in SQL): each has a part to accept and answer.

The same rule in SQL
--------------------
Lists must be filtered where they are read, or a limit and the paging are wrong (reading
200 open orders city-wide and keeping a county's cuts the county's list short). The store
applies a :class:`Scope` as ``assigned_unit = ANY(<the scope's units>)``
(:func:`dispatch_center.store.scope.unit_clause`): the set of units comes from here, so
the SQL and :meth:`Scope.sees_order` cannot disagree. The orders' lists add
``OR co_units && <the same units>`` for the co-handling units.

Supervision sessions concern a reader when one of their orders is in its scope, when their
affected area names one of its units, or when it was invited by name or by unit
(:meth:`Scope.sees_session`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dispatch_center.core.roles import Role

__all__ = ["CITY", "CITY_WIDE_ROLES", "Scope", "UnitTree", "scope_for"]

#: Roles of the city center: they read the whole city. A role added later reads only its
#: unit's subtree until it is named here (the rule fails closed).
CITY_WIDE_ROLES: frozenset[Role] = frozenset(
    {
        Role.admin,
        Role.duty_officer,
        Role.dispatcher,
        Role.leader,
        Role.auditor,
        Role.flood_hq,
        Role.holiday_hq,
        Role.call_taker,
        Role.callback_agent,
    }
)


class UnitTree:
    """The units by parent, with each unit's subtree computed once.

    Parameters
    ----------
    parents : Mapping[str, str or None]
        Every unit's code and its parent's code (``None`` at the top).

    Examples
    --------
    >>> tree = UnitTree({"511100": None, "511102": "511100", "511102S01": "511102",
    ...                  "511102S01V01": "511102S01", "511102-ZJJ": "511102",
    ...                  "511111": "511100"})
    >>> sorted(tree.subtree("511102"))
    ['511102', '511102-ZJJ', '511102S01', '511102S01V01']
    >>> sorted(tree.subtree("511102S01V01"))
    ['511102S01V01']
    >>> tree.chain("511102S01V01")
    ['511102S01V01', '511102S01', '511102', '511100']
    >>> sorted(tree.subtree("nowhere"))  # an unknown unit is its own, empty, subtree
    ['nowhere']
    """

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        self._parents = dict(parents)
        self._children: dict[str, list[str]] = {}
        for code, parent in self._parents.items():
            if parent is not None and parent != code:
                self._children.setdefault(parent, []).append(code)
        self._subtrees: dict[str, frozenset[str]] = {}

    def subtree(self, code: str) -> frozenset[str]:
        """``code`` and every unit below it, at any depth."""
        got = self._subtrees.get(code)
        if got is None:
            seen = {code}
            todo = [code]
            while todo:
                for child in self._children.get(todo.pop(), ()):
                    if child not in seen:  # a cycle in bad data must not loop forever
                        seen.add(child)
                        todo.append(child)
            got = self._subtrees[code] = frozenset(seen)
        return got

    def children(self, code: str) -> tuple[str, ...]:
        """The units directly below ``code``, sorted (whom a holder may pass an order to).

        Examples
        --------
        >>> UnitTree({"a": None, "a2": "a", "a1": "a", "a1x": "a1"}).children("a")
        ('a1', 'a2')
        """
        return tuple(sorted(self._children.get(code, ())))

    def parent(self, code: str) -> str | None:
        """The unit directly above ``code`` (None at the top or for an unknown unit).

        Examples
        --------
        >>> UnitTree({"a": None, "a1": "a"}).parent("a1")
        'a'
        """
        return self._parents.get(code)

    def chain(self, code: str | None) -> list[str]:
        """``code`` and its ancestors up to the top, nearest first."""
        out: list[str] = []
        while code and code not in out:
            out.append(code)
            code = self._parents.get(code)
        return out


@dataclass(frozen=True)
class Scope:
    """What one reader may see: the whole city (``units`` is ``None``) or the orders
    assigned within ``units``.

    ``user`` is the reader's username: a session may invite a person by name.

    Examples
    --------
    >>> city, county = Scope(), Scope(frozenset({"511102", "511102S01"}), "h_511102")
    >>> city.city_wide, county.city_wide
    (True, False)
    >>> county.sees_order({"assigned_unit": "511102S01"})
    True
    >>> county.sees_order({"assigned_unit": None})
    False
    >>> city.sees_order({"assigned_unit": None})
    True
    >>> county.sees_order({"assigned_unit": "511111", "co_units": ["511102S01"]})
    True
    """

    units: frozenset[str] | None = None
    user: str | None = field(default=None, compare=False)

    @property
    def city_wide(self) -> bool:
        """Whether this reader sees the whole city."""
        return self.units is None

    def sees_unit(self, code: str | None) -> bool:
        """Whether the unit ``code`` is within the scope (always, city-wide)."""
        return self.units is None or (code is not None and code in self.units)

    def sees_order(self, order: Mapping[str, Any]) -> bool:
        """Whether the order (a row, a change payload or a wall brief: anything with a
        string ``assigned_unit``) may be read.
        """
        if self.units is None or order.get("assigned_unit") in self.units:
            return True
        return any(u in self.units for u in order.get("co_units") or ())

    def sees_session(
        self,
        order_units: Iterable[str | None],
        affected_area: Iterable[Any] = (),
        invited: Iterable[Mapping[str, Any]] = (),
    ) -> bool:
        """Whether a supervision session concerns this reader: one of its orders is
        assigned within the scope, its affected area names a unit of the scope, or it
        invited the reader by username or one of the scope's units.

        Examples
        --------
        >>> s = Scope(frozenset({"511111"}), "h_511111")
        >>> s.sees_session(["511102"]), s.sees_session(["511102", "511111"])
        (False, True)
        >>> s.sees_session([], ["511111"]), s.sees_session([], [], [{"user": "h_511111"}])
        (True, True)
        >>> s.sees_session([], ["511102"], [{"name": "x", "unit": "511102"}])
        False
        """
        if self.units is None:
            return True
        if any(u in self.units for u in order_units if u is not None):
            return True
        if any(isinstance(a, str) and a in self.units for a in affected_area):
            return True
        for person in invited:
            if self.user is not None and person.get("user") == self.user:
                return True
            if person.get("unit") in self.units:
                return True
        return False


#: The scope of the center's roles: the whole city (the default where a reader is not given).
CITY = Scope()


def scope_for(role: Role, unit_code: str | None, tree: UnitTree, user: str | None = None) -> Scope:
    """The scope of a reader with ``role`` bound to ``unit_code``.

    Examples
    --------
    >>> tree = UnitTree({"511100": None, "511102": "511100", "511102S01": "511102"})
    >>> scope_for(Role.duty_officer, None, tree).city_wide
    True
    >>> sorted(scope_for(Role.handler, "511102", tree).units)
    ['511102', '511102S01']
    >>> scope_for(Role.handler, None, tree).units
    frozenset()
    """
    if role in CITY_WIDE_ROLES:
        return Scope(None, user)
    if not unit_code:
        return Scope(frozenset(), user)
    return Scope(tree.subtree(unit_code), user)
