"""Duty catalogue: area rows, asset overrides, co-handlers, unroutable orders."""

from __future__ import annotations

import pytest

from dispatch_center.geography.bundled import load_assets, load_catalogue
from geo.areas import PathStep, Tier
from geo.assets import AssetHit, AssetIndex, AssetKind
from geo.catalogue import (
    DutyCatalogue,
    DutyRow,
    Responsibility,
    Unroutable,
    catalogue_from_rows,
)
from geo.locate import AreaIndex

BUDDHA = (103.7699, 29.5447)
JINDING = (103.3327, 29.5205)
BAOGUO = (103.4430, 29.5830)
SHAWAN = (103.55, 29.41)
WUTONGQIAO_RIVER = (103.82, 29.41)


@pytest.fixture(scope="module")
def assets() -> AssetIndex:
    return AssetIndex(load_assets())


@pytest.fixture(scope="module")
def catalogue() -> DutyCatalogue:
    return load_catalogue()


def _resolve(
    leshan: AreaIndex,
    catalogue: DutyCatalogue,
    assets: AssetIndex,
    category: str,
    lon: float,
    lat: float,
) -> Responsibility:
    return catalogue.resolve(category, leshan.locate(lon, lat).path, assets.hits(lon, lat))


@pytest.mark.parametrize(
    ("category", "place", "lead", "co_includes", "asset"),
    [
        ("tourism.scenic", BUDDHA, "乐山大佛景区管理委员会", "市中区文化广播", "dafo_scenic"),
        ("tourism.scenic", JINDING, "峨眉山景区管理委员会", "峨眉山市文化广播", "emeishan_scenic"),
        ("tourism.scenic", BAOGUO, "峨眉山景区管理委员会", "峨眉山市文化广播", "emeishan_scenic"),
        (
            "tourism.complaint",
            SHAWAN,
            "沙湾区文化广播电视和旅游局",
            "乐山市文化广播电视和旅游局",
            None,
        ),
        ("flood.river", WUTONGQIAO_RIVER, "乐山市水务局", "五通桥区水务局", "minjiang"),
        ("flood.river", BUDDHA, "乐山市水务局", "市中区水务局", "minjiang"),
        ("flood.river", SHAWAN, "沙湾区水务局", "市防汛抗旱指挥部", None),
        ("flood.waterlogging", SHAWAN, "沙湾区住房和城乡建设局", "沙湾区 网格", None),
        ("traffic.road", (103.70, 29.63), "乐山市公路事务中心", "市中区交通运输局", "g213"),
        ("housing.property", SHAWAN, "沙湾区住房和城乡建设局", "沙湾区 网格", None),
        # A lift is special equipment (特种设备): market supervision leads, 119 rescues.
        ("housing.lift", SHAWAN, "沙湾区市场监督管理局", "119指挥中心", None),
        ("police.public_order", SHAWAN, "沙湾区公安局", None, None),
        ("agriculture.rural", SHAWAN, "沙湾区农业农村局", "（村/社区，合成）", None),
    ],
)
def test_default_catalogue_routes(
    leshan: AreaIndex,
    catalogue: DutyCatalogue,
    assets: AssetIndex,
    category: str,
    place: tuple[float, float],
    lead: str,
    co_includes: str | None,
    asset: str | None,
) -> None:
    r = _resolve(leshan, catalogue, assets, category, *place)
    assert r.lead.name.startswith(lead)
    if co_includes:
        assert any(co_includes in u.name for u in r.co)
    assert (r.asset.code if r.asset else None) == asset
    assert r.catalogue_version == catalogue.version
    assert r.lead not in r.co
    assert r.as_dict()["lead"]["name"] == r.lead.name


def test_asset_precedence_scenic_over_river(assets: AssetIndex) -> None:
    hits = assets.hits(*BUDDHA)
    assert [h.kind for h in hits] == [AssetKind.scenic_area, AssetKind.river]


def test_assets_are_marked_approximate() -> None:
    assert all(layer.approximate for layer in load_assets())
    kinds = {layer.kind for layer in load_assets()}
    assert kinds == set(AssetKind)


def test_subcategory_falls_back_to_parent(
    leshan: AreaIndex, catalogue: DutyCatalogue, assets: AssetIndex
) -> None:
    r = _resolve(leshan, catalogue, assets, "housing.demolition", *SHAWAN)
    assert r.lead.name == "沙湾区住房和城乡建设局"


def test_unknown_category_is_unroutable(leshan: AreaIndex, catalogue: DutyCatalogue) -> None:
    with pytest.raises(Unroutable, match="not in duty catalogue"):
        catalogue.resolve("外星人", leshan.locate(*SHAWAN).path, ())


def test_outside_leshan_is_unroutable_with_reason(catalogue: DutyCatalogue) -> None:
    with pytest.raises(Unroutable) as err:
        catalogue.resolve("housing", (), ())
    assert "outside Leshan" in err.value.reason


def test_no_row_for_the_place_is_unroutable() -> None:
    cat = DutyCatalogue(
        "t1", [DutyRow("教育", Tier.COUNTY, "511102", None, "X", "市中区教育局", "lead")]
    )
    path = (PathStep(Tier.CITY, "511100", "乐山市"), PathStep(Tier.COUNTY, "511111", "沙湾区"))
    with pytest.raises(Unroutable, match="沙湾区"):
        cat.resolve("教育", path, ())


def test_deepest_tier_lead_wins_and_asset_co_only_adds() -> None:
    path = (
        PathStep(Tier.CITY, "1", "市"),
        PathStep(Tier.COUNTY, "11", "县"),
        PathStep(Tier.TOWNSHIP, "11S01", "镇"),
    )
    cat = DutyCatalogue(
        "t2",
        [
            DutyRow("c", Tier.CITY, "1", None, "C", "市局", "lead"),
            DutyRow("c", Tier.TOWNSHIP, None, None, "T", "镇政府", "lead"),
            DutyRow("c", Tier.COUNTY, "11", None, "K", "县局", "co"),
            DutyRow("c", Tier.CITY, None, "river", "W", "水务局", "co"),
        ],
    )
    r = cat.resolve("c", path, (AssetHit("minjiang", "岷江", AssetKind.river),))
    assert r.lead.code == "T"
    assert [u.code for u in r.co] == ["K", "W"]
    assert r.asset is None


def test_two_leads_for_the_same_cell_are_refused() -> None:
    with pytest.raises(ValueError, match="two leads"):
        DutyCatalogue(
            "bad",
            [
                DutyRow("c", Tier.COUNTY, "11", None, "A", "甲", "lead"),
                DutyRow("c", Tier.COUNTY, "11", None, "B", "乙", "lead"),
            ],
        )


def test_templates_expand_per_area(leshan: AreaIndex) -> None:
    rows = [
        {
            "category_code": "教育",
            "tier": "2",
            "area_code": "*",
            "asset_layer": "",
            "unit_code": "{code}-JYJ",
            "unit_name": "{name}教育局",
            "role": "lead",
        }
    ]
    cat = catalogue_from_rows(rows, "t3", leshan.areas(Tier.COUNTY))
    assert len(cat.rows) == 11
    assert {r.unit_name for r in cat.rows} >= {"市中区教育局", "马边彝族自治县教育局"}
    with pytest.raises(ValueError):
        catalogue_from_rows([{**rows[0], "role": "boss"}], "t4", [])


def test_replace_makes_a_new_version(catalogue: DutyCatalogue) -> None:
    new = catalogue.replace("v2", catalogue.rows[:5])
    assert new.version == "v2" and len(new.rows) == 5 and catalogue.version != "v2"
