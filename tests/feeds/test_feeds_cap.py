"""CAP 1.2: the OASIS examples, the Leshan warning chain, required fields, hostile XML."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from feeds.base import PayloadError, Severity
from feeds.cap import CapBook, alert_events, parse_cap
from feeds.channels.wechat import parse_message
from tests.feeds.conftest import fixture_bytes

PDT = timezone(timedelta(hours=-7))


def _oasis(name: str) -> bytes:
    return fixture_bytes("cap_oasis", name)


def test_homeland_security_example() -> None:
    a = parse_cap(_oasis("a1_homeland_security.xml"))
    assert (a.identifier, a.sender, a.status, a.msg_type, a.scope) == (
        "43b080713727",
        "hsas@dhs.gov",
        "Actual",
        "Alert",
        "Public",
    )
    assert a.sent == datetime(2003, 4, 2, 14, 39, 1, tzinfo=timezone(timedelta(hours=-5)))
    [info] = a.infos
    assert info.language == "en-US"  # the default when absent
    assert info.categories == ("Security",)
    assert info.parameters == (("HSAS", "ORANGE"),)
    assert info.resources[0].mime_type == "image/gif"
    assert info.areas[0].desc == "U.S. nationwide and interests worldwide"
    assert info.areas[0].polygons == ()


def test_thunderstorm_example_polygon_is_lat_first() -> None:
    a = parse_cap(_oasis("a2_thunderstorm.xml"))
    [info] = a.infos
    assert info.response_types == ("Shelter",)
    assert info.event_codes == (("SAME", "SVR"),)
    assert info.expires == datetime(2003, 6, 17, 16, 0, tzinfo=PDT)
    [area] = info.areas
    # "38.47,-120.14" is lat,lon: stored as (lon, lat)
    assert area.polygons[0][0] == (-120.14, 38.47)
    assert area.polygons[0][0] == area.polygons[0][-1] and len(area.polygons[0]) == 5
    assert [v for _, v in area.geocodes] == ["006109", "006009", "006003"]
    [ev] = alert_events(a)
    assert ev.severity is Severity.severe
    assert ev.area is not None and ev.area.to_geojson()["coordinates"][0][0][1] == [-119.95, 38.34]


def test_earthquake_example_is_an_update_with_references_and_circle() -> None:
    a = parse_cap(_oasis("a3_earthquake.xml"))
    assert a.msg_type == "Update"
    [ref] = a.references
    assert (ref.sender, ref.identifier) == ("trinet@caltech.edu", "TRI13970876.1")
    assert ref.sent == datetime(2003, 6, 11, 20, 30, tzinfo=PDT)
    assert a.chain_key == "trinet@caltech.edu,TRI13970876.1"
    [area] = a.infos[0].areas
    assert area.circles == ((-115.5527, 32.9525, 0.0),)
    assert dict(a.infos[0].parameters)["Magnitude"] == "3.4 Ml"


def test_amber_example_has_two_languages() -> None:
    a = parse_cap(_oasis("a4_amber.xml"))
    assert a.source == "SW"
    assert [i.language for i in a.infos] == ["en-US", "es-US"]
    assert a.info(["es-US"]).event == "Abducción de Niño"  # type: ignore[union-attr]
    [ev] = alert_events(a)  # one event, in the preferred language; the other rides along
    assert ev.values["language"] == "en-US"
    assert ev.values["headlines"]["es-US"] == "Alerta Amber en el condado de Los Ángeles"


def test_leshan_rainstorm_red_warning() -> None:
    a = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_alert.xml"))
    assert [i.language for i in a.infos] == ["zh-CN", "en-US"]
    zh = a.info()
    assert zh is not None and zh.event == "暴雨" and zh.severity == "Extreme"
    ring = zh.areas[0].polygons[0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    # over 沙湾 (103.55,29.41), 峨边 (103.26,29.23) and 金口河 (103.08,29.24)
    assert min(lons) < 103.08 < 103.55 < max(lons) and min(lats) < 29.23 < 29.41 < max(lats)
    [ev] = alert_events(a)
    assert ev.title == "乐山市气象台发布暴雨红色预警信号"
    assert ev.values["adcodes"] == ["511111", "511132", "511113"]


def test_update_and_cancel_link_through_references() -> None:
    alert = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_alert.xml"))
    update = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_update.xml"))
    cancel = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_cancel.xml"))
    assert update.references[0].key == alert.key
    assert {r.key for r in cancel.references} == {alert.key, update.key}
    assert alert.chain_key == update.chain_key == cancel.chain_key
    book = CapBook()
    noon = datetime(2026, 7, 12, 12, tzinfo=timezone(timedelta(hours=8)))
    assert book.add(alert) == "new"
    assert book.add(update) == "updated"
    assert book.active(noon) == [update]
    assert book.add(update) == "duplicate"
    assert book.add(cancel) == "cancelled"
    assert book.active(noon) == []


def test_late_older_update_does_not_replace_newer() -> None:
    alert = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_alert.xml"))
    update = parse_cap(fixture_bytes("weather_cap", "rainstorm_red_update.xml"))
    book = CapBook()
    book.add(alert)
    book.add(update)
    older = update.__class__(
        **{**update.__dict__, "identifier": "older", "sent": update.sent - timedelta(hours=2)}
    )
    assert book.add(older) == "duplicate"
    assert book.current[alert.chain_key] is update


def test_expired_alert_is_not_active() -> None:
    a = parse_cap(_oasis("a2_thunderstorm.xml"))
    book = CapBook()
    book.add(a)
    assert book.active(datetime(2003, 6, 17, 15, 0, tzinfo=PDT)) == [a]
    assert book.active(datetime(2003, 6, 17, 16, 1, tzinfo=PDT)) == []


MINIMAL = """<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>X</identifier><sender>s@x</sender><sent>2026-11-27T06:00:00+08:00</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>{extra}</alert>"""
INFO = (
    "<info><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>"
    "<severity>Severe</severity><certainty>Likely</certainty>{area}</info>"
)


@pytest.mark.parametrize(
    ("element", "field"),
    [
        ("identifier", "identifier"),
        ("sender", "sender"),
        ("sent", "sent"),
        ("status", "status"),
        ("msgType", "msgType"),
        ("scope", "scope"),
    ],
)
def test_required_alert_elements(element: str, field: str) -> None:
    xml = MINIMAL.format(extra="")
    start = xml.index(f"<{element}>")
    end = xml.index(f"</{element}>") + len(element) + 3
    with pytest.raises(PayloadError) as err:
        parse_cap(xml[:start] + xml[end:])
    assert err.value.field == field


@pytest.mark.parametrize("element", ["category", "event", "urgency", "severity", "certainty"])
def test_required_info_elements(element: str) -> None:
    info = INFO.format(area="")
    start = info.index(f"<{element}>")
    end = info.index(f"</{element}>") + len(element) + 3
    xml = MINIMAL.format(extra=INFO.format(area="") + info[:start] + info[end:])
    with pytest.raises(PayloadError) as err:
        parse_cap(xml)
    assert err.value.field == f"info[1].{element}"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (INFO.replace("Severe", "Terrible").format(area=""), "info[0].severity"),
        (INFO.replace("Met", "Weather").format(area=""), "info[0].category[0]"),
        (
            INFO.format(
                area="<area><areaDesc>x</areaDesc><polygon>29.5,103.5 29.4,103.7 29.3,103.6"
                "</polygon></area>"
            ),
            "info[0].area[0].polygon[0]",
        ),
        (
            INFO.format(
                area="<area><areaDesc>x</areaDesc><polygon>29.5,103.5 29.4,103.7 29.3,103.6 "
                "29.2,103.5</polygon></area>"
            ),
            "info[0].area[0].polygon[0]",
        ),
        (
            INFO.format(
                area="<area><areaDesc>x</areaDesc><polygon>103.5,29.5 103.7,29.4 103.6,29.3 "
                "103.5,29.5</polygon></area>"
            ),
            "info[0].area[0].polygon[0]",
        ),
        (
            INFO.format(area="<area><areaDesc>x</areaDesc><circle>29.5,103.5</circle></area>"),
            "info[0].area[0].circle[0]",
        ),
        (
            INFO.format(
                area="<area><polygon>29.5,103.5 29.4,103.7 29.3,103.6 29.5,103.5</polygon></area>"
            ),
            "info[0].area[0].areaDesc",
        ),
        ("<references>s@x,X0</references>", "references[0]"),
    ],
)
def test_invalid_content_names_the_element(extra: str, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        parse_cap(MINIMAL.format(extra=extra))
    assert err.value.field == field


def test_update_without_references_is_refused() -> None:
    xml = MINIMAL.format(extra="").replace("<msgType>Alert", "<msgType>Update")
    with pytest.raises(PayloadError) as err:
        parse_cap(xml)
    assert err.value.field == "references"


def test_wrong_namespace_and_offsetless_time() -> None:
    with pytest.raises(PayloadError) as err:
        parse_cap(MINIMAL.format(extra="").replace("cap:1.2", "cap:9.9"))
    assert err.value.field == "alert"
    with pytest.raises(PayloadError) as err:
        parse_cap(MINIMAL.format(extra="").replace("06:00:00+08:00", "06:00:00"))
    assert err.value.field == "sent"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_expansion_and_external_entities_are_refused(name: str) -> None:
    with pytest.raises(PayloadError) as err:
        parse_cap(fixture_bytes("hostile", name))
    assert err.value.field == "body"
    assert "refused" in err.value.message


def test_wechat_xml_refuses_external_entities_too() -> None:
    with pytest.raises(PayloadError) as err:
        parse_message(fixture_bytes("hostile", "wechat_xxe.xml"))
    assert err.value.field == "body"


def test_not_xml() -> None:
    with pytest.raises(PayloadError) as err:
        parse_cap(b"<alert><unclosed></alert>")
    assert err.value.field == "body"
