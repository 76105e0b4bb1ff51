"""The geography the center routes with: the area index, the duty catalogue and the
asset layers, held per process and swapped whole when an import or a rollback
changes them (orders keep the versions they were routed with)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from dispatch_center.geography import load_assets, load_catalogue, load_leshan
from geo.areas import Tier
from geo.assets import AssetIndex, AssetLayer
from geo.catalogue import DutyCatalogue
from geo.locate import AreaIndex

CITY_CODE = "511100"


@dataclass(frozen=True)
class Geography:
    """One consistent set of areas, duty catalogue and asset layers."""

    index: AreaIndex
    catalogue: DutyCatalogue
    assets: AssetIndex
    asset_layers: tuple[AssetLayer, ...]
    area_version: str
    _areas_json: dict[tuple[int, float], bytes] = field(default_factory=dict, compare=False)

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
            if r.unit_code in out or r.unit_code.startswith(CITY_CODE + "."):
                continue
            parent = r.area_code if r.area_code and r.area_code in self.index else CITY_CODE
            county = parent[:6] if parent != CITY_CODE else None
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
