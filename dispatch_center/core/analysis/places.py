"""Places: great-circle distances, the rollup's hotspot grid and hexagonal cells, and the
busiest cells of a period.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from geo.distance import EARTH_RADIUS_M

#: Side of the rollup's hotspot grid cells in degrees (about 1 km in Leshan).
GRID_DEG = 0.01


def grid_cell(lon: float, lat: float, size_deg: float = GRID_DEG) -> tuple[int, int]:
    """The grid cell of a point, as the rollup computes it (``floor(coord / size)``).

    Examples
    --------
    >>> grid_cell(103.7665, 29.5521)
    (10376, 2955)
    """
    return math.floor(lon / size_deg), math.floor(lat / size_deg)


def cell_center(cell_x: int, cell_y: int, size_deg: float = GRID_DEG) -> tuple[float, float]:
    """Centre (lon, lat) of a grid cell.

    Examples
    --------
    >>> cell_center(10376, 2955)
    (103.765, 29.555)
    """
    return round((cell_x + 0.5) * size_deg, 6), round((cell_y + 0.5) * size_deg, 6)


def hex_cell(lon: float, lat: float, size_m: float = 1000.0) -> tuple[int, int]:
    """Axial coordinates of the pointy-top hexagon (centre-to-corner ``size_m``) holding a point.

    The point is projected equirectangularly at its own latitude, which is accurate to
    well under a percent across one city.

    Examples
    --------
    >>> hex_cell(103.7665, 29.5521) == hex_cell(103.7666, 29.5522)
    True
    """
    x = math.radians(lon) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    y = math.radians(lat) * EARTH_RADIUS_M
    q = (math.sqrt(3) / 3 * x - y / 3) / size_m
    r = (2 / 3 * y) / size_m
    # Cube rounding: round all three, fix the one with the largest error.
    s = -q - r
    rq, rr, rs = round(q), round(r), round(s)
    dq, dr, ds = abs(rq - q), abs(rr - r), abs(rs - s)
    if dq > dr and dq > ds:
        rq = -rr - rs
    elif dr > ds:
        rr = -rq - rs
    return int(rq), int(rr)


@dataclass(frozen=True)
class Hotspot:
    """A grid cell with many requests."""

    cell_x: int
    cell_y: int
    count: int
    lon: float
    lat: float

    def as_dict(self) -> dict[str, float | int]:
        """Wire form."""
        return {
            "cell_x": self.cell_x,
            "cell_y": self.cell_y,
            "count": self.count,
            "lon": self.lon,
            "lat": self.lat,
        }


def top_hotspots(cells: Iterable[tuple[int, int, int]], limit: int = 10) -> list[Hotspot]:
    """The busiest cells, most requests first (ties by cell, for a stable order).

    Examples
    --------
    >>> [h.count for h in top_hotspots([(1, 1, 3), (2, 2, 9), (3, 3, 3)], 2)]
    [9, 3]
    """
    ordered = sorted((c for c in cells if c[2] > 0), key=lambda c: (-c[2], c[0], c[1]))
    return [Hotspot(x, y, n, *cell_center(x, y)) for x, y, n in ordered[:limit]]
