"""Who could take an order: the suggested lead from the duty catalogue and alternatives of
the same county or category, with their distance from the order and their open load.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.routing import Routing
from dispatch_center.orders.service import get_order
from dispatch_center.store import wallboard as store
from geo.distance import haversine_m

MAX_ALTERNATIVES = 8


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres.

    Examples
    --------
    >>> round(distance_km(103.76, 29.55, 103.48, 29.60), 1)
    27.6
    """
    return haversine_m(lon1, lat1, lon2, lat2) / 1000


def _unit_point(center: Center, code: str) -> tuple[float, float] | None:
    """Where a unit sits on the map: its own area, else its parent's, else its county's."""
    idx = center.geography.index
    units = center.reference.units
    seen: set[str] = set()
    current: str | None = code
    while current and current not in seen:
        seen.add(current)
        if current in idx:
            p = idx.area(current).geometry.representative_point()
            return (p.x, p.y)
        current = (units.get(current) or {}).get("parent_code")
    county = (units.get(code) or {}).get("county_code")
    if county and county in idx:
        p = idx.area(county).geometry.representative_point()
        return (p.x, p.y)
    return None


async def candidates(center: Center, who: Principal, order_id: str) -> dict[str, Any]:
    """The order, its suggested lead and co units, and ranked alternatives.

    Examples
    --------
    >>> c = await candidates(center, dispatcher, "42")  # doctest: +SKIP
    >>> c["suggested"]["code"], len(c["alternatives"]) <= 8  # doctest: +SKIP
    ('511102.urban', True)
    """
    order = await get_order(center, who, order_id, with_timeline=False)
    routing = order.get("routing") or {}
    loc = order.get("location") or {}
    county = Routing.from_json(routing).county_code if routing else None
    category = (order.get("category") or {}).get("code")
    lead = routing.get("lead")
    units = center.reference.units
    picked: dict[str, str] = {}
    for row in center.geography.catalogue.rows:
        if (
            category
            and row.category_code == category
            and (row.area_code is None or county is None or row.area_code.startswith(county))
        ):
            picked.setdefault(row.unit_code, "catalogue")
    if county:
        for code, u in units.items():
            if u.get("county_code") == county and u.get("kind") in (
                "department",
                "township",
                "county",
            ):
                picked.setdefault(code, "county")
    lead_code = lead.get("code") if isinstance(lead, dict) else None
    codes = [c for c in picked if c in units and c != lead_code]
    all_codes = codes + ([lead_code] if lead_code and lead_code in units else [])
    async with center.db.connection() as conn:
        load = await store.open_load(conn, all_codes)

    def describe(code: str, why: str) -> dict[str, Any]:
        u = units.get(code) or {}
        where = _unit_point(center, code)
        dist = (
            round(distance_km(loc["lon"], loc["lat"], where[0], where[1]), 1)
            if where and loc.get("lon") is not None
            else None
        )
        return {
            "code": code,
            "name": u.get("name", code),
            "tier": u.get("tier"),
            "kind": u.get("kind"),
            "why": why,
            "distance_km": dist,
            "open_load": load.get(code, 0),
        }

    alternatives = [describe(c, picked[c]) for c in codes]
    alternatives.sort(
        key=lambda a: (
            a["why"] != "catalogue",
            a["distance_km"] if a["distance_km"] is not None else 1e9,
            a["open_load"],
        )
    )
    return {
        "order": order,
        "suggested": describe(lead_code, "catalogue") if lead_code and lead_code in units else None,
        "co": routing.get("co") or [],
        "queue": routing.get("queue"),
        "reason": routing.get("reason"),
        "alternatives": alternatives[:MAX_ALTERNATIVES],
    }
