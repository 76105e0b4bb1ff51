"""The live duplicates panel: open orders near the call that may be the same matter."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core import duplicates
from dispatch_center.core.lifecycle import OPEN_UNREPLIED
from dispatch_center.reporting.words import tokenize
from dispatch_center.store import desk as store
from geo.distance import EARTH_RADIUS_M, haversine_m

MAX_ITEMS = 10


def bbox(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box holding the circle of ``radius_m`` around the point (a prefilter).

    Examples
    --------
    >>> x0, y0, x1, y1 = bbox(103.76, 29.55, 250.0)
    >>> round((y1 - y0) / 2 * 111_195)
    250
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _words_of(texts: list[str]) -> list[frozenset[str]]:
    return [frozenset(tokenize(t)) for t in texts]


async def similar_orders(
    center: Center,
    lon: float,
    lat: float,
    category: str | None,
    text: str | None,
) -> list[dict[str, Any]]:
    """Open orders within the radius and window (``DISPATCH_DESK_SIMILAR_*``) with the same
    category or similar words, best first (see :mod:`dispatch_center.core.duplicates`).
    """
    radius = center.settings.desk_similar_radius_m
    since = center.now() - timedelta(days=center.settings.desk_similar_days)
    async with center.db.connection() as conn:
        rows = await store.orders_near(
            conn,
            bbox=bbox(lon, lat, radius),
            since=since,
            statuses=[s.value for s in OPEN_UNREPLIED],
        )
    rows = [r for r in rows if r["lon"] is not None and r["lat"] is not None]
    # jieba is CPU work (and a dictionary load the first time): off the event loop.
    words = await asyncio.to_thread(_words_of, [text or "", *(r["description"] for r in rows)])
    by_id = {r["id"]: r for r in rows}
    candidates = [
        duplicates.Candidate(
            r["id"], haversine_m(lon, lat, r["lon"], r["lat"]), r["category_code"], w
        )
        for r, w in zip(rows, words[1:], strict=True)
    ]
    ranked = duplicates.rank(candidates, category or None, words[0], radius)
    return [
        {
            "id": str(c.order_id),
            "number": by_id[c.order_id]["number"],
            "distance_m": round(c.distance_m, 1),
            "lon": by_id[c.order_id]["lon"],
            "lat": by_id[c.order_id]["lat"],
            "score": s,
            "status": by_id[c.order_id]["status"],
            "category_code": by_id[c.order_id]["category_code"],
            "description": by_id[c.order_id]["description"],
            "received_at": by_id[c.order_id]["received_at"].isoformat(),
            "repeat_calls": by_id[c.order_id]["repeat_calls"],
        }
        for c, s in ranked[:MAX_ITEMS]
    ]
