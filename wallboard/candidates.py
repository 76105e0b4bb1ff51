"""Who could take an order: the suggested lead from the duty catalogue and alternatives of
the same county or category, with their distance from the order and their open load; and
what the console's card needs beside: the reason of a 退单, a pending 延期 request, and the
open orders nearby that may be the same request (并单).

A unit's distance is from the order's place to the unit's area of responsibility: 0 when
the place lies inside it (a township's own area, a scenic committee's scenic area, a
county department's county), else to its nearest edge. A department has no point of its
own, and measuring to its county's centre gave every department the same figure.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, unary_union

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.routing import Routing
from dispatch_center.orders.service import get_order
from dispatch_center.store import wallboard as store
from geo.distance import haversine_m

MAX_ALTERNATIVES = 10
#: At most this many of one kind (departments, townships), so the nearest townships
#: still show beside the county's departments, which all answer for the whole county.
MAX_PER_KIND = 5
MAX_SIMILAR = 6
#: How far around the order the console looks for the same request (about 1.5 km).
SIMILAR_BOX_DEG = 0.015
SIMILAR_RADIUS_M = 1500.0


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres.

    Examples
    --------
    >>> round(distance_km(103.76, 29.55, 103.48, 29.60), 1)
    27.6
    """
    return haversine_m(lon1, lat1, lon2, lat2) / 1000


def iso(value: Any) -> str | None:
    """A stored time as ISO 8601 in Shanghai time."""
    return to_shanghai(value).isoformat() if value is not None else None


def _jurisdiction(center: Center, code: str) -> BaseGeometry | None:
    """The area a unit answers for: its own area, the scenic area or asset the catalogue
    gives it, else its parent's (a county department: its county), else its county's.
    """
    geo = center.geography
    idx = geo.index
    if code in idx:
        return idx.area(code).geometry
    owned = {r.asset_layer for r in geo.catalogue.rows if r.unit_code == code and r.asset_layer}
    shapes = [
        layer.area for layer in geo.asset_layers if layer.code in owned or layer.kind in owned
    ]
    if shapes:
        return unary_union(shapes)
    units = center.reference.units
    seen: set[str] = {code}
    current = (units.get(code) or {}).get("parent_code")
    while current and current not in seen:
        seen.add(current)
        if current in idx:
            return idx.area(current).geometry
        current = (units.get(current) or {}).get("parent_code")
    county = (units.get(code) or {}).get("county_code")
    if county and county in idx:
        return idx.area(county).geometry
    return None


def km_to_area(lon: float, lat: float, area: BaseGeometry) -> float:
    """Kilometres from a point to an area: 0 inside, else to its nearest edge.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> km_to_area(103.5, 29.5, box(103.4, 29.4, 103.6, 29.6))
    0.0
    >>> round(km_to_area(103.7, 29.5, box(103.4, 29.4, 103.6, 29.6)), 1)
    9.7
    """
    point = Point(lon, lat)
    if area.covers(point):
        return 0.0
    _, near = nearest_points(point, area)
    return distance_km(lon, lat, near.x, near.y)


async def candidates(center: Center, who: Principal, order_id: str) -> dict[str, Any]:
    """The order, its suggested lead and co units, and ranked alternatives.

    Examples
    --------
    >>> c = await candidates(center, dispatcher, "42")  # doctest: +SKIP
    >>> c["suggested"]["code"], len(c["alternatives"]) <= 10  # doctest: +SKIP
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
        facts = await _card_facts(center, conn, order)

    def describe(code: str, why: str) -> dict[str, Any]:
        u = units.get(code) or {}
        area = _jurisdiction(center, code)
        dist = (
            round(km_to_area(loc["lon"], loc["lat"], area), 1)
            if area is not None and loc.get("lon") is not None
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
        "alternatives": shortlist(alternatives),
        **facts,
    }


def shortlist(ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first :data:`MAX_ALTERNATIVES` of ``ranked``, at most :data:`MAX_PER_KIND` of a
    kind unless nothing else is left.

    Examples
    --------
    >>> rows = [{"kind": "department"}] * 8 + [{"kind": "township"}] * 8
    >>> [r["kind"][0] for r in shortlist(rows)]
    ['d', 'd', 'd', 'd', 'd', 't', 't', 't', 't', 't']
    """
    out: list[dict[str, Any]] = []
    per: dict[Any, int] = {}
    for a in ranked:
        if per.get(a["kind"], 0) < MAX_PER_KIND:
            per[a["kind"]] = per.get(a["kind"], 0) + 1
            out.append(a)
    rest = [a for a in ranked if a not in out]
    return (out + rest)[:MAX_ALTERNATIVES]


async def _card_facts(center: Center, conn: Any, order: dict[str, Any]) -> dict[str, Any]:
    """The reason of a pending 退单, a pending 延期 request and the possible duplicates."""
    oid = int(order["id"])
    returned = extension = None
    if order["status"] == "return_requested":
        e = await store.last_entry(conn, oid, "request_return")
        if e is not None:
            returned = {"by": e["actor"], "at": iso(e["at"]), "note": e["note"]}
    if order.get("extension_pending"):
        e = await store.last_entry(conn, oid, "request_extension")
        if e is not None:
            ask = (e["data"] or {}).get("extension") or {}
            extension = {
                "by": e["actor"],
                "at": iso(e["at"]),
                "note": e["note"],
                "value": ask.get("value"),
                "unit": ask.get("unit"),
            }
    return {
        "return_request": returned,
        "extension_request": extension,
        "similar": await _similar(center, conn, order),
    }


def text_overlap(a: str, b: str) -> float:
    """Share of character pairs two descriptions have in common (Jaccard on bigrams).

    Examples
    --------
    >>> round(text_overlap("路灯不亮三天", "路灯连续三天不亮"), 2)
    0.33
    >>> text_overlap("", "x")
    0.0
    """

    def grams(t: str) -> set[str]:
        t = "".join(ch for ch in t if not ch.isspace())
        return {t[i : i + 2] for i in range(len(t) - 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


async def _similar(center: Center, conn: Any, order: dict[str, Any]) -> list[dict[str, Any]]:
    """Open orders within about 1.5 km of the same category family, nearest and most alike
    first: what the dispatcher may merge this one into.
    """
    loc = order.get("location") or {}
    if loc.get("lon") is None:
        return []
    code = (order.get("category") or {}).get("code") or ""
    rows = await store.open_orders_near(
        conn,
        exclude_id=int(order["id"]),
        lon=loc["lon"],
        lat=loc["lat"],
        half_side_deg=SIMILAR_BOX_DEG,
        category_prefix=code.split(".")[0] or None,
    )
    out = []
    for r in rows:
        metres = haversine_m(loc["lon"], loc["lat"], r["lon"], r["lat"])
        if metres > SIMILAR_RADIUS_M:
            continue
        alike = text_overlap(order.get("description") or "", r["description"] or "")
        same = 1.0 if r["category_code"] == code else 0.5
        score = round(0.5 * alike + 0.3 * same + 0.2 * (1 - metres / SIMILAR_RADIUS_M), 3)
        out.append(
            {
                "id": str(r["id"]),
                "number": r["number"],
                "distance_m": round(metres),
                "score": score,
                "status": r["status"],
                "status_label": lc.STATUS_LABELS_ZH[lc.Status(r["status"])],
                "description": r["description"],
                "unit": (center.reference.units.get(r["assigned_unit"] or "") or {}).get("name"),
            }
        )
    out.sort(key=lambda x: -x["score"])
    return out[:MAX_SIMILAR]
