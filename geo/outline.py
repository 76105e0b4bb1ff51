"""Nearest area and distance in metres for a point outside every area.

Only the outer outline of the covered areas matters for a point outside all of them, so the
segments shared by two areas are dropped and the rest are bucketed on a coarse grid: each
bucket keeps every segment that could be nearest to some point in it (within the bucket
centre's nearest distance plus a bucket diagonal). A query then measures a handful of segments
with numpy instead of whole polygons. Distances are measured on a local equirectangular plane
to pick the segment, then as a great-circle (haversine) distance to the foot point, which is
within a few centimetres of the true geodesic at these ranges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.distance import haversine_m

__all__ = ["OutlineDistance"]


class OutlineDistance:
    """Nearest owner and distance to the outline of a set of areas (a coverage).

    Parameters
    ----------
    geoms
        Area geometries (lon/lat); the owner returned is the position in this sequence.
    bucket_deg
        Side of a bucket of the coarse grid, in degrees.
    margin_deg
        How far beyond the outline's bounds the buckets reach; farther points use shapely.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> od = OutlineDistance([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> owner, metres = od.nearest(2.001, 0.5)
    >>> owner, round(metres)
    (1, 111)
    """

    def __init__(
        self, geoms: Sequence[BaseGeometry], bucket_deg: float = 0.02, margin_deg: float = 0.3
    ) -> None:
        self.geoms = list(geoms)
        self._tree = shapely.STRtree(self.geoms)
        polys, owner_of_poly = shapely.get_parts(
            np.asarray(self.geoms, dtype=object), return_index=True
        )
        rings, ring_poly = shapely.get_rings(polys, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same = coord_ring[:-1] == coord_ring[1:]
        a = coords[:-1][same]
        b = coords[1:][same]
        owner = owner_of_poly[ring_poly][coord_ring[:-1][same]]
        # A segment shared by two areas (either direction) is internal: drop it.
        ka = np.round(a * 1e7).astype(np.int64)
        kb = np.round(b * 1e7).astype(np.int64)
        fwd = np.concatenate([ka, kb], axis=1)
        rev = np.concatenate([kb, ka], axis=1)
        swap = (ka[:, 0] > kb[:, 0]) | ((ka[:, 0] == kb[:, 0]) & (ka[:, 1] > kb[:, 1]))
        canon = np.where(swap[:, None], rev, fwd)
        _, inverse, counts = np.unique(canon, axis=0, return_inverse=True, return_counts=True)
        outer = counts[inverse.ravel()] == 1
        a, b, owner = a[outer], b[outer], owner[outer]
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(self.geoms, dtype=object))
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        self.ax, self.ay = a[:, 0] * self.kx, a[:, 1]
        self.bx, self.by = b[:, 0] * self.kx, b[:, 1]
        self.owner = owner.astype(np.int64)
        self.minx, self.miny = minx - margin_deg, miny - margin_deg
        self.bucket = bucket_deg
        self.nx = math.ceil((maxx + margin_deg - self.minx) / bucket_deg)
        self.ny = math.ceil((maxy + margin_deg - self.miny) / bucket_deg)
        seg_lines = shapely.linestrings(
            np.stack(
                [np.column_stack([self.ax, self.ay]), np.column_stack([self.bx, self.by])], axis=1
            )
        )
        seg_tree = shapely.STRtree(seg_lines)
        cx = (self.minx + (np.arange(self.nx) + 0.5) * bucket_deg) * self.kx
        cy = self.miny + (np.arange(self.ny) + 0.5) * bucket_deg
        gx, gy = np.meshgrid(cx, cy)
        centres = shapely.points(gx.ravel(), gy.ravel())
        _, d = seg_tree.query_nearest(centres, return_distance=True, all_matches=False)
        half_diag = 0.5 * math.hypot(bucket_deg * self.kx, bucket_deg)
        qi, si = seg_tree.query(centres, predicate="dwithin", distance=d + 2 * half_diag + 1e-12)
        order = np.lexsort((si, qi))
        qi, si = qi[order], si[order]
        self._ptr = np.searchsorted(qi, np.arange(self.nx * self.ny + 1))
        self._seg = si

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        """Index of the nearest area and the distance to it in metres (0 on the outline).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> OutlineDistance([box(0, 0, 1, 1)]).nearest(0.5, -0.01)[0]
        0
        """
        c = int((lon - self.minx) // self.bucket)
        r = int((lat - self.miny) // self.bucket)
        if not (0 <= c < self.nx and 0 <= r < self.ny):
            return self._nearest_far(lon, lat)
        b = r * self.nx + c
        s = self._seg[self._ptr[b] : self._ptr[b + 1]]
        px = lon * self.kx
        ax, ay = self.ax[s], self.ay[s]
        dx, dy = self.bx[s] - ax, self.by[s] - ay
        len2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (lat - ay) * dy) / np.where(len2 > 0, len2, 1.0), 0, 1)
        fx = ax + t * dx
        fy = ay + t * dy
        d2 = (fx - px) ** 2 + (fy - lat) ** 2
        k = int(np.argmin(d2))
        return int(self.owner[s[k]]), haversine_m(lon, lat, float(fx[k]) / self.kx, float(fy[k]))

    def _nearest_far(self, lon: float, lat: float) -> tuple[int, float]:
        p = shapely.Point(lon, lat)
        i = int(self._tree.query_nearest(p, all_matches=False)[0])
        foot = shapely.shortest_line(p, self.geoms[i]).coords[1]
        return i, haversine_m(lon, lat, foot[0], foot[1])
