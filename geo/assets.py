"""Asset layers: things owned by someone other than the area they lie in.

A river corridor belongs to the water bureau, a scenic area to its management committee, a
national road to the highway authority, whichever township it crosses. FixMyStreet's most common
complaint is routing such reports to the area instead of the owner; here an asset hit overrides
the area answer in :meth:`geo.catalogue.DutyCatalogue.resolve`.

Each layer is a line or polygon widened by a buffer in metres (computed on a local
equirectangular plane, so the width is right in metres at Leshan's latitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

__all__ = [
    "AssetHit",
    "AssetIndex",
    "AssetKind",
    "AssetLayer",
    "buffer_m",
    "layers_from_features",
]

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


class AssetKind(StrEnum):
    """What kind of asset a layer is; also its precedence when layers overlap (see PRIORITY)."""

    scenic_area = "scenic_area"
    national_road = "national_road"
    river = "river"


# Where a scenic area sits on a river (乐山大佛 at the confluence), the scenic committee leads.
PRIORITY: Mapping[AssetKind, int] = {
    AssetKind.scenic_area: 0,
    AssetKind.national_road: 1,
    AssetKind.river: 2,
}


def buffer_m(geom: BaseGeometry, metres: float) -> BaseGeometry:
    """Buffer a lon/lat geometry by a distance in metres.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> b = buffer_m(Point(103.77, 29.55), 1000)
    >>> round((b.bounds[3] - b.bounds[1]) * 110_574 / 2)
    1000
    """
    if metres <= 0:
        return geom
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))

    def to_m(c: np.ndarray) -> np.ndarray:
        return np.column_stack([c[:, 0] * kx, c[:, 1] * _M_PER_DEG_LAT])

    def to_deg(c: np.ndarray) -> np.ndarray:
        return np.column_stack([c[:, 0] / kx, c[:, 1] / _M_PER_DEG_LAT])

    return shapely.transform(shapely.transform(geom, to_m).buffer(metres, quad_segs=4), to_deg)


@dataclass(frozen=True, slots=True)
class AssetHit:
    """An asset a point falls on."""

    code: str
    name: str
    kind: AssetKind

    def as_dict(self) -> dict[str, str]:
        """JSON shape stored on an order's routing."""
        return {"code": self.code, "name": self.name, "kind": str(self.kind)}


@dataclass(frozen=True, eq=False)
class AssetLayer:
    """One asset (a river, a scenic area, a national road) with its corridor width.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> river = AssetLayer("minjiang", "岷江", AssetKind.river,
    ...                    LineString([(103.7, 29.5), (103.8, 29.5)]), 300.0)
    >>> river.covers(103.75, 29.501), river.covers(103.75, 29.51)
    (True, False)
    """

    code: str
    name: str
    kind: AssetKind
    geometry: BaseGeometry
    buffer_m: float = 0.0
    approximate: bool = False

    @property
    def area(self) -> BaseGeometry:
        """The geometry widened by the buffer (computed once, prepared)."""
        cached: BaseGeometry | None = self.__dict__.get("_area")
        if cached is None:
            cached = buffer_m(self.geometry, self.buffer_m)
            shapely.prepare(cached)
            object.__setattr__(self, "_area", cached)
        return cached

    def covers(self, lon: float, lat: float) -> bool:
        """Whether the point is on this asset (inside its buffered area)."""
        return bool(shapely.intersects_xy(self.area, lon, lat))

    @property
    def hit(self) -> AssetHit:
        """This layer as a hit."""
        return AssetHit(self.code, self.name, self.kind)


class AssetIndex:
    """Which asset layers cover a point, ordered by precedence (scenic, road, river), then code.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> idx = AssetIndex([
    ...     AssetLayer("minjiang", "岷江", AssetKind.river, LineString([(0, 0), (1, 0)]), 500.0),
    ...     AssetLayer("dafo", "乐山大佛景区", AssetKind.scenic_area, box(0.4, -0.1, 0.6, 0.1)),
    ... ])
    >>> [h.code for h in idx.hits(0.5, 0.0)]
    ['dafo', 'minjiang']
    """

    def __init__(self, layers: Iterable[AssetLayer]) -> None:
        self.layers: tuple[AssetLayer, ...] = tuple(
            sorted(layers, key=lambda layer: (PRIORITY[layer.kind], layer.code))
        )
        self._areas = np.asarray([layer.area for layer in self.layers], dtype=object)
        self._tree = shapely.STRtree(self._areas)

    def hits(self, lon: float, lat: float) -> tuple[AssetHit, ...]:
        """Asset layers covering the point, highest precedence first."""
        if not self.layers:
            return ()
        idx = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return tuple(self.layers[i].hit for i in sorted(idx.tolist()))


def layers_from_features(features: Sequence[Mapping[str, Any]]) -> list[AssetLayer]:
    """Build layers from GeoJSON features with properties ``code``, ``name``, ``kind``,
    ``buffer_m`` and optionally ``approximate``.

    Examples
    --------
    >>> f = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [103.77, 29.54]},
    ...      "properties": {"code": "x", "name": "X", "kind": "scenic_area", "buffer_m": 100}}
    >>> layers_from_features([f])[0].kind
    <AssetKind.scenic_area: 'scenic_area'>
    """
    out = []
    for f in features:
        p = f["properties"]
        out.append(
            AssetLayer(
                code=str(p["code"]),
                name=str(p["name"]),
                kind=AssetKind(p["kind"]),
                geometry=shape(f["geometry"]),
                buffer_m=float(p.get("buffer_m", 0.0)),
                approximate=bool(p.get("approximate", False)),
            )
        )
    return out
