"""Routing a new order: where it is (tier path) and who is responsible.

Until a geography is loaded every order goes to the city center's manual
dispatch queue with the reason; an order that routes nowhere is never dropped.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.center import Center
from dispatch_center.models import OrderCreate

CITY_STEP = {"tier": 1, "code": "511100", "name": "乐山市"}


def route_new_order(center: Center, data: OrderCreate) -> dict[str, Any]:
    """Routing record stored on the order: path, lead and co units, queue and reason."""
    location = None
    if data.location is not None:
        location = {"lon": data.location.lon, "lat": data.location.lat}
    return {
        "inside": None,
        "path": [dict(CITY_STEP)],
        "lead": None,
        "co": [],
        "queue": "manual",
        "reason": "no geography loaded: manual dispatch by the city center",
        "location": location,
    }
