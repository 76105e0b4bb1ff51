"""Importing tiers 3/4 through the service: report, refusal, datums, formats, versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely

from dispatch_center.accounts.security import Principal
from dispatch_center.core.roles import Role
from dispatch_center.geography import geofences
from dispatch_center.models import OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.store import geofences as store
from geo.areas import Tier
from tests.geo_import.shapes import centre_of, county_geometry, to_gcj02, townships

SPEC = geofences.ImportSpec(3, "CODE", "NAME", "COUNTY")
ADMIN = Principal("admin", Role.admin)


def _write(frame: Any, path: Path, **kw: Any) -> Path:
    frame.to_file(path, engine="pyogrio", **kw)
    return path


def _township(center: Any, lon: float, lat: float) -> str:
    step = center.geography.index.locate(lon, lat).step(Tier.TOWNSHIP)
    return step.code if step else ""


def _stored_count(center: Any, run: Any) -> int:
    async def count() -> int:
        async with center.db.connection() as conn:
            return len(await store.list_geofence_versions(conn))

    return run(count())


def test_defects_are_repaired_and_reported(center: Any, run: Any, tmp_path: Path) -> None:
    frame = townships(overlap=True, bowtie=True, stray=True)
    path = _write(frame, tmp_path / "towns.geojson")
    outcome = run(geofences.import_geofences(center, path, SPEC, "tester"))
    report = outcome.report
    assert outcome.ok and outcome.version and outcome.version["active"]
    assert [r["code"] for r in report["repaired"]] == ["511102903"]
    assert "Self-intersection" in report["repaired"][0]["problem"]
    assert [(o["a"], o["b"]) for o in report["overlaps"]] == [("511102901", "511102902")]
    assert [s["code"] for s in report["strays"]] == ["511102904"]
    assert 0 < report["strays"][0]["outside_share"] < 1
    assert report["gaps"] and all(g["parent"] == "511102" for g in report["gaps"])
    assert report["source_crs"] == "OGC:CRS84" or report["source_crs"].endswith("4326")
    # The repaired bowtie is routable: both of its triangles land in 丙.
    assert _township(center, *centre_of(frame, "511102903")) == "511102903"
    assert center.geography.area_version == f"geofences-t3.{outcome.version['id']}-t4.synthetic"


def test_duplicate_codes_refuse_the_whole_import(center: Any, run: Any, tmp_path: Path) -> None:
    before = (center.geography.area_version, _stored_count(center, run))
    path = _write(townships(duplicate=True), tmp_path / "dup.geojson")
    outcome = run(geofences.import_geofences(center, path, SPEC, "tester"))
    assert not outcome.ok and outcome.version is None
    assert outcome.report["duplicates"] == ["511102901"]
    assert (center.geography.area_version, _stored_count(center, run)) == before


def test_unknown_parent_and_missing_field_are_refused(
    center: Any, run: Any, tmp_path: Path
) -> None:
    frame = townships()
    frame.loc[0, "COUNTY"] = "999999"
    outcome = run(
        geofences.import_geofences(center, _write(frame, tmp_path / "p.geojson"), SPEC, "t")
    )
    assert not outcome.ok and outcome.report["missing_parents"] == ["511102901->999999"]
    from dispatch_center.errors import Invalid

    with pytest.raises(Invalid, match="no field PARENT"):
        run(
            geofences.import_geofences(
                center,
                _write(townships(), tmp_path / "f.geojson"),
                geofences.ImportSpec(3, "CODE", "NAME", "PARENT"),
                "t",
            )
        )


def test_gcj02_file_is_converted_to_wgs84(center: Any, run: Any, tmp_path: Path) -> None:
    frame = townships()
    path = _write(to_gcj02(frame), tmp_path / "amap.geojson")
    spec = geofences.ImportSpec(3, "CODE", "NAME", "COUNTY", datum="gcj02")
    outcome = run(geofences.import_geofences(center, path, spec, "tester"))
    assert outcome.ok and outcome.report["source_crs"] == "gcj02"
    stored = {a.code: a.geometry for a in center.geography.index.areas(Tier.TOWNSHIP)}
    for code, original in zip(frame["CODE"], frame.geometry, strict=True):
        # Back on WGS-84 within a metre (1e-5 degrees), not ~500 m off.
        assert shapely.hausdorff_distance(stored[code], original) < 1e-5
    # Read as WGS-84 by mistake the same file is hundreds of metres off.
    assert (
        shapely.hausdorff_distance(to_gcj02(frame).geometry.iloc[0], frame.geometry.iloc[0]) > 1e-3
    )


@pytest.mark.parametrize(
    ("name", "kw", "spec_kw"),
    [
        ("towns.shp", {}, {}),
        ("towns.gpkg", {"layer": "townships"}, {"layer": "townships"}),
        ("towns_utm.gpkg", {"layer": "t"}, {"layer": "t"}),
    ],
)
def test_shapefile_and_geopackage_round_trip(
    center: Any, run: Any, tmp_path: Path, name: str, kw: dict[str, Any], spec_kw: dict[str, Any]
) -> None:
    frame = townships()
    written = frame.to_crs("EPSG:32648") if "utm" in name else frame
    path = _write(written, tmp_path / name, **kw)
    spec = geofences.ImportSpec(3, "CODE", "NAME", "COUNTY", **spec_kw)
    outcome = run(geofences.import_geofences(center, path, spec, "tester"))
    assert outcome.ok, outcome.report
    stored = {a.code: a for a in center.geography.index.areas(Tier.TOWNSHIP)}
    for code, name_zh, geom in zip(frame["CODE"], frame["NAME"], frame.geometry, strict=True):
        assert stored[code].name == name_zh and stored[code].parent_code == "511102"
        assert shapely.hausdorff_distance(stored[code].geometry, geom) < 1e-6
        assert _township(center, *centre_of(frame, code)) == code


def test_activation_and_rollback_change_locate(center: Any, run: Any, tmp_path: Path) -> None:
    frame = townships()
    point = centre_of(frame, "511102902")
    run(geofences.deactivate_tier(center, 3))
    synthetic = _township(center, *point)
    assert "S" in synthetic and center.geography.area_version.startswith("builtin-")
    first = run(
        geofences.import_geofences(center, _write(frame, tmp_path / "a.geojson"), SPEC, "t")
    )
    renamed = frame.copy()
    renamed["CODE"] = [c.replace("5111029", "5111028") for c in frame["CODE"]]
    second = run(
        geofences.import_geofences(center, _write(renamed, tmp_path / "b.geojson"), SPEC, "t")
    )
    assert first.version and second.version
    assert _township(center, *point) == "511102802"
    run(geofences.activate_version(center, int(first.version["id"]), "admin"))
    assert _township(center, *point) == "511102902"
    versions = run(geofences.list_versions(center, 3))
    assert [v["id"] for v in versions if v["active"]] == [first.version["id"]]
    run(geofences.deactivate_tier(center, 3))
    assert _township(center, *point) == synthetic
    # Outside the imported strip the county keeps a remainder area, so nothing looks outside.
    run(geofences.activate_version(center, int(first.version["id"]), "admin"))
    far = county_geometry().representative_point()
    where = center.geography.index.locate(far.x, far.y)
    assert where.inside and where.step(Tier.COUNTY).code == "511102"


def test_orders_keep_the_version_they_were_routed_with(
    center: Any, run: Any, tmp_path: Path
) -> None:
    frame = townships()
    lon, lat = centre_of(frame, "511102901")
    run(geofences.deactivate_tier(center, 3))
    body = {
        "channel": "phone",
        "category": {"type": "complaint", "code": "urban.sanitation"},
        "urgency": "general",
        "description": "路灯不亮",
        "location": {"lon": lon, "lat": lat},
        "reporter": {"name": "王女士", "phone": "13900000000"},
    }
    old, _ = run(orders.create_order(center, ADMIN, OrderCreate.model_validate(body)))
    outcome = run(
        geofences.import_geofences(center, _write(frame, tmp_path / "o.geojson"), SPEC, "t")
    )
    new, _ = run(orders.create_order(center, ADMIN, OrderCreate.model_validate(body)))
    again = run(orders.get_order(center, ADMIN, str(old["id"])))
    assert (
        again["routing"]["area_version"]
        == old["routing"]["area_version"]
        != new["routing"]["area_version"]
    )
    assert again["routing"]["path"] == old["routing"]["path"]
    assert old["routing"]["path"][2]["code"] != "511102901"
    assert new["routing"]["path"][2] == {"tier": 3, "code": "511102901", "name": "测试甲街道"}
    assert outcome.version and new["routing"]["area_version"].endswith(
        f"t3.{outcome.version['id']}-t4.synthetic"
    )


def test_tier4_import_nests_in_imported_townships(center: Any, run: Any, tmp_path: Path) -> None:
    frame = townships()
    run(geofences.import_geofences(center, _write(frame, tmp_path / "t.geojson"), SPEC, "t"))
    import geopandas
    from shapely.geometry import box

    x0, y0, x1, y1 = frame.geometry.iloc[0].bounds
    mid = (x0 + x1) / 2
    villages = geopandas.GeoDataFrame(
        {
            "VC": ["511102901001", "511102901002"],
            "VN": ["测试一村", "测试二村"],
            "TC": ["511102901", "511102901"],
        },
        geometry=[box(x0, y0, mid, y1), box(mid, y0, x1, y1)],
        crs="EPSG:4326",
    )
    spec = geofences.ImportSpec(4, "VC", "VN", "TC")
    outcome = run(
        geofences.import_geofences(center, _write(villages, tmp_path / "v.gpkg"), spec, "t")
    )
    assert outcome.ok and not outcome.report["gaps"]
    path = center.geography.index.locate((x0 + mid) / 2, (y0 + y1) / 2).path
    assert [s.code for s in path] == ["511100", "511102", "511102901", "511102901001"]
    # Villages under a township that is not in use are refused as unknown parents.
    villages["TC"] = "511102777"
    refused = run(
        geofences.import_geofences(center, _write(villages, tmp_path / "w.geojson"), spec, "t")
    )
    assert not refused.ok and len(refused.report["missing_parents"]) == 2
