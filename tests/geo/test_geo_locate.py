"""Locating points in Leshan: known places, borders, outside, datums, batch = single."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point

from dispatch_center.geography.bundled import leshan_areas, neighbour_areas
from geo.areas import Area, Tier
from geo.datum import gcj02_to_wgs84
from geo.locate import AreaIndex

# Town centres (WGS-84) of every county-level unit, from public maps.
KNOWN_PLACES = [
    ("511102", "市中区", 103.76, 29.55),
    ("511181", "峨眉山市", 103.48, 29.60),
    ("511123", "犍为县", 103.95, 29.21),
    ("511124", "井研县", 104.07, 29.65),
    ("511126", "夹江县", 103.57, 29.74),
    ("511129", "沐川县", 103.90, 28.96),
    ("511132", "峨边彝族自治县", 103.26, 29.23),
    ("511133", "马边彝族自治县", 103.55, 28.83),
    ("511113", "金口河区", 103.08, 29.24),
    ("511111", "沙湾区", 103.55, 29.41),
    ("511112", "五通桥区", 103.82, 29.41),
]


@pytest.mark.parametrize(("code", "name", "lon", "lat"), KNOWN_PLACES)
def test_known_places_land_in_their_county(
    leshan: AreaIndex, counties: dict[str, Area], code: str, name: str, lon: float, lat: float
) -> None:
    # The place is safely inside (over 2 km from the county's border), so the test is robust.
    assert counties[code].geometry.boundary.distance(Point(lon, lat)) > 0.02
    loc = leshan.locate(lon, lat)
    assert loc.inside
    assert [s.tier for s in loc.path] == [Tier.CITY, Tier.COUNTY, Tier.TOWNSHIP, Tier.VILLAGE]
    assert loc.path[0].code == "511100" and loc.path[0].name == "乐山市"
    assert (loc.path[1].code, loc.path[1].name) == (code, name)
    assert loc.path[2].code.startswith(code + "S") and loc.path[3].code.startswith(loc.path[2].code)
    assert loc.as_dict()["path"][1] == {"tier": 2, "code": code, "name": name}


def test_every_tier_present_and_synthetic_is_labelled(leshan: AreaIndex) -> None:
    counts = Counter(a.tier for a in leshan.areas())
    assert counts[Tier.CITY] == 1 and counts[Tier.COUNTY] == 11
    assert counts[Tier.VILLAGE] >= 2000
    for a in leshan.areas(Tier.TOWNSHIP) + leshan.areas(Tier.VILLAGE):
        assert a.synthetic and "网格" in a.name
    assert not any(a.synthetic for a in leshan.areas(Tier.COUNTY))


def test_synthetic_villages_tile_each_county(leshan: AreaIndex) -> None:
    for county in leshan.areas(Tier.COUNTY):
        villages = [
            a.geometry for a in leshan.areas(Tier.VILLAGE) if a.code.startswith(county.code)
        ]
        union = shapely.union_all(villages)
        assert union.symmetric_difference(county.geometry).area < 1e-9


def _shared_vertex(a: Area, b: Area, city: Area, others: list[Area]) -> tuple[float, float]:
    """A vertex on the border of exactly these two counties, away from the city's outline."""
    ca = {tuple(c) for c in shapely.get_coordinates(a.geometry).tolist()}
    cb = {tuple(c) for c in shapely.get_coordinates(b.geometry).tolist()}
    outline = city.geometry.boundary
    for x, y in sorted(ca & cb):
        p = Point(x, y)
        if outline.distance(p) > 0.01 and not any(o.geometry.distance(p) < 0.01 for o in others):
            return x, y
    raise AssertionError("no shared inner vertex")


