"""A call about a place outside Leshan, passed to that city's 12345 (转外市热线)."""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.hotlines import CITY_HOTLINES, hotline_for
from dispatch_center.errors import Invalid
from dispatch_center.store import desk as store


def neighbour_of(center: Center, lon: float, lat: float) -> dict[str, Any]:
    """Where a WGS-84 point is: ``inside`` Leshan, or the neighbouring city and its hotline.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from dispatch_center.geography.model import default_geography
    >>> c = SimpleNamespace(geography=default_geography())
    >>> neighbour_of(c, 102.9, 29.9)["city"]["name"]
    '雅安市'
    """
    loc = center.geography.index.locate(lon, lat)
    if loc.inside:
        return {"inside": True, "city": None}
    line = hotline_for(loc.neighbour.code) if loc.neighbour is not None else None
    return {"inside": False, "city": line.as_dict() if line else None}


async def transfer_to_city(
    center: Center,
    who: Principal,
    *,
    city: str,
    call_id: str | None,
    lon: float | None,
    lat: float | None,
    note: str,
) -> dict[str, Any]:
    """Record that the call went to ``city``'s 12345 (adcode); refused for a point that lies
    inside Leshan (that is our order to take).
    """
    line = hotline_for(city)
    if line is None:
        names = ", ".join(f"{h.adcode} {h.name}" for h in CITY_HOTLINES)
        raise Invalid(f"not a neighbouring city: {city}", fields={"city": f"one of {names}"})
    if lon is not None and lat is not None and center.geography.index.locate(lon, lat).inside:
        raise Invalid(
            "the point is inside Leshan: take the call here",
            fields={"lon": "inside Leshan"},
        )
    async with center.db.connection() as conn:
        row = await store.record_city_transfer(
            conn,
            {
                "at": center.now(),
                "actor": who.username,
                "call_id": call_id,
                "city": line.name,
                "hotline": line.number,
                "lon": lon,
                "lat": lat,
                "note": note,
            },
        )
    return {"id": str(row["id"]), "city": line.as_dict(), "at": row["at"].isoformat()}
