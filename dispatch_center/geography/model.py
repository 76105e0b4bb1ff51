"""The geography the center routes with: the area index, the duty catalogue and the
asset layers, held per process and swapped whole when an import or a rollback
changes them (orders keep the versions they were routed with).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import orjson
import shapely

from dispatch_center.geography.bundled import (
    leshan_areas,
    load_assets,
    load_catalogue,
    load_leshan,
    neighbour_areas,
    read_data_text,
)
from geo.areas import Area, Tier
from geo.assets import AssetIndex, AssetLayer
from geo.catalogue import DutyCatalogue, catalogue_from_rows
from geo.locate import AreaIndex
from geo.synthetic import subdivide


@dataclass(frozen=True)
class Geography:
    """One consistent set of areas, duty catalogue and asset layers."""

    index: AreaIndex
    catalogue: DutyCatalogue
    assets: AssetIndex
    asset_layers: tuple[AssetLayer, ...]
    area_version: str
    _areas_json: dict[tuple[int, float], bytes] = field(default_factory=dict, compare=False)
    #: Which stored versions this was built from: (tier-3 id, tier-4 id, catalogue label);
    #: empty for the built-in geography before the database was read.
    loaded_from: tuple[Any, ...] = field(default=(), compare=False)

    @cached_property
    def assets_json(self) -> bytes:
        """The asset layers as GeoJSON, for the map."""
        from shapely.geometry import mapping

        return orjson.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code": layer.code,
                            "name": layer.name,
                            "kind": str(layer.kind),
                            "buffer_m": layer.buffer_m,
                            "approximate": True,
                        },
                        "geometry": mapping(layer.geometry),
                    }
                    for layer in self.asset_layers
                ],
            }
        )

    def areas_json(self, tier: int, simplify_deg: float) -> bytes:
        """One tier as simplified GeoJSON, computed once per (tier, tolerance)."""
        key = (tier, simplify_deg)
        if key not in self._areas_json:
            self._areas_json[key] = orjson.dumps(self.index.feature_collection(tier, simplify_deg))
        return self._areas_json[key]

    @cached_property
    def city(self) -> Area:
        """The city the center serves: the one tier-1 area of the index."""
        cities = self.index.areas(Tier.CITY)
        if len(cities) != 1:
            raise ValueError(f"the geography holds {len(cities)} cities; it must hold one")
        return cities[0]

    @cached_property
    def counties(self) -> tuple[Area, ...]:
        """The city's county-level units, by code."""
        return tuple(sorted(self.index.areas(Tier.COUNTY), key=lambda a: a.code))

    def units(self) -> list[dict[str, Any]]:
        """Units implied by the areas (townships, villages) and the catalogue (departments)."""
        out: dict[str, dict[str, Any]] = {}
        for tier in (Tier.TOWNSHIP, Tier.VILLAGE):
            for a in self.index.areas(tier):
                out[a.code] = {
                    "code": a.code,
                    "name": a.name,
                    "tier": int(tier),
                    "kind": "township" if tier == Tier.TOWNSHIP else "village",
                    "parent_code": a.parent_code,
                    "county_code": a.code[:6],
                    "synthetic": a.synthetic,
                }
        for r in self.catalogue.rows:
            city = self.city.code
            if r.unit_code in out or r.unit_code.startswith(city + "."):
                continue
            parent = r.area_code if r.area_code and r.area_code in self.index else city
            county = parent[:6] if parent != city else None
            out[r.unit_code] = {
                "code": r.unit_code,
                "name": r.unit_name,
                "tier": 2 if int(r.tier) <= 2 else int(r.tier),
                "kind": "department",
                "parent_code": parent,
                "county_code": county,
                "synthetic": False,
            }
        # Parents before children, so foreign keys hold on insert.
        return sorted(out.values(), key=lambda u: (u["tier"], u["code"]))


def default_geography() -> Geography:
    """Leshan's real city and counties, the synthetic lower tiers, the default catalogue."""
    index = load_leshan()
    layers = load_assets()
    digest = hashlib.sha1(
        json.dumps(sorted(a.code for a in index.areas()), ensure_ascii=False).encode()
    ).hexdigest()[:10]
    return Geography(
        index=index,
        catalogue=load_catalogue(),
        assets=AssetIndex(layers),
        asset_layers=tuple(layers),
        area_version=f"builtin-{digest}",
    )


# --- geography built from stored versions (imports, catalogue edits) -----------------------

#: Side in degrees of the synthetic village grid laid over imported townships (≈2 km).
VILLAGE_GRID_DEG = 0.02
#: Uncovered parts of a parent smaller than this (deg², ≈1 m²) are digitising noise.
_REMAINDER_MIN_DEG2 = 1e-10


@dataclass(frozen=True)
class StoredTier:
    """The areas of one imported geofence version of tier 3 or 4."""

    version_id: int
    areas: tuple[Area, ...]


def bundled_catalogue_rows() -> list[dict[str, str]]:
    """The rows of ``geo/data/duty_catalogue.csv`` as written (``*`` templates unexpanded)."""
    return list(csv.DictReader(io.StringIO(read_data_text("duty_catalogue.csv"))))


def area_version_label(tier3: int | None, tier4: int | None) -> str | None:
    """The ``area_version`` of a composition; ``None`` when nothing imported is in use.

    Examples
    --------
    >>> area_version_label(7, None), area_version_label(None, None)
    ('geofences-t3.7-t4.synthetic', None)
    """
    if tier3 is None and tier4 is None:
        return None
    return f"geofences-t3.{tier3 or 'synthetic'}-t4.{tier4 or 'synthetic'}"


