"""Distances on the Earth: the one great-circle formula the center uses.

Haversine on a sphere of the mean Earth radius: within 0.5 % of the ellipsoid everywhere,
which is far inside what a map click, a GPS fix or a nearest-team list needs.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_M", "haversine_m"]

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points.

    Examples
    --------
    >>> round(haversine_m(103.0, 29.0, 103.0, 30.0))
    111195
    >>> round(haversine_m(103.76, 29.55, 103.76, 29.56))
    1112
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
