"""Check a geofence import before it is applied: repair, overlaps, gaps, strays, duplicates.

Pure: it takes geometries already read (and already in WGS-84) and returns a structured report
plus the repaired areas. The caller (``dispatch-center geofences import``) reads the file,
transforms the datum, prints the report and applies the import as a new version only when
``report.ok``. Areas in m² are measured on a local equirectangular plane, accurate to well
under 1 % at the scale of a city.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo.areas import Area, Tier

__all__ = [
    "Candidate",
    "Gap",
    "ImportCheck",
    "Overlap",
    "Repair",
    "Stray",
    "ValidationReport",
    "candidates_from_frame",
    "validate_import",
]

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in m² of a lon/lat geometry (local equirectangular).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(area_m2(box(103.0, 29.0, 103.01, 29.01)) / 1e6, 3)
    1.077
    """
    if geom.is_empty:
        return 0.0
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    k = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0)) * _M_PER_DEG_LAT
    return float(geom.area * k)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One feature of an import, before checks."""

    code: str
    name: str
    parent_code: str | None
    geometry: BaseGeometry | None


@dataclass(frozen=True, slots=True)
class Repair:
    """An invalid geometry that was repaired with ``shapely.make_valid``."""

    code: str
    problem: str
    area_change_m2: float


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two siblings that overlap."""

    a: str
    b: str
    area_m2: float


@dataclass(frozen=True, slots=True)
class Gap:
    """Part of a parent covered by none of its children (or a hole between siblings)."""

    parent: str | None
    area_m2: float
    near: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Stray:
    """A child that reaches outside its parent."""

    code: str
    parent: str
    outside_m2: float
    outside_share: float


