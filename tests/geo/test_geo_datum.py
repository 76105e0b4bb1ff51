"""WGS-84 ⇄ GCJ-02: round trips under 1 m over Leshan, batch equals scalar."""

from __future__ import annotations

import numpy as np
import pytest

from geo.datum import (
    Datum,
    gcj02_to_wgs84,
    gcj02_to_wgs84_many,
    to_internal,
    to_internal_many,
    wgs84_to_gcj02,
    wgs84_to_gcj02_many,
)
from geo.distance import haversine_m

LONS = np.linspace(102.9, 104.3, 15)
LATS = np.linspace(28.4, 29.95, 15)
GRID = [(float(x), float(y)) for x in LONS for y in LATS]


@pytest.mark.parametrize(("lon", "lat"), GRID)
def test_round_trip_under_one_metre(lon: float, lat: float) -> None:
    g = wgs84_to_gcj02(lon, lat)
    w = gcj02_to_wgs84(*g)
    assert haversine_m(lon, lat, *w) < 1.0
    # and the other way round: a GCJ reading back to GCJ
    g2 = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert haversine_m(lon, lat, *g2) < 1.0


def test_offset_is_hundreds_of_metres_in_leshan() -> None:
    offsets = [haversine_m(lon, lat, *wgs84_to_gcj02(lon, lat)) for lon, lat in GRID]
    assert min(offsets) > 100 and max(offsets) < 1000


def test_outside_china_is_unchanged() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_vectorised_matches_scalar() -> None:
    lon = np.array([p[0] for p in GRID])
    lat = np.array([p[1] for p in GRID])
    g_lon, g_lat = wgs84_to_gcj02_many(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84_many(g_lon, g_lat)
    for i, (x, y) in enumerate(GRID):
        sx, sy = wgs84_to_gcj02(x, y)
        assert g_lon[i] == pytest.approx(sx, abs=1e-12)
        assert g_lat[i] == pytest.approx(sy, abs=1e-12)
    err = [
        haversine_m(x, y, float(a), float(b))
        for (x, y), a, b in zip(GRID, w_lon, w_lat, strict=True)
    ]
    assert max(err) < 1.0


def test_to_internal_by_declared_datum() -> None:
    assert to_internal(103.77, 29.54, Datum.wgs84) == (103.77, 29.54)
    assert to_internal(103.77, 29.54, "gcj02") == gcj02_to_wgs84(103.77, 29.54)
    lo, la = to_internal_many([103.77], [29.54], "gcj02")
    assert (float(lo[0]), float(la[0])) == pytest.approx(gcj02_to_wgs84(103.77, 29.54))
    with pytest.raises(ValueError):
        to_internal(103.77, 29.54, "bd09")
