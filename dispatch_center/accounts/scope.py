"""The reading scope of a signed-in caller: the rule of :mod:`dispatch_center.core.visibility`
applied to the caller's role and unit over the center's unit tree.
"""

from __future__ import annotations

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.visibility import Scope, scope_for


def reading_scope(center: Center, who: Principal) -> Scope:
    """What ``who`` may read: the whole city for the center's roles, else the orders of its
    unit and the units below it.

    Examples
    --------
    >>> reading_scope(center, Principal("duty", Role.duty_officer)).city_wide  # doctest: +SKIP
    True
    """
    return scope_for(who.role, who.unit_code, center.reference.unit_tree, who.username)