@pytest.mark.parametrize(
    ("a", "b"),
    [("511102", "511111"), ("511123", "511129"), ("511132", "511133"), ("511112", "511124")],
)
def test_point_on_shared_border_takes_smallest_code(
    leshan: AreaIndex, counties: dict[str, Area], a: str, b: str
) -> None:
    city = leshan.area("511100")
    others = [c for code, c in counties.items() if code not in (a, b)]
    x, y = _shared_vertex(counties[a], counties[b], city, others)
    p = Point(x, y)
    assert counties[a].geometry.intersects(p) and counties[b].geometry.intersects(p)
    touching = sorted(v.code for v in leshan.areas(Tier.VILLAGE) if v.geometry.intersects(p))
    loc = leshan.locate(x, y)
    assert loc.inside
    assert loc.path[-1].code == touching[0]
    county = loc.step(Tier.COUNTY)
    assert county is not None and county.code == min(a, b)
    # Deterministic: the same answer in batch.
    batch = leshan.locate_many(np.array([x]), np.array([y]))
    assert batch.codes[Tier.VILLAGE][0] == touching[0]


@pytest.mark.parametrize(
    ("lon", "lat", "neighbour"),
    [
        (103.85, 29.95, "511400"),
        (104.0, 30.0, "511400"),
        (103.0, 28.3, "513400"),
        (104.3, 29.3, "510300"),
        (104.3, 28.8, "511500"),
        (102.85, 29.5, "511400"),
    ],
)
def test_outside_names_neighbour_and_nearest(
    leshan: AreaIndex, lon: float, lat: float, neighbour: str
) -> None:
    loc = leshan.locate(lon, lat)
    assert not loc.inside and loc.path == ()
    assert loc.neighbour is not None and loc.neighbour.code == neighbour
    assert next(a for a in neighbour_areas() if a.code == neighbour).geometry.contains(
        Point(lon, lat)
    )
    # Nearest county and distance, against an independent computation in UTM 48N metres.
    utm = pyproj.Transformer.from_crs(4326, 32648, always_xy=True)
    p = Point(*utm.transform(lon, lat))
    dists = {
        c.code: shapely.transform(
            c.geometry, lambda xy: np.column_stack(utm.transform(xy[:, 0], xy[:, 1]))
        ).distance(p)
        for c in leshan.areas(Tier.COUNTY)
    }
    best = min(dists, key=lambda k: dists[k])
    assert loc.nearest is not None and loc.nearest.code == best
    assert loc.distance_m == pytest.approx(dists[best], rel=0.005)
    d = loc.as_dict()
    assert d["inside"] is False and d["neighbour"]["code"] == neighbour
    assert d["nearest"]["tier"] == 2


@pytest.mark.parametrize("code", ["511400", "511800", "511500", "510300", "513400"])
def test_just_across_each_bordering_prefecture(leshan: AreaIndex, code: str) -> None:
    city = leshan.area("511100").geometry
    neighbour = next(a for a in neighbour_areas() if a.code == code)
    assert neighbour.geometry.distance(city) == 0  # they really share a border
    near = shapely.intersection(neighbour.geometry, city.buffer(0.02))
    p = near.representative_point()
    loc = leshan.locate(p.x, p.y)
    assert not loc.inside
    assert loc.neighbour is not None and (loc.neighbour.code, loc.neighbour.name) == (
        code,
        neighbour.name,
    )
    assert loc.distance_m is not None and loc.distance_m < 2500


def test_point_in_meishan_names_meishan(leshan: AreaIndex) -> None:
    loc = leshan.locate(103.85, 29.95)
    assert loc.neighbour is not None and loc.neighbour.name == "眉山市"


def test_far_away_point_has_no_neighbour_but_a_nearest(leshan: AreaIndex) -> None:
    loc = leshan.locate(116.4, 39.9)  # Beijing
    assert not loc.inside and loc.neighbour is None
    assert loc.nearest is not None and loc.distance_m is not None and loc.distance_m > 1.0e6


@pytest.mark.parametrize(("lon", "lat"), [(float("nan"), 29.5), (200.0, 29.5), (103.0, -95.0)])
def test_bad_coordinates_are_refused(leshan: AreaIndex, lon: float, lat: float) -> None:
    with pytest.raises(ValueError):
        leshan.locate(lon, lat)


