"""Routing a new order on this center: gather the inputs, let the core decide.

The decision itself (locate → duty catalogue → the mode in force) is the pure
:func:`dispatch_center.core.routing.route`; this module hands it the center's geography,
modes, clock and reference tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.deadlines import TimeLimit, Urgency
from dispatch_center.core.routing import (
    ReportedPoint,
    RoutedOrder,
    RouteRequest,
    route,
    time_limit_for,
)
from dispatch_center.models import OrderCreate
from geo.datum import Datum


def route_new_order(center: Center, data: OrderCreate) -> RoutedOrder:
    """Urgency, time limit and routing of a new order under the mode in force now.

    ``routing.queue`` is ``dispatch`` (a suggested lead unit, one click to dispatch),
    ``manual`` (the city center decides) or ``transfer`` (outside Leshan).
    """
    loc = data.location
    request = RouteRequest(
        urgency=data.urgency,
        category=data.category_code,
        point=ReportedPoint(loc.lon, loc.lat, Datum(loc.crs.value)) if loc is not None else None,
    )
    return route(center.geography, request, center.modes, center.now(), center.reference)


def reopen_limit(center: Center, row: Mapping[str, Any]) -> TimeLimit:
    """The limit a reopened order gets under the mode in force where it is now."""
    urgency = Urgency(row["urgency"])
    active, policy, _ = center.modes.decide(
        urgency, row["category_code"], row.get("routing"), center.now()
    )
    return time_limit_for(center.reference, active, policy, urgency, row["category_code"])
