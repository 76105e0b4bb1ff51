"""A reader's scope (:class:`dispatch_center.core.visibility.Scope`) as a SQL condition, so a
list is filtered where it is read: its limit and its paging count only what the reader may
see.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.core.visibility import Scope


def unit_clause(
    scope: Scope, column: str = "assigned_unit", param: str = "scope_units"
) -> tuple[str, dict[str, Any]]:
    """``(condition, params)`` keeping the rows whose ``column`` is a unit of ``scope``.

    ``column`` is a column expression written in the store (never client input); the units
    go as the named parameter ``param``. A city-wide scope keeps every row.

    Examples
    --------
    >>> unit_clause(Scope())
    ('TRUE', {})
    >>> unit_clause(Scope(frozenset({"b", "a"})), "o.assigned_unit")
    ('o.assigned_unit = ANY(%(scope_units)s)', {'scope_units': ['a', 'b']})
    """
    if scope.units is None:
        return "TRUE", {}
    return f"{column} = ANY(%({param})s)", {param: sorted(scope.units)}


def order_clause(scope: Scope, table: str = "") -> tuple[str, dict[str, Any]]:
    """``(condition, params)`` keeping the orders ``scope`` may read: assigned within it, or
    with one of its units among the co-handling units (协办, ``co_units``).

    Examples
    --------
    >>> order_clause(Scope())
    ('TRUE', {})
    >>> order_clause(Scope(frozenset({"a"})), "o.")[0]
    '(o.assigned_unit = ANY(%(scope_units)s) OR o.co_units && %(scope_units)s::text[])'
    """
    if scope.units is None:
        return "TRUE", {}
    condition, params = unit_clause(scope, f"{table}assigned_unit")
    return f"({condition} OR {table}co_units && %(scope_units)s::text[])", params