@dataclass(frozen=True)
class ValidationReport:
    """What an import check found. ``errors`` block the import; the rest are reported."""

    count: int
    repaired: tuple[Repair, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    gaps: tuple[Gap, ...] = ()
    strays: tuple[Stray, ...] = ()
    duplicates: tuple[str, ...] = ()
    missing_parents: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import (duplicates and unusable geometry do)."""
        return not (self.errors or self.duplicates or self.missing_parents)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for the CLI summary and the API."""
        return {
            "ok": self.ok,
            "count": self.count,
            "repaired": [_slots(r) for r in self.repaired],
            "overlaps": [_slots(o) for o in self.overlaps],
            "gaps": [_slots(g) for g in self.gaps],
            "strays": [_slots(s) for s in self.strays],
            "duplicates": list(self.duplicates),
            "missing_parents": list(self.missing_parents),
            "errors": list(self.errors),
        }


def _slots(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


@dataclass(frozen=True)
class ImportCheck:
    """The report and, when ``report.ok``, the repaired areas ready to index."""

    report: ValidationReport
    areas: tuple[Area, ...] = field(default=())


def candidates_from_frame(
    frame: Any, code_field: str, name_field: str, parent_field: str | None
) -> list[Candidate]:
    """Turn a (Geo)DataFrame-like object into candidates (duck-typed: no geopandas import).

    Examples
    --------
    >>> import geopandas
    >>> from shapely.geometry import box
    >>> gdf = geopandas.GeoDataFrame({"c": [1], "n": ["甲"], "p": ["511102"]},
    ...                              geometry=[box(0, 0, 1, 1)])
    >>> candidates_from_frame(gdf, "c", "n", "p")[0].code
    '1'
    """
    codes = [str(v) for v in frame[code_field]]
    names = [str(v) for v in frame[name_field]]
    if parent_field is None:
        parents: list[str | None] = [None] * len(codes)
    else:
        parents = [None if _missing(v) else str(v) for v in frame[parent_field]]
    geoms = list(frame.geometry)
    return [Candidate(c, n, p, g) for c, n, p, g in zip(codes, names, parents, geoms, strict=True)]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == ""


def _repair(c: Candidate, errors: list[str], repaired: list[Repair]) -> BaseGeometry | None:
    g = c.geometry
    if g is None or g.is_empty:
        errors.append(f"{c.code}: empty geometry")
        return None
    if not g.is_valid:
        problem = explain_validity(g)
        fixed = shapely.make_valid(g)
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(parts) if parts else shapely.Polygon()
        repaired.append(Repair(c.code, problem, area_m2(fixed) - area_m2(g.buffer(0))))
        g = fixed
    if g.geom_type not in ("Polygon", "MultiPolygon") or g.is_empty:
        errors.append(f"{c.code}: geometry is {g.geom_type}, not a polygon")
        return None
    return g


def validate_import(
    candidates: Iterable[Candidate],
    tier: Tier | int,
    parents: Mapping[str, BaseGeometry] | None = None,
    *,
    tolerance_m2: float = 1.0,
) -> ImportCheck:
    """Check and repair a set of areas of one tier.

    Parameters
    ----------
    candidates
        The features of the import.
    tier
        The tier they are imported as.
    parents
        Geometry of every allowed parent by code (the tier above); when given, missing
        parents, gaps inside each parent and strays outside it are reported.
    tolerance_m2
        Overlaps, gaps and strays smaller than this are noise from digitising and ignored.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> rows = [Candidate("a", "甲", "P", box(0, 0, 0.6, 1)),
    ...         Candidate("b", "乙", "P", box(0.5, 0, 1, 1))]
    >>> check = validate_import(rows, Tier.TOWNSHIP, {"P": box(0, 0, 1, 1)})
    >>> check.report.ok, [(o.a, o.b) for o in check.report.overlaps]
    (True, [('a', 'b')])
    """
    tier = Tier(tier)
    items = list(candidates)
    errors: list[str] = []
    repaired: list[Repair] = []
    counts = Counter(c.code for c in items)
    duplicates = tuple(sorted(code for code, n in counts.items() if n > 1))
    missing: set[str] = set()
    geoms: dict[str, BaseGeometry] = {}
    kept: list[Candidate] = []
    for c in items:
        g = _repair(c, errors, repaired)
        if g is None:
            continue
        if parents is not None and (c.parent_code is None or c.parent_code not in parents):
            missing.add(f"{c.code}->{c.parent_code}")
        geoms.setdefault(c.code, g)
        kept.append(c)

    by_parent: dict[str | None, list[str]] = defaultdict(list)
    for c in kept:
        if c.code not in by_parent[c.parent_code]:
            by_parent[c.parent_code].append(c.code)

    overlaps: list[Overlap] = []
    gaps: list[Gap] = []
    strays: list[Stray] = []
    for parent, codes in sorted(by_parent.items(), key=lambda kv: str(kv[0])):
        arr = np.asarray([geoms[c] for c in codes], dtype=object)
        tree = shapely.STRtree(arr)
        left, right = tree.query(arr, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i < j:
                a = area_m2(shapely.intersection(arr[i], arr[j]))
                if a > tolerance_m2:
                    first, second = sorted((codes[i], codes[j]))
                    overlaps.append(Overlap(first, second, a))
        union = shapely.union_all(arr)
        pgeom = parents.get(parent) if (parents is not None and parent is not None) else None
        if pgeom is not None:
            holes = shapely.difference(pgeom, union)
            for code, g in zip(codes, arr, strict=True):
                out = area_m2(shapely.difference(g, pgeom))
                if out > tolerance_m2:
                    strays.append(Stray(code, parent or "", out, out / max(area_m2(g), 1e-9)))
        else:
            # Without the parent, only holes enclosed by the siblings are sure to be gaps.
            interiors = [shapely.Polygon(r) for p in shapely.get_parts(union) for r in p.interiors]
            holes = shapely.union_all(interiors) if interiors else shapely.Polygon()
        for part in shapely.get_parts(holes):
            a = area_m2(part)
            if a > tolerance_m2:
                pt = part.representative_point()
                gaps.append(Gap(parent, a, (round(pt.x, 6), round(pt.y, 6))))

    report = ValidationReport(
        count=len(items),
        repaired=tuple(repaired),
        overlaps=tuple(sorted(overlaps, key=lambda o: (o.a, o.b))),
        gaps=tuple(gaps),
        strays=tuple(strays),
        duplicates=duplicates,
        missing_parents=tuple(sorted(missing)),
        errors=tuple(errors),
    )
    areas: Sequence[Area] = ()
    if report.ok:
        areas = [Area(c.code, c.name, tier, c.parent_code, geoms[c.code]) for c in kept]
    return ImportCheck(report, tuple(areas))
