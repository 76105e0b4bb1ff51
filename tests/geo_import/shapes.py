"""Small township layers over 市中区 (511102), generated with shapely for import tests."""

from __future__ import annotations

from typing import Any

import geopandas
import numpy as np
import shapely
from shapely.geometry import Polygon, box

from dispatch_center.geography.bundled import leshan_areas
from geo.areas import Tier
from geo.datum import wgs84_to_gcj02_many

COUNTY = "511102"
SIDE = 0.02  # degrees; three townships side by side, well inside the county


def county_geometry(code: str = COUNTY) -> Any:
    """The real outline of one county."""
    return next(a.geometry for a in leshan_areas(False) if a.code == code and a.tier == Tier.COUNTY)


def _anchor() -> tuple[float, float]:
    """A point deep enough inside 市中区 that a 0.06° x 0.02° strip fits around it."""
    county = county_geometry()
    minx, miny, maxx, maxy = county.bounds
    for x in np.arange(minx, maxx, 0.005):
        for y in np.arange(miny, maxy, 0.005):
            if county.contains(box(x - 0.035, y - 0.015, x + 0.035, y + 0.015)):
                return float(x), float(y)
    raise AssertionError("no room in 市中区 for the test strip")


def townships(
    *, overlap: bool = False, bowtie: bool = False, stray: bool = False, duplicate: bool = False
) -> geopandas.GeoDataFrame:
    """Three townships in a row (甲, 乙, 丙) plus optional defects.

    ``overlap``: 乙 reaches 0.004° into 甲. ``bowtie``: 丙 is a self-intersecting bowtie.
    ``stray``: a fourth township straddles the county's outer border. ``duplicate``: a
    fourth feature reuses 甲's code.
    """
    x, y = _anchor()
    geoms: list[Any] = [
        box(x - 0.03, y - 0.01, x - 0.01, y + 0.01),
        box(x - 0.01 - (0.004 if overlap else 0), y - 0.01, x + 0.01, y + 0.01),
        Polygon(
            [(x + 0.01, y - 0.01), (x + 0.03, y + 0.01), (x + 0.03, y - 0.01), (x + 0.01, y + 0.01)]
        )
        if bowtie
        else box(x + 0.01, y - 0.01, x + 0.03, y + 0.01),
    ]
    rows = [("511102901", "测试甲街道"), ("511102902", "测试乙街道"), ("511102903", "测试丙镇")]
    if stray:
        bx, by = shapely.get_coordinates(county_geometry().boundary)[0]
        geoms.append(box(bx - 0.01, by - 0.01, bx + 0.01, by + 0.01))
        rows.append(("511102904", "测试越界乡"))
    if duplicate:
        geoms.append(box(x - 0.03, y + 0.012, x - 0.01, y + 0.02))
        rows.append(("511102901", "测试重号"))
    return geopandas.GeoDataFrame(
        {
            "CODE": [r[0] for r in rows],
            "NAME": [r[1] for r in rows],
            "COUNTY": [COUNTY] * len(rows),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def centre_of(frame: geopandas.GeoDataFrame, code: str) -> tuple[float, float]:
    """A point inside the township ``code`` (WGS-84)."""
    g = frame.loc[frame["CODE"] == code].geometry.iloc[0]
    p = shapely.make_valid(g).representative_point()
    return float(p.x), float(p.y)


def to_gcj02(frame: geopandas.GeoDataFrame) -> geopandas.GeoDataFrame:
    """The same layer with every vertex moved to GCJ-02 (as an Amap export would be)."""

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02_many(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = frame.copy()
    out = out.set_geometry(
        shapely.transform(np.asarray(frame.geometry.values, dtype=object), shift)
    )
    return out.set_crs("EPSG:4326", allow_override=True)
