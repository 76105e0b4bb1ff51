"""Import checks: repairs, overlaps, gaps, strays, duplicates, missing parents."""

from __future__ import annotations

import geopandas
import pytest
from shapely.geometry import Polygon, box

from geo.areas import Tier
from geo.validate import Candidate, area_m2, candidates_from_frame, validate_import

PARENT = {"P": box(103.0, 29.0, 103.1, 29.1)}
BOWTIE = Polygon([(103.0, 29.0), (103.05, 29.05), (103.05, 29.0), (103.0, 29.05)])


def test_clean_tiling_passes() -> None:
    rows = [
        Candidate("a", "甲", "P", box(103.0, 29.0, 103.05, 29.1)),
        Candidate("b", "乙", "P", box(103.05, 29.0, 103.1, 29.1)),
    ]
    check = validate_import(rows, Tier.TOWNSHIP, PARENT)
    r = check.report
    assert r.ok and not (r.overlaps or r.gaps or r.strays or r.repaired)
    assert [a.code for a in check.areas] == ["a", "b"]
    assert all(a.tier == Tier.TOWNSHIP for a in check.areas)


def test_invalid_geometry_is_repaired_and_reported() -> None:
    check = validate_import([Candidate("x", "坏", "P", BOWTIE)], Tier.TOWNSHIP, PARENT)
    assert check.report.ok
    (rep,) = check.report.repaired
    assert rep.code == "x" and "Self-intersection" in rep.problem
    assert check.areas[0].geometry.is_valid


def test_overlap_gap_and_stray_are_measured() -> None:
    rows = [
        Candidate("a", "甲", "P", box(103.0, 29.0, 103.06, 29.1)),  # overlaps b by 0.01°
        Candidate("b", "乙", "P", box(103.05, 29.0, 103.09, 29.1)),  # leaves 0.01° gap east
        Candidate("c", "丙", "P", box(103.09, 29.05, 103.12, 29.1)),
    ]  # strays east of P
    r = validate_import(rows, Tier.TOWNSHIP, PARENT).report
    assert r.ok
    assert [(o.a, o.b) for o in r.overlaps] == [("a", "b")]
    assert r.overlaps[0].area_m2 == pytest.approx(
        area_m2(box(103.05, 29.0, 103.06, 29.1)), rel=1e-6
    )
    (gap,) = r.gaps
    assert gap.parent == "P"
    assert gap.area_m2 == pytest.approx(area_m2(box(103.09, 29.0, 103.1, 29.05)), rel=1e-6)
    (stray,) = r.strays
    assert stray.code == "c" and stray.parent == "P"
    assert stray.outside_share == pytest.approx(2 / 3, rel=1e-3)


def test_duplicates_and_missing_parents_block() -> None:
    rows = [
        Candidate("a", "甲", "P", box(103.0, 29.0, 103.05, 29.1)),
        Candidate("a", "甲2", "P", box(103.05, 29.0, 103.1, 29.1)),
        Candidate("z", "无", "Q", box(103.0, 29.0, 103.01, 29.01)),
    ]
    check = validate_import(rows, Tier.TOWNSHIP, PARENT)
    assert not check.report.ok
    assert check.report.duplicates == ("a",)
    assert check.report.missing_parents == ("z->Q",)
    assert check.areas == ()
    assert check.report.as_dict()["duplicates"] == ["a"]


def test_empty_and_non_polygon_geometry_are_errors() -> None:
    rows = [
        Candidate("e", "空", "P", Polygon()),
        Candidate("l", "线", "P", box(0, 0, 1, 1).boundary),
    ]
    r = validate_import(rows, Tier.TOWNSHIP, PARENT).report
    assert not r.ok and len(r.errors) == 2


def test_gap_between_siblings_without_parent() -> None:
    ring = box(103.0, 29.0, 103.1, 29.1).difference(box(103.04, 29.04, 103.06, 29.06))
    r = validate_import([Candidate("r", "环", None, ring)], Tier.TOWNSHIP).report
    assert len(r.gaps) == 1 and r.gaps[0].parent is None


def test_reads_a_geodataframe() -> None:
    gdf = geopandas.GeoDataFrame(
        {"code": ["511102001", "511102002"], "name": ["甲街道", "乙街道"], "county": ["P", None]},
        geometry=[box(103.0, 29.0, 103.05, 29.1), box(103.05, 29.0, 103.1, 29.1)],
        crs="EPSG:4326",
    )
    cands = candidates_from_frame(gdf, "code", "name", "county")
    assert [c.parent_code for c in cands] == ["P", None]
    assert validate_import(cands, 3, PARENT).report.missing_parents == ("511102002->None",)
