"""A synthetic township/village subdivision of each county, for the demo only.

No public township (乡镇/街道) or village (村/社区) polygons exist offline; a real center imports
its own (``dispatch-center geofences import``). So that all four tiers work in the demo, each
county is cut by a regular lon/lat grid: township cells of ``township_deg`` degrees, each split
into ``village_split`` × ``village_split`` village cells, all clipped to the county. Every
generated area carries ``synthetic=True`` and a name that says so ("市中区 网格 07",
"市中区 网格 07-03"); codes are ``<county>S07`` and ``<county>S07V03``.

The grid is anchored at lon/lat 0 so cells line up across counties, and numbering is row-major
from the north-west, so the same county geometry always yields the same codes: the output is a
pure function of its inputs (no randomness, so no seed to keep stable). It is generated at load
time rather than committed because it is cheap (~0.2 s for Leshan), keeps fake boundaries out of
the data folder where they could be mistaken for real ones, and follows any re-extraction of
the county outlines automatically.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.areas import Area, Tier

__all__ = ["SYNTHETIC_LABEL", "subdivide"]

SYNTHETIC_LABEL = "网格"


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """Keep only the polygon parts (clipping can leave slivers of lines or points)."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _cells(bounds: tuple[float, float, float, float], size: float) -> list[tuple[int, int]]:
    minx, miny, maxx, maxy = bounds
    c0, c1 = math.floor(minx / size), math.ceil(maxx / size)
    r0, r1 = math.floor(miny / size), math.ceil(maxy / size)
    # North-west first: rows descending in latitude, columns ascending in longitude.
    return [(r, c) for r in range(r1 - 1, r0 - 1, -1) for c in range(c0, c1)]


def _width(n: int) -> int:
    return max(2, len(str(n)))


def _subdivide_county(county: Area, township_deg: float, village_split: int) -> Iterable[Area]:
    shapely.prepare(county.geometry)
    cells = _cells(county.geometry.bounds, township_deg)
    boxes = np.array(
        [
            box(c * township_deg, r * township_deg, (c + 1) * township_deg, (r + 1) * township_deg)
            for r, c in cells
        ]
    )
    touching = shapely.intersects(county.geometry, boxes)
    inside = shapely.contains_properly(county.geometry, boxes)
    clipped = shapely.intersection(boxes[touching & ~inside], county.geometry)
    pieces: list[tuple[tuple[int, int], BaseGeometry]] = []
    it = iter(clipped)
    for (r, c), cell, hit, whole in zip(cells, boxes, touching, inside, strict=True):
        if not hit:
            continue
        geom = cell if whole else _polygonal(next(it))
        if geom is not None and geom.area > 0:
            pieces.append(((r, c), geom))
    tw = _width(len(pieces))
    vsize = township_deg / village_split
    for n, ((r, c), town_geom) in enumerate(pieces, start=1):
        t_code = f"{county.code}S{n:0{tw}d}"
        t_name = f"{county.name} {SYNTHETIC_LABEL} {n:0{tw}d}"
        yield Area(t_code, t_name, Tier.TOWNSHIP, county.code, town_geom, synthetic=True)
        whole_cell = town_geom.geom_type == "Polygon" and town_geom.equals(
            box(c * township_deg, r * township_deg, (c + 1) * township_deg, (r + 1) * township_deg)
        )
        sub = []
        for i in range(village_split - 1, -1, -1):
            for j in range(village_split):
                x0 = c * township_deg + j * vsize
                y0 = r * township_deg + i * vsize
                sub.append(box(x0, y0, x0 + vsize, y0 + vsize))
        if whole_cell:
            villages: Sequence[BaseGeometry | None] = sub
        else:
            villages = [_polygonal(g) for g in shapely.intersection(np.array(sub), town_geom)]
        kept = [g for g in villages if g is not None and g.area > 0]
        vw = _width(len(kept))
        for m, v_geom in enumerate(kept, start=1):
            yield Area(
                f"{t_code}V{m:0{vw}d}",
                f"{t_name}-{m:0{vw}d}",
                Tier.VILLAGE,
                t_code,
                v_geom,
                synthetic=True,
            )


def subdivide(
    counties: Sequence[Area], township_deg: float = 0.06, village_split: int = 3
) -> list[Area]:
    """Generate synthetic tier-3 and tier-4 areas covering each county exactly.

    Parameters
    ----------
    counties
        Tier-2 areas to subdivide.
    township_deg
        Side of a township grid cell in degrees (0.06° ≈ 6 km around Leshan).
    village_split
        Each township cell is split into ``village_split``² village cells.

    Returns
    -------
    list of Area
        Townships and villages, all with ``synthetic=True``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> county = Area("511102", "市中区", Tier.COUNTY, "511100", box(103.61, 29.41, 103.79, 29.55))
    >>> areas = subdivide([county])
    >>> areas[0].code, areas[0].name, areas[1].code
    ('511102S01', '市中区 网格 01', '511102S01V01')
    >>> villages = sum(a.geometry.area for a in areas if a.tier == Tier.VILLAGE)
    >>> abs(villages - county.geometry.area) < 1e-12
    True
    """
    out: list[Area] = []
    for county in counties:
        out.extend(_subdivide_county(county, township_deg, village_split))
    return out
