"""Geo API: locate contract, batch, areas per tier, geofence and catalogue versions over
HTTP, and the manual-dispatch queue."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.geography.bundled import leshan_areas
from dispatch_center.settings import Settings
from geo.areas import Tier
from geo.datum import wgs84_to_gcj02
from tests.api.conftest import LiveCenter, new_order, start_live
from tests.geo_import.shapes import centre_of, townships

COUNTIES = {a.code: a for a in leshan_areas(False) if a.tier == Tier.COUNTY}


# --- read-only contract, on the shared center ------------------------------------------


@pytest.mark.parametrize("code", sorted(COUNTIES))
def test_locate_every_county(as_user: Callable[[str], httpx.Client], code: str) -> None:
    p = COUNTIES[code].geometry.representative_point()
    r = as_user("dispatcher").get("/api/v1/geo/locate", params={"lon": p.x, "lat": p.y})
    assert r.status_code == 200
    body = r.json()
    assert body["inside"] is True
    assert [s["tier"] for s in body["path"]] == [1, 2, 3, 4]
    assert body["path"][0] == {"tier": 1, "code": "511100", "name": "乐山市"}
    assert body["path"][1] == {"tier": 2, "code": code, "name": COUNTIES[code].name}
    assert all(set(s) == {"tier", "code", "name"} for s in body["path"])


def test_locate_outside_names_the_neighbour(as_user: Callable[[str], httpx.Client]) -> None:
    r = as_user("duty").get("/api/v1/geo/locate", params={"lon": 103.85, "lat": 30.07})
    body = r.json()
    assert r.status_code == 200 and body["inside"] is False and body["path"] == []
    assert "眉山" in body["neighbour"]["name"]
    assert body["nearest"]["tier"] == 2 and body["nearest"]["code"] in COUNTIES
    assert body["distance_m"] > 0


def test_locate_follows_the_declared_datum(
    live: LiveCenter, as_user: Callable[[str], httpx.Client]
) -> None:
    index = live.center.geography.index
    a = COUNTIES["511102"].geometry.representative_point()
    b = COUNTIES["511111"].geometry.representative_point()
    # Walk from 市中区 to 沙湾区 until a point's county depends on the datum it is read in.
    found = None
    for i in range(4001):
        lon, lat = a.x + (b.x - a.x) * i / 4000, a.y + (b.y - a.y) * i / 4000
        as_wgs, as_gcj = index.locate(lon, lat), index.locate(lon, lat, "gcj02")
        if as_wgs.inside and as_gcj.inside and as_wgs.path[1] != as_gcj.path[1]:
            found = (lon, lat, as_wgs.path[1].code, as_gcj.path[1].code)
            break
    assert found is not None
    lon, lat, wgs_county, gcj_county = found
    c = as_user("dispatcher")
    got_wgs = c.get("/api/v1/geo/locate", params={"lon": lon, "lat": lat}).json()
    got_gcj = c.get("/api/v1/geo/locate", params={"lon": lon, "lat": lat, "crs": "gcj02"}).json()
    assert (got_wgs["path"][1]["code"], got_gcj["path"][1]["code"]) == (wgs_county, gcj_county)
    # A point well inside, sent in GCJ-02, lands where its WGS-84 twin does.
    p = COUNTIES["511181"].geometry.representative_point()
    glon, glat = wgs84_to_gcj02(p.x, p.y)
    twin = c.get("/api/v1/geo/locate", params={"lon": glon, "lat": glat, "crs": "gcj02"}).json()
    assert (
        twin["path"] == c.get("/api/v1/geo/locate", params={"lon": p.x, "lat": p.y}).json()["path"]
    )


def test_locate_batch_matches_single_calls(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    points = [
        {"lon": p.x, "lat": p.y}
        for p in (a.geometry.representative_point() for a in COUNTIES.values())
    ]
    points.append({"lon": 103.85, "lat": 30.07})
    r = c.post("/api/v1/geo/locate/batch", json={"points": points})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == len(points)
    for point, got in zip(points, results, strict=True):
        assert got == c.get("/api/v1/geo/locate", params=point).json()
    assert (
        c.post("/api/v1/geo/locate/batch", json={"points": [{"lon": 500, "lat": 0}]}).status_code
        == 422
    )


@pytest.mark.parametrize(("tier", "synthetic"), [(1, False), (2, False), (3, True), (4, True)])
def test_areas_geojson_per_tier(
    as_user: Callable[[str], httpx.Client], tier: int, synthetic: bool
) -> None:
    r = as_user("duty").get("/api/v1/geo/areas", params={"tier": tier})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["features"]
    props = [f["properties"] for f in body["features"]]
    assert {p["tier"] for p in props} == {tier}
    assert {p["synthetic"] for p in props} == {synthetic}
    if tier == 2:
        assert sorted(p["code"] for p in props) == sorted(COUNTIES)
    if synthetic:
        assert all("网格" in p["name"] for p in props)


def test_unroutable_order_lands_in_the_manual_queue(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    made = c.post("/api/v1/orders", json=new_order(category={"type": "help", "code": "other"}))
    assert made.status_code == 201
    order = made.json()
    assert order["routing"]["queue"] == "manual" and "other" in order["routing"]["reason"]
    routed = c.post("/api/v1/orders", json=new_order()).json()
    assert routed["routing"]["queue"] == "dispatch"
    queue = c.get("/api/v1/orders", params={"queue": "manual", "limit": 500}).json()["orders"]
    ids = [str(o["id"]) for o in queue]
    assert str(order["id"]) in ids and str(routed["id"]) not in ids
    assert all(o["routing"]["queue"] == "manual" and o["status"] == "received" for o in queue)
    mine = next(o for o in queue if str(o["id"]) == str(order["id"]))
    assert mine["routing"]["reason"] == order["routing"]["reason"]
    assert c.get("/api/v1/orders", params={"queue": "nowhere"}).status_code == 422


# --- versions: a center of their own, so no other test's routing changes -----------------


@pytest.fixture(scope="module")
def geo_live(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    settings = Settings(
        database_url=make_database(), demo=True, data_dir=tmp_path_factory.mktemp("geo")
    )
    server, thread, app = start_live(settings, free_port())
    yield LiveCenter(f"http://{server.config.host}:{server.config.port}", app, {})
    server.should_exit = True
    thread.join(10)


FORM = {"tier": "3", "code_field": "CODE", "name_field": "NAME", "parent_field": "COUNTY"}


def _geojson(frame: Any) -> bytes:
    return frame.to_json().encode()


def _zipped_shapefile(frame: Any, tmp: Path) -> bytes:
    frame.to_file(tmp / "towns.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in tmp.glob("towns.*"):
            z.write(f, f"export/{f.name}")
    return buf.getvalue()


def _county_and_town(c: httpx.Client, lon: float, lat: float) -> str:
    return c.get("/api/v1/geo/locate", params={"lon": lon, "lat": lat}).json()["path"][2]["code"]


def test_geofence_upload_versions_and_rollback(geo_live: LiveCenter, tmp_path: Path) -> None:
    frame = townships(bowtie=True)
    point = centre_of(frame, "511102902")
    with geo_live.client("admin") as admin:
        before = _county_and_town(admin, *point)
        r = admin.post(
            "/api/v1/geo/geofences/import",
            data=FORM,
            files={"file": ("towns.geojson", _geojson(frame), "application/geo+json")},
        )
        assert r.status_code == 201, r.text
        first = r.json()
        assert [x["code"] for x in first["report"]["repaired"]] == ["511102903"]
        assert first["version"]["active"] and _county_and_town(admin, *point) == "511102902"

        renamed = townships()
        renamed["CODE"] = [c.replace("5111029", "5111027") for c in renamed["CODE"]]
        r = admin.post(
            "/api/v1/geo/geofences/import",
            data=FORM,
            files={"file": ("towns.zip", _zipped_shapefile(renamed, tmp_path), "application/zip")},
        )
        assert r.status_code == 201, r.text
        assert _county_and_town(admin, *point) == "511102702"

        dup = admin.post(
            "/api/v1/geo/geofences/import",
            data=FORM,
            files={"file": ("d.geojson", _geojson(townships(duplicate=True)), "application/json")},
        )
        assert dup.status_code == 422
        assert dup.json()["error"]["report"]["duplicates"] == ["511102901"]
        assert _county_and_town(admin, *point) == "511102702"

        bad = admin.post(
            "/api/v1/geo/geofences/import",
            data=FORM,
            files={"file": ("t.txt", b"hello", "text/plain")},
        )
        assert bad.status_code == 422 and "file" in bad.json()["error"]["fields"]

        listed = admin.get("/api/v1/geo/geofences/versions").json()
        assert [v["active"] for v in listed["versions"]] == [True, False]
        r = admin.post(f"/api/v1/geo/geofences/versions/{first['version']['id']}/activate")
        assert r.status_code == 200 and _county_and_town(admin, *point) == "511102902"
        assert r.json()["area_version"] == f"geofences-t3.{first['version']['id']}-t4.synthetic"
        assert admin.post("/api/v1/geo/geofences/versions/999/activate").status_code == 404
        assert admin.post("/api/v1/geo/geofences/tiers/3/synthetic").status_code == 200
        assert _county_and_town(admin, *point) == before
    with geo_live.client("auditor") as auditor:
        assert auditor.get("/api/v1/geo/geofences/versions").status_code == 200
        assert (
            auditor.post(
                f"/api/v1/geo/geofences/versions/{first['version']['id']}/activate"
            ).status_code
            == 403
        )
    with geo_live.client("dispatcher") as dispatcher:
        assert dispatcher.get("/api/v1/geo/geofences/versions").status_code == 403
        r = dispatcher.post(
            "/api/v1/geo/geofences/import",
            data=FORM,
            files={"file": ("towns.geojson", _geojson(frame), "application/json")},
        )
        assert r.status_code == 403


HEADER = "category_code,tier,area_code,asset_layer,unit_code,unit_name,role\n"


@pytest.mark.parametrize(
    ("csv_rows", "field", "says"),
    [
        (
            "urban,2,*,,A,甲,lead\nno.such,2,,,B,乙,lead\n",
            "rows[2].category_code",
            "unknown category",
        ),
        ("urban,2,999999,,A,甲,lead\n", "rows[1].area_code", "unknown area"),
        ("urban,3,511102,,A,甲,lead\n", "rows[1].area_code", "is tier 2"),
        ("urban,1,,no_river,A,甲,lead\n", "rows[1].asset_layer", "unknown asset layer"),
        (
            "urban,2,511102,,A,甲,lead\nurban,2,511102,,B,乙,lead\n",
            "rows[2].unit_code",
            "two leads",
        ),
        ("urban,7,,,A,甲,lead\n", "rows[1].tier", "1-4"),
        ("urban,2,,,A,甲,boss\n", "rows[1].role", "lead or co"),
    ],
)
def test_catalogue_rows_are_refused_by_row_and_column(
    geo_live: LiveCenter, csv_rows: str, field: str, says: str
) -> None:
    with geo_live.client("admin") as admin:
        before = admin.get("/api/v1/geo/catalogue").json()["version"]
        r = admin.post(
            "/api/v1/geo/catalogue",
            content=(HEADER + csv_rows).encode(),
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 422
        fields = r.json()["error"]["fields"]
        assert field in fields and says in fields[field]
        assert admin.get("/api/v1/geo/catalogue").json()["version"] == before


def test_catalogue_import_edit_and_rollback(geo_live: LiveCenter) -> None:
    p = COUNTIES["511102"].geometry.representative_point()
    order = new_order(
        location={"lon": p.x, "lat": p.y},
        category={"type": "complaint", "code": "urban.sanitation"},
    )
    with geo_live.client("admin") as admin:
        assert admin.get("/api/v1/geo/catalogue").json()["version"] == "leshan-default-2026-12"
        old = admin.post("/api/v1/orders", json=order).json()["routing"]
        csv_body = (
            HEADER
            + "urban,2,*,,{code}-CGJ,{name}城市管理局,lead\n"
            + "urban,1,,dafo_scenic,DF-GWH,乐山大佛景区管理委员会,lead\n"
        )
        r = admin.post(
            "/api/v1/geo/catalogue",
            params={"version": "test-csv-1"},
            content=csv_body.encode(),
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["version"] == "test-csv-1" and r.json()["active"]
        routed = admin.post("/api/v1/orders", json=order).json()["routing"]
        assert routed["catalogue_version"] == "test-csv-1"
        assert routed["lead"] == {"code": "511102-CGJ", "name": "市中区城市管理局"}
        units = {u["code"] for u in admin.get("/api/v1/units").json()["units"]}
        assert "511102-CGJ" in units  # new units named by the catalogue exist

        edit = {
            "version": "test-edit-1",
            "changes": [
                {
                    "op": "update",
                    "match": {"unit_code": "{code}-CGJ"},
                    "set": {"unit_code": "{code}-ZHZF", "unit_name": "{name}综合执法局"},
                },
                {
                    "op": "add",
                    "row": {
                        "category_code": "urban",
                        "tier": "3",
                        "area_code": "*",
                        "unit_code": "{code}",
                        "unit_name": "{name}",
                        "role": "co",
                    },
                },
            ],
        }
        r = admin.post("/api/v1/geo/catalogue/edits", json=edit)
        assert r.status_code == 201, r.text
        assert r.json()["source"] == "edit of test-csv-1"
        routed = admin.post("/api/v1/orders", json=order).json()["routing"]
        assert routed["lead"]["code"] == "511102-ZHZF" and routed["co"]
        assert routed["co"][0]["code"] == routed["path"][2]["code"]
        missing = admin.post(
            "/api/v1/geo/catalogue/edits",
            json={"changes": [{"op": "remove", "match": {"unit_code": "nope"}}]},
        )
        assert (
            missing.status_code == 422 and "changes[0].match" in missing.json()["error"]["fields"]
        )
        assert (
            admin.post(
                "/api/v1/geo/catalogue",
                params={"version": "test-csv-1"},
                content=csv_body.encode(),
                headers={"content-type": "text/csv"},
            ).status_code
            == 409
        )

        json_rows = {
            "version": "test-json-1",
            "rows": [
                {
                    "category_code": "urban",
                    "tier": 2,
                    "area_code": "*",
                    "unit_code": "{code}-J",
                    "unit_name": "{name}J局",
                    "role": "lead",
                }
            ],
        }
        assert admin.post("/api/v1/geo/catalogue", json=json_rows).status_code == 201

        versions = admin.get("/api/v1/geo/catalogue/versions").json()["versions"]
        assert [v["version"] for v in versions][:4] == [
            "test-json-1",
            "test-edit-1",
            "test-csv-1",
            "leshan-default-2026-12",
        ]
        stored = admin.get("/api/v1/geo/catalogue/versions/test-edit-1").json()
        assert any(r["unit_code"] == "{code}-ZHZF" for r in stored["rows"])
        r = admin.post("/api/v1/geo/catalogue/versions/leshan-default-2026-12/activate")
        assert r.status_code == 200 and r.json()["active"]
        back = admin.post("/api/v1/orders", json=order).json()["routing"]
        assert (back["lead"], back["catalogue_version"]) == (old["lead"], old["catalogue_version"])
        assert admin.post("/api/v1/geo/catalogue/versions/nope/activate").status_code == 404
    with geo_live.client("dispatcher") as dispatcher:
        assert dispatcher.post("/api/v1/geo/catalogue", json=json_rows).status_code == 403
        assert dispatcher.get("/api/v1/geo/catalogue/versions").status_code == 403
