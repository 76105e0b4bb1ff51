"""Routing a new order: where it is (tier path) and who is responsible.

An order that routes nowhere is never dropped: it lands in the city center's
manual-dispatch queue with the reason. A point outside Leshan names the
neighbouring city so the order can be transferred to that city's hotline.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.center import Center
from dispatch_center.models import OrderCreate
from geo.catalogue import Unroutable

CITY_STEP = {"tier": 1, "code": "511100", "name": "乐山市"}


def _manual(reason: str, **extra: Any) -> dict[str, Any]:
    return {"queue": "manual", "lead": None, "co": [], "reason": reason, **extra}


def route_new_order(center: Center, data: OrderCreate) -> dict[str, Any]:
    """Routing record stored on the order: path, lead and co units, queue and reason.

    ``queue`` is ``dispatch`` (a suggested lead unit, one click to dispatch),
    ``manual`` (the city center decides) or ``transfer`` (outside Leshan).
    """
    geo = center.geography
    versions = {"catalogue_version": geo.catalogue.version, "area_version": geo.area_version}
    if data.location is None:
        return _manual(
            "no location given: the dispatcher places the address on the map",
            inside=None,
            path=[dict(CITY_STEP)],
            location=None,
            **versions,
        )
    loc = data.location
    try:
        where = geo.index.locate(loc.lon, loc.lat, loc.crs.value)
    except ValueError as exc:  # coordinates the index cannot place
        return _manual(
            f"location not usable: {exc}",
            inside=None,
            path=[dict(CITY_STEP)],
            location=None,
            **versions,
        )
    from geo.datum import to_internal

    lon, lat = to_internal(loc.lon, loc.lat, loc.crs.value)
    point = {"lon": round(lon, 7), "lat": round(lat, 7)}
    placed = where.as_dict()
    if not where.inside:
        neighbour = placed.get("neighbour")
        where_name = neighbour["name"] if neighbour else "乐山市外"
        return {
            **placed,
            "queue": "transfer",
            "lead": None,
            "co": [],
            "reason": f"outside Leshan ({where_name}): transfer to that city's 12345 hotline",
            "location": point,
            **versions,
        }
    code = data.category_code
    if code is None:
        return _manual(
            "no category: the dispatcher classifies the request",
            **placed,
            location=point,
            **versions,
        )
    try:
        resp = geo.catalogue.resolve(code, where.path, geo.assets.hits(lon, lat))
    except Unroutable as exc:
        return _manual(exc.reason, **placed, location=point, **versions)
    decided = resp.as_dict()
    return {
        **placed,
        "queue": "dispatch",
        "lead": decided["lead"],
        "co": decided["co"],
        "reason": decided["reason"],
        "asset": decided["asset"],
        "location": point,
        **versions,
    }