def _county_truth(counties: dict[str, Area], lon: float, lat: float) -> str | None:
    hits = sorted(c for c, a in counties.items() if a.geometry.intersects(Point(lon, lat)))
    return hits[0] if hits else None


def test_point_routes_by_its_declared_datum(leshan: AreaIndex, counties: dict[str, Area]) -> None:
    """Search near county borders for a reading whose county differs between WGS and GCJ."""
    rng = np.random.default_rng(7)
    border = shapely.union_all([a.geometry.boundary for a in counties.values()])
    found = None
    for d in rng.uniform(0, border.length, 2000):
        pt = border.interpolate(d)
        lon, lat = pt.x + rng.uniform(-0.003, 0.003), pt.y + rng.uniform(-0.003, 0.003)
        as_wgs = _county_truth(counties, lon, lat)
        as_gcj = _county_truth(counties, *gcj02_to_wgs84(lon, lat))
        if as_wgs and as_gcj and as_wgs != as_gcj:
            found = (lon, lat, as_wgs, as_gcj)
            break
    assert found is not None
    lon, lat, as_wgs, as_gcj = found
    by_wgs = leshan.locate(lon, lat, "wgs84").step(Tier.COUNTY)
    by_gcj = leshan.locate(lon, lat, "gcj02").step(Tier.COUNTY)
    assert by_wgs is not None and by_wgs.code == as_wgs
    assert by_gcj is not None and by_gcj.code == as_gcj
    batch = leshan.locate_many([lon], [lat], "gcj02")
    assert batch.codes[Tier.COUNTY][0] == as_gcj


def test_batch_matches_single_and_brute_force(leshan: AreaIndex) -> None:
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = leshan.bounds
    x = rng.uniform(minx - 0.1, maxx + 0.1, 4000)
    y = rng.uniform(miny - 0.1, maxy + 0.1, 4000)
    batch = leshan.locate_many(x, y)
    villages = leshan.areas(Tier.VILLAGE)
    tree = shapely.STRtree([a.geometry for a in villages])
    qi, gi = tree.query(shapely.points(x, y), predicate="intersects")
    truth = [""] * x.size
    for q, g in sorted(
        zip(qi.tolist(), gi.tolist(), strict=True),
        key=lambda t: (t[0], villages[t[1]].code),
        reverse=True,
    ):
        truth[q] = villages[g].code
    assert batch.codes[Tier.VILLAGE].tolist() == truth
    for i in range(0, x.size, 7):
        loc = leshan.locate(float(x[i]), float(y[i]))
        assert loc.inside == bool(batch.inside[i])
        assert [s.code for s in loc.path] == [batch.codes[t][i] for t in Tier if batch.codes[t][i]]
        assert (loc.neighbour.code if loc.neighbour else "") == batch.neighbour[i]
        assert batch.location(i) == loc


def test_index_builds_in_well_under_two_seconds() -> None:
    areas = leshan_areas()
    t = time.perf_counter()
    AreaIndex(areas, neighbour_areas())
    assert time.perf_counter() - t < 2.0


def test_duplicate_codes_refused() -> None:
    a = leshan_areas()[1]
    with pytest.raises(ValueError, match="duplicate"):
        AreaIndex([a, a])


def test_feature_collection_keeps_shared_borders(leshan: AreaIndex) -> None:
    fc = leshan.feature_collection(Tier.COUNTY, simplify_deg=0.002)
    assert len(fc["features"]) == 11
    geoms = [shapely.geometry.shape(f["geometry"]) for f in fc["features"]]
    assert shapely.coverage_is_valid(shapely.GeometryCollection(geoms))
    assert sum(len(shapely.get_coordinates(g)) for g in geoms) < sum(
        len(shapely.get_coordinates(a.geometry)) for a in leshan.areas(Tier.COUNTY)
    )
