"""Locate a point: the tier path city → county → township → village, in microseconds.

Border rule
-----------
Areas are closed sets: a point on a border is in every area it touches. Among the deepest
areas (leaves) that contain or touch the point, the one with the **smallest code** wins, and
the path is that leaf's chain of parents, so the tiers of a path never disagree. Codes are
hierarchical (a village code starts with its county's), so on a county border this is also
the smallest county code. Leshan's areas take precedence over the neighbouring prefectures: a
point on the city's outer border is inside Leshan.

How it is fast
--------------
At build time the leaves and the neighbouring prefectures are burnt into a ~100 m lookup grid
(:class:`geo.lookup_grid.LookupGrid`); cells crossed by a border keep a short list of
candidates tested exactly with prepared geometries. One STRtree of prepared geometries per tier
serves points beyond the grid and per-tier queries. The result for a point inside is a
precomputed, immutable :class:`Location` per leaf.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.areas import Area, PathStep, Tier
from geo.datum import Datum, to_internal, to_internal_many
from geo.lookup_grid import LookupGrid
from geo.outline import OutlineDistance

__all__ = ["AreaIndex", "LocateBatch", "Location"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a point is: inside Leshan with its tier path, or outside with what is nearby.

    Examples
    --------
    >>> loc = Location(True, (PathStep(Tier.CITY, "511100", "乐山市"),))
    >>> loc.as_dict()["path"]
    [{'tier': 1, 'code': '511100', 'name': '乐山市'}]
    """

    inside: bool
    path: tuple[PathStep, ...] = ()
    nearest: PathStep | None = None
    distance_m: float | None = None
    neighbour: PathStep | None = None

    def step(self, tier: Tier) -> PathStep | None:
        """The path's step at ``tier``, if any.

        Examples
        --------
        >>> Location(False).step(Tier.COUNTY) is None
        True
        """
        for s in self.path:
            if s.tier == tier:
                return s
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of ``GET /api/v1/geo/locate``: ``inside``, ``path`` and, outside,
        ``nearest``, ``distance_m`` (rounded to 0.1 m) and ``neighbour``.

        Examples
        --------
        >>> Location(False, (), PathStep(Tier.COUNTY, "511181", "峨眉山市"), 1234.56).as_dict()
        ... # doctest: +NORMALIZE_WHITESPACE
        {'inside': False, 'path': [],
         'nearest': {'tier': 2, 'code': '511181', 'name': '峨眉山市'},
         'distance_m': 1234.6, 'neighbour': None}
        """
        out: dict[str, Any] = {
            "inside": self.inside,
            "path": [s.as_dict() for s in self.path],
        }
        if not self.inside:
            out["nearest"] = self.nearest.as_dict() if self.nearest else None
            out["distance_m"] = round(self.distance_m, 1) if self.distance_m is not None else None
            out["neighbour"] = self.neighbour.as_dict() if self.neighbour else None
        return out


@dataclass(frozen=True)
class LocateBatch:
    """Result of :meth:`AreaIndex.locate_many`: one entry per input point.

    ``codes[tier]`` is an object array of area codes (``""`` where the point has no area of
    that tier); ``neighbour`` holds the neighbouring prefecture's code for points outside.
    Distances to the nearest area are not computed in batch; :meth:`location` gives them.
    """

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    inside: npt.NDArray[np.bool_]
    leaf: npt.NDArray[np.int32]
    codes: Mapping[Tier, npt.NDArray[np.object_]]
    neighbour: npt.NDArray[np.object_]
    _index: AreaIndex = field(repr=False)

    def __len__(self) -> int:
        return int(self.inside.size)

    def location(self, i: int) -> Location:
        """The full :class:`Location` of point ``i``."""
        return self._index.locate(float(self.lon[i]), float(self.lat[i]))


class AreaIndex:
    """All areas of the four tiers, indexed for locating points; built eagerly.

    Parameters
    ----------
    areas
        Areas of any tiers forming a hierarchy by ``parent_code`` (an area whose parent is not
        among them is a root). Codes must be unique.
    neighbours
        Outlines of the neighbouring prefectures, used only to name where an outside point is.
    cell_deg
        Lookup-grid cell side in degrees.
    margin_deg
        How far beyond the areas' bounds the lookup grid reaches.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> idx = AreaIndex([
    ...     Area("1", "市", Tier.CITY, None, box(0, 0, 2, 1)),
    ...     Area("11", "甲县", Tier.COUNTY, "1", box(0, 0, 1, 1)),
    ...     Area("12", "乙县", Tier.COUNTY, "1", box(1, 0, 2, 1)),
    ... ], cell_deg=0.05)
    >>> [s.code for s in idx.locate(1.5, 0.5).path]
    ['1', '12']
    >>> idx.locate(1.0, 0.5).step(Tier.COUNTY).code  # on the border: smallest code
    '11'
    >>> idx.locate(2.5, 0.5).nearest.code
    '12'
    """

    def __init__(
        self,
        areas: Iterable[Area],
        neighbours: Iterable[Area] = (),
        *,
        cell_deg: float = 0.001,
        margin_deg: float = 0.05,
    ) -> None:
        self._by_code: dict[str, Area] = {}
        for a in areas:
            if a.code in self._by_code:
                raise ValueError(f"duplicate area code {a.code!r}")
            self._by_code[a.code] = a
        if not self._by_code:
            raise ValueError("no areas to index")
        self.neighbours = sorted(neighbours, key=lambda a: a.code)
        has_children = {a.parent_code for a in self._by_code.values()}
        self.leaves: list[Area] = sorted(
            (a for a in self._by_code.values() if a.code not in has_children),
            key=lambda a: a.code,
        )
        self.tiers: dict[Tier, list[Area]] = {}
        for a in sorted(self._by_code.values(), key=lambda a: (a.tier, a.code)):
            self.tiers.setdefault(a.tier, []).append(a)
        self.trees: dict[Tier, shapely.STRtree] = {}
        for tier, members in self.tiers.items():
            geoms = np.asarray([a.geometry for a in members], dtype=object)
            shapely.prepare(geoms)
            self.trees[tier] = shapely.STRtree(geoms)

        self._paths: list[tuple[PathStep, ...]] = [self.path_of(a.code) for a in self.leaves]
        self._leaf_locations = [Location(True, p) for p in self._paths]
        self._n_leaves = len(self.leaves)
        self._neighbour_steps = [PathStep(Tier.CITY, a.code, a.name) for a in self.neighbours]
        region_geoms = [a.geometry for a in self.leaves] + [a.geometry for a in self.neighbours]
        minx, miny, maxx, maxy = shapely.total_bounds(
            np.asarray([a.geometry for a in self.leaves], dtype=object)
        )
        self.bounds = (float(minx), float(miny), float(maxx), float(maxy))
        self.grid = LookupGrid(
            region_geoms,
            (minx - margin_deg, miny - margin_deg, maxx + margin_deg, maxy + margin_deg),
            cell_deg,
        )
        self._full_regions = np.asarray(region_geoms, dtype=object)
        shapely.prepare(self._full_regions)
        self._region_tree = shapely.STRtree(self._full_regions)

        # "Nearest" names the county-level area (tier 2, or the shallowest tier present).
        self.nearest_tier = Tier.COUNTY if Tier.COUNTY in self.tiers else min(self.tiers)
        near = self.tiers[self.nearest_tier]
        self._nearest_steps = [a.step for a in near]
        self._outline = OutlineDistance([a.geometry for a in near])

        # Per-tier code of each region id (+1 slot for "none" at the end, reached by -1).
        self._tier_codes: dict[Tier, npt.NDArray[np.object_]] = {}
        for tier in Tier:
            col = [""] * (len(region_geoms) + 1)
            for i, path in enumerate(self._paths):
                for s in path:
                    if s.tier == tier:
                        col[i] = s.code
            self._tier_codes[tier] = np.asarray(col, dtype=object)
        nb = [""] * (self._n_leaves) + [a.code for a in self.neighbours] + [""]
        self._neighbour_codes = np.asarray(nb, dtype=object)

    # --- lookup of areas -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def area(self, code: str) -> Area:
        """The area with this code (``KeyError`` if unknown)."""
        return self._by_code[code]

    def areas(self, tier: Tier | int | None = None) -> list[Area]:
        """Areas of one tier (or all), ordered by code.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> AreaIndex([Area("1", "市", Tier.CITY, None, box(0, 0, 1, 1))]).areas(1)[0].name
        '市'
        """
        if tier is None:
            return [a for t in sorted(self.tiers) for a in self.tiers[t]]
        return list(self.tiers.get(Tier(tier), []))

    def path_of(self, code: str) -> tuple[PathStep, ...]:
        """The tier path from the root down to the area ``code``."""
        steps: list[PathStep] = []
        seen: set[str] = set()
        cur: str | None = code
        while cur is not None and cur in self._by_code:
            if cur in seen:
                raise ValueError(f"cycle in area parents at {cur!r}")
            seen.add(cur)
            a = self._by_code[cur]
            steps.append(a.step)
            cur = a.parent_code
        return tuple(reversed(steps))

    # --- locating points -------------------------------------------------------------------

    def _region_slow(self, lon: float, lat: float) -> int:
        hits = self._region_tree.query(shapely.Point(lon, lat), predicate="intersects")
        return int(hits.min()) if hits.size else LookupGrid.NONE

    def locate(self, lon: float, lat: float, datum: Datum | str = Datum.wgs84) -> Location:
        """Locate one point.

        Parameters
        ----------
        lon, lat
            Coordinates in degrees, in ``datum``.
        datum
            The datum the point was declared in; converted to WGS-84 before locating.

        Raises
        ------
        ValueError
            For coordinates that are not finite or out of range.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> idx = AreaIndex([Area("1", "市", Tier.CITY, None, box(0, 0, 1, 1))], cell_deg=0.1)
        >>> idx.locate(0.5, 0.5).inside, idx.locate(1.5, 0.5).inside
        (True, False)
        """
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"coordinates out of range: lon={lon!r}, lat={lat!r}")
        if datum != "wgs84":
            lon, lat = to_internal(lon, lat, datum)
        rid = self.grid.lookup(lon, lat)
        if rid == LookupGrid.NOT_COVERED:
            rid = self._region_slow(lon, lat)
        if 0 <= rid < self._n_leaves:
            return self._leaf_locations[rid]
        neighbour = self._neighbour_steps[rid - self._n_leaves] if rid >= 0 else None
        owner, metres = self._outline.nearest(lon, lat)
        return Location(False, (), self._nearest_steps[owner], metres, neighbour)

    def locate_many(
        self,
        lons: npt.ArrayLike,
        lats: npt.ArrayLike,
        datum: Datum | str = Datum.wgs84,
    ) -> LocateBatch:
        """Locate many points at once (vectorised; millions per second).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> idx = AreaIndex([
        ...     Area("1", "市", Tier.CITY, None, box(0, 0, 2, 1)),
        ...     Area("11", "甲县", Tier.COUNTY, "1", box(0, 0, 1, 1)),
        ... ], cell_deg=0.1)
        >>> b = idx.locate_many([0.5, 1.5, 5.0], [0.5, 0.5, 0.5])
        >>> b.inside.tolist(), b.codes[Tier.COUNTY].tolist(), b.codes[Tier.CITY].tolist()
        ([True, False, False], ['11', '', ''], ['1', '', ''])
        """
        x, y = to_internal_many(lons, lats, datum)
        x = np.ascontiguousarray(x, dtype=np.float64).ravel()
        y = np.ascontiguousarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("lons and lats differ in length")
        if not (np.all(np.abs(x) <= 180.0) and np.all(np.abs(y) <= 90.0)):
            raise ValueError("coordinates out of range or not finite")
        rid = self.grid.lookup_many(x, y)
        far = np.flatnonzero(rid == LookupGrid.NOT_COVERED)
        if far.size:
            qi, gi = self._region_tree.query(shapely.points(x[far], y[far]), predicate="intersects")
            rid[far] = LookupGrid.NONE
            if qi.size:
                best = np.full(far.size, np.iinfo(np.int64).max)
                np.minimum.at(best, qi, gi)
                got = best < np.iinfo(np.int64).max
                rid[far[got]] = best[got]
        # -1 ("none") indexes the extra last slot of the code tables.
        leaf = np.where(rid < self._n_leaves, rid, -1).astype(np.int32)
        codes = {tier: table[leaf] for tier, table in self._tier_codes.items()}
        return LocateBatch(
            lon=x,
            lat=y,
            inside=leaf >= 0,
            leaf=leaf,
            codes=codes,
            neighbour=self._neighbour_codes[rid],
            _index=self,
        )

    def feature_collection(self, tier: Tier | int, simplify_deg: float = 0.0) -> dict[str, Any]:
        """The areas of one tier as a GeoJSON FeatureCollection (for the map).

        ``simplify_deg`` > 0 simplifies with ``shapely.coverage_simplify`` so borders shared
        between siblings stay shared (no slivers on the map).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> idx = AreaIndex([Area("1", "市", Tier.CITY, None, box(0, 0, 1, 1))])
        >>> idx.feature_collection(1)["features"][0]["properties"]["code"]
        '1'
        """
        members = self.areas(tier)
        geoms: Sequence[BaseGeometry] = [a.geometry for a in members]
        if simplify_deg > 0 and geoms:
            geoms = list(shapely.coverage_simplify(np.asarray(geoms, dtype=object), simplify_deg))
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "code": a.code,
                        "name": a.name,
                        "tier": int(a.tier),
                        "parent": a.parent_code,
                        "synthetic": a.synthetic,
                    },
                    "geometry": mapping(g),
                }
                for a, g in zip(members, geoms, strict=True)
            ],
        }