def _remainder(parent: Area, children: Sequence[Area], tier: Tier) -> Area | None:
    """The part of ``parent`` no imported child covers, as one synthetic area.

    Without it a point in a gap between imported areas would look outside Leshan: the
    index only places points in leaves, and the parent is no longer a leaf.
    """
    rest = shapely.difference(parent.geometry, shapely.union_all([c.geometry for c in children]))
    parts = [p for p in shapely.get_parts(rest) if p.geom_type == "Polygon" and not p.is_empty]
    if not parts or sum(p.area for p in parts) < _REMAINDER_MIN_DEG2:
        return None
    return Area(
        f"{parent.code}R",
        f"{parent.name} 未划分区域",
        tier,
        parent.code,
        shapely.union_all(parts),
        synthetic=True,
    )


def _grid_villages(township: Area) -> list[Area]:
    """A synthetic village grid over one township (the townships tier of ``subdivide``
    run on the township with a finer cell, moved one tier down).
    """
    return [
        Area(a.code, a.name, Tier.VILLAGE, township.code, a.geometry, synthetic=True)
        for a in subdivide([township], township_deg=VILLAGE_GRID_DEG, village_split=1)
        if a.tier == Tier.TOWNSHIP
    ]


def compose_areas(
    tier3: StoredTier | None, tier4: StoredTier | None
) -> tuple[list[Area], int | None, int | None]:
    """Leshan's city and counties plus the imported tiers, synthetic where nothing is imported.

    A county with imported townships gets those plus its uncovered remainder; a county with
    none keeps its synthetic grid. Likewise one tier down. A tier-4 version whose parents
    are not all among the tier-3 areas in use (tier 3 was rolled back under it) is not
    used. Returns the areas and the version ids actually in use for tiers 3 and 4.
    """
    top = list(leshan_areas(synthetic=False))
    counties = [a for a in top if a.tier == Tier.COUNTY]
    synthetic = subdivide(counties)
    synthetic_codes = {a.code for a in synthetic}

    townships: list[Area] = []
    imported3 = _by_parent(tier3.areas if tier3 else ())
    for county in counties:
        mine = imported3.get(county.code)
        if mine:
            rest = _remainder(county, mine, Tier.TOWNSHIP)
            townships += [*mine, *([rest] if rest else [])]
        else:
            townships += [
                a for a in synthetic if a.tier == Tier.TOWNSHIP and a.parent_code == county.code
            ]

    codes3 = {a.code for a in townships}
    use4 = tier4 is not None and all(a.parent_code in codes3 for a in tier4.areas)
    imported4 = _by_parent(tier4.areas if (tier4 and use4) else ())
    villages: list[Area] = []
    for town in townships:
        mine = imported4.get(town.code)
        if mine:
            rest = _remainder(town, mine, Tier.VILLAGE)
            villages += [*mine, *([rest] if rest else [])]
        elif town.code in synthetic_codes:
            villages += [
                a for a in synthetic if a.tier == Tier.VILLAGE and a.parent_code == town.code
            ]
        else:
            villages += _grid_villages(town)
    used3 = tier3.version_id if tier3 else None
    used4 = tier4.version_id if (tier4 and use4) else None
    return [*top, *townships, *villages], used3, used4


def _by_parent(areas: Sequence[Area]) -> dict[str | None, list[Area]]:
    out: dict[str | None, list[Area]] = {}
    for a in areas:
        out.setdefault(a.parent_code, []).append(a)
    return out


def geography_from_versions(
    tier3: StoredTier | None,
    tier4: StoredTier | None,
    catalogue_rows: Sequence[Mapping[str, str]] | None = None,
    catalogue_version: str | None = None,
    loaded_from: tuple[Any, ...] = (),
) -> Geography:
    """The geography of stored versions; the built-in one when nothing is imported.

    The index is built eagerly here (≈1-2 s), so call it off the event loop.

    Parameters
    ----------
    tier3, tier4
        The active imported versions, or ``None`` for the synthetic grid.
    catalogue_rows, catalogue_version
        The duty catalogue in force as CSV-shaped rows (``*`` templates are expanded over
        the composed areas); ``None`` for the bundled one.
    loaded_from
        Which stored versions these are (kept on the result to skip needless rebuilds).

    Examples
    --------
    >>> geo = geography_from_versions(None, None)  # doctest: +SKIP
    >>> geo.area_version.startswith("builtin-")  # doctest: +SKIP
    True
    """
    base = default_geography()
    same_catalogue = catalogue_rows is None or catalogue_version == base.catalogue.version
    if tier3 is None and tier4 is None:
        if same_catalogue:
            return replace(base, loaded_from=loaded_from)
        assert catalogue_version is not None and catalogue_rows is not None
        catalogue = catalogue_from_rows(catalogue_rows, catalogue_version, base.index.areas())
        return replace(base, catalogue=catalogue, _areas_json={}, loaded_from=loaded_from)
    areas, used3, used4 = compose_areas(tier3, tier4)
    index = AreaIndex(areas, neighbour_areas())
    rows = bundled_catalogue_rows() if catalogue_rows is None else catalogue_rows
    version = catalogue_version or base.catalogue.version
    return Geography(
        index=index,
        catalogue=catalogue_from_rows(rows, version, index.areas()),
        assets=base.assets,
        asset_layers=base.asset_layers,
        area_version=area_version_label(used3, used4) or base.area_version,
        loaded_from=loaded_from,
    )
