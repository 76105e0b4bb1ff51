"""The gazetteer's CSV: datums converted, bad lines named, the demo file sound."""

from __future__ import annotations

from importlib import resources

import pytest

from dispatch_center.core.gazetteer import KINDS, PlaceError, parse_places
from dispatch_center.geography.model import default_geography
from geo.datum import wgs84_to_gcj02

HEAD = "name,kind,lon,lat,datum,adcode\n"


def test_gcj02_points_are_stored_in_wgs84() -> None:
    glon, glat = wgs84_to_gcj02(103.7690, 29.5447)
    (p,) = parse_places(HEAD + f"乐山大佛,landmark,{glon},{glat},gcj02,511102\n")
    assert abs(p.lon - 103.7690) < 1e-6 and abs(p.lat - 29.5447) < 1e-6


def test_comments_bom_blank_lines_and_duplicates() -> None:
    text = "\ufeff# demo\n" + HEAD + "苏稽镇,township,103.675,29.598,wgs84,511102\n\n"
    text += "苏稽镇,township,103.7,29.6,wgs84,511102\n"
    (p,) = parse_places(text)
    assert (p.name, p.lon) == ("苏稽镇", 103.675)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("x,planet,103,29,wgs84,511102", "kind"),
        ("x,landmark,103,29,bd09,511102", "datum"),
        ("x,landmark,203,29,wgs84,511102", "lon"),
        ("x,landmark,103,abc,wgs84,511102", "lat"),
        ("x,landmark,103,29,wgs84,5111", "adcode"),
        (",landmark,103,29,wgs84,511102", "name"),
        ("x,landmark,103,29", "row"),
    ],
)
def test_a_bad_line_is_named(line: str, field: str) -> None:
    with pytest.raises(PlaceError) as err:
        parse_places(HEAD + "ok,landmark,103,29,wgs84,511102\n" + line + "\n")
    assert err.value.line == 3 and err.value.field == field


def test_wrong_header() -> None:
    with pytest.raises(PlaceError) as err:
        parse_places("name,lon,lat\n")
    assert err.value.field == "header"


def test_demo_gazetteer_is_labelled_and_each_place_lies_in_its_county() -> None:
    text = (resources.files("dispatch_center.data") / "gazetteer_leshan_demo.csv").read_text(
        "utf-8"
    )
    assert "DEMO DATA" in text.splitlines()[0]
    places = parse_places(text)
    names = {p.name for p in places}
    for must in (
        "乐山大佛",
        "峨眉山金顶",
        "报国寺",
        "嘉州长卷",
        "张公桥好吃街",
        "沙湾区",
        "马边彝族自治县",
    ):
        assert must in names
    assert {p.kind for p in places} <= KINDS
    index = default_geography().index
    wrong = [
        (p.name, p.adcode, [s.code for s in index.locate(p.lon, p.lat).path][1:2])
        for p in places
        if [s.code for s in index.locate(p.lon, p.lat).path][1:2] != [p.adcode]
    ]
    assert wrong == []
