"""Open311 GeoReport v2: mapping both ways, validation errors, and the spec's documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as ET
import pytest

from dispatch_center.models import OrderCreate
from feeds import open311 as o
from tests.feeds.conftest import fixture_bytes, taxonomy_rows

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SERVICES = o.services_from_taxonomy(taxonomy_rows())


def _tree(el: Element) -> Any:
    """Comparable form of an XML element: (tag, text or None, children)."""
    text = (el.text or "").strip() or None
    return (el.tag, text if len(el) == 0 else None, [_tree(c) for c in el])


def _same_xml(ours: bytes, spec: bytes) -> None:
    assert _tree(ET.fromstring(ours)) == _tree(ET.fromstring(spec))


def test_services_are_the_taxonomy_subcategories() -> None:
    subs = [r for r in taxonomy_rows() if r["parent_code"]]
    assert [s.service_code for s in SERVICES] == [r["code"] for r in subs]
    lamp = next(s for s in SERVICES if s.service_code == "urban.streetlight")
    assert (lamp.service_name, lamp.group) == ("路灯照明", "城市管理")
    assert "Street lighting" in lamp.description and lamp.metadata is True
    assert next(s for s in SERVICES if s.service_code == "market.food").metadata is False


def test_services_document_matches_the_spec_sample() -> None:
    dummy = (o.ServiceAttribute("X", "string", "x", 1),)
    spec = [
        o.Service(
            "001",
            "Cans left out 24x7",
            "Garbage or recycling cans that have been left "
            "out for more than 24 hours after collection. Violators will be cited.",
            "sanitation",
            "lorem, ipsum, dolor",
            attributes=dummy,
        ),
        o.Service(
            "002",
            "Construction plate shifted",
            "Metal construction plate covering the street or sidewalk has been moved.",
            "street",
            "lorem, ipsum, dolor",
            attributes=dummy,
        ),
        o.Service(
            "003",
            "Curb or curb ramp defect",
            "Sidewalk curb or ramp has problems such "
            "as cracking, missing pieces, holes, and/or chipped curb.",
            "street",
            "lorem, ipsum, dolor",
            attributes=dummy,
        ),
    ]
    _same_xml(o.to_xml("services", o.service_list(spec)), fixture_bytes("open311", "services.xml"))
    first = json.loads(o.to_json(o.service_list(spec)))[0]
    assert list(first) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first["metadata"] is True


def test_service_definition_matches_the_spec_sample() -> None:
    svc = o.Service(
        "DMV66",
        "x",
        "x",
        "x",
        attributes=(
            o.ServiceAttribute(
                "WHISHETN",
                "singlevaluelist",
                "What is the ticket/tag/DL number?",
                1,
                True,
                (("123", "Ford"), ("124", "Chrysler")),
            ),
        ),
    )
    _same_xml(
        o.to_xml("service_definition", o.service_definition(svc)),
        fixture_bytes("open311", "service_definition.xml"),
    )


def test_requests_document_matches_the_spec_sample() -> None:
    spec = ET.fromstring(fixture_bytes("open311", "requests.xml"))
    docs = [{c.tag: (c.text or "").strip() or None for c in req} for req in spec]
    _same_xml(o.to_xml("service_requests", docs), fixture_bytes("open311", "requests.xml"))
    # and our mapping of an order yields exactly the spec's elements, in order
    ours = o.order_to_request(
        {"id": 1, "status": "closed", "received_at": "x"}, SERVICES, request_id="p1"
    )
    assert list(ours) == [c.tag for c in spec[0]]


@pytest.mark.parametrize(
    ("name", "doc"),
    [
        (
            "post_response.xml",
            o.post_response(
                "293944",
                service_notice="The City will inspect and require the responsible party to "
                "correct within 24 hours and/or issue a Correction Notice or Notice of "
                "Violation of the Public Works Code",
            ),
        ),
        ("token_response.xml", o.token_response("12345", "638344")),
        (
            "errors.xml",
            o.Open311Error(
                [
                    (403, "Invalid api_key received -- can't proceed with create_request."),
                    (404, "Whatever"),
                ]
            ).as_list(),
        ),
    ],
)
def test_list_documents_match_the_spec(name: str, doc: list[dict[str, Any]]) -> None:
    root = {"errors.xml": "errors"}.get(name, "service_requests")
    ours = ET.fromstring(o.to_xml(root, doc))
    spec = ET.fromstring(fixture_bytes("open311", name))
    # the spec puts token before service_request_id nowhere; compare as sets per request
    assert [sorted(_tree(c)[2]) for c in ours] == [sorted(_tree(c)[2]) for c in spec]


def test_discovery_matches_the_spec_sample() -> None:
    doc = o.discovery(
        "http://open311.sfgov.org/v2",
        changeset="2011-02-03 14:32",
        contact="You can email or call for assistance api@yourcity.net +1 (555) 555-5555",
        key_service="You can request a key here: http://api.yourcity.net/",
    )
    _same_xml(o.to_xml("discovery", doc), fixture_bytes("open311", "discovery.xml"))


def test_post_maps_to_an_order_draft_the_api_accepts() -> None:
    form = [
        ("api_key", "k"),
        ("service_code", "flood.waterlogging"),
        ("lat", "29.4138"),
        ("long", "103.5489"),
        ("address_string", "沙湾区沫若广场"),
        ("description", "地下车库进水"),
        ("first_name", "强"),
        ("last_name", "马"),
        ("phone", "13981366120"),
        ("email", "ma@example.cn"),
        ("attribute[DEPTH]", "knee"),
        ("attribute[TRAPPED]", "yes"),
        ("media_url", "http://img.example/1.jpg"),
        ("device_id", "dev-1"),
        ("account_id", "acc-9"),
    ]
    d = o.request_to_draft(form, SERVICES, received_at=NOW)
    assert (d.channel, d.category.code, d.urgency) == ("open311", "flood.waterlogging", "urgent")
    assert d.location is not None and (d.location.lon, d.location.lat) == (103.5489, 29.4138)
    assert d.reporter is not None and d.reporter.name == "马强"
    assert d.attachments[0].url == "http://img.example/1.jpg"
    assert d.extra["attributes"] == {"DEPTH": "knee", "TRAPPED": "yes"}
    assert d.extra["device_id"] == "dev-1" and d.extra["email"] == "ma@example.cn"
    assert d.extra["private"] is False and d.category.type == "help"
    OrderCreate.model_validate(d.to_order_body())


@pytest.mark.parametrize(
    ("fields", "private"),
    [
        ({}, False),
        ({"private": "true"}, True),
        ({"private": "1"}, True),
        ({"private": "false"}, False),
        ({"privacy": "private"}, True),
        ({"privacy": "public"}, False),
        ({"private": "no", "privacy": "private"}, True),  # any "private" wins
    ],
)
def test_the_citizen_may_ask_to_keep_a_request_private(
    fields: dict[str, str], private: bool
) -> None:
    form = {"service_code": "urban.sanitation", "address_string": "滨江路", **fields}
    assert o.request_to_draft(form, SERVICES, received_at=NOW).extra["private"] is private


def test_an_unclear_privacy_wish_is_refused() -> None:
    with pytest.raises(o.Open311Error) as err:
        o.request_to_draft(
            {"service_code": "urban.sanitation", "address_string": "滨江路", "private": "maybe"},
            SERVICES,
            received_at=NOW,
        )
    assert err.value.errors == [(400, "private must be true or false (privacy: private or public)")]


def test_multivaluelist_attribute() -> None:
    d = o.request_to_draft(
        {
            "service_code": "traffic.road",
            "address_string": "嘉定中路",
            "attribute[HAZARD][]": ["pothole", "manhole"],
        },
        SERVICES,
        received_at=NOW,
    )
    assert d.extra["attributes"] == {"HAZARD": ["pothole", "manhole"]}
    assert d.description.startswith("道路设施")  # no description: the service name


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"lat": "29.5", "long": "103.7"}, [(400, "service_code was not provided")]),
        (
            {"service_code": "nope", "lat": "29.5", "long": "103.7"},
            [(404, "service_code nope was not found")],
        ),
        (
            {"service_code": "market.food"},
            [(400, "a location is required: lat and long, address_string or address_id")],
        ),
        (
            {"service_code": "market.food", "lat": "29.5"},
            [(400, "lat and long must be given together")],
        ),
        (
            {"service_code": "market.food", "lat": "95", "long": "103"},
            [(400, "lat/long 95,103 is not a WGS-84 position")],
        ),
        (
            {"service_code": "housing.lift", "address_string": "x"},
            [(400, "attribute[TRAPPED] is required for housing.lift")],
        ),
        (
            {
                "service_code": "flood.waterlogging",
                "address_string": "x",
                "attribute[DEPTH]": "deep",
                "attribute[TRAPPED]": "no",
            },
            [(400, "attribute[DEPTH] must be one of ['ankle', 'knee', 'waist']")],
        ),
        (
            {"service_code": "market.food", "address_string": "x", "email": "not-an-email"},
            [(400, "email not-an-email is not an e-mail address")],
        ),
        (
            {"service_code": "market.food", "address_string": "x", "description": "长" * 4001},
            [(400, "description is longer than 4000 characters")],
        ),
        (
            {"service_code": "market.food", "address_string": "x", "attribute[FOO]": "1"},
            [(400, "attribute[FOO] is not an attribute of market.food")],
        ),
    ],
)
def test_post_validation_errors(form: dict[str, str], errors: list[tuple[int, str]]) -> None:
    with pytest.raises(o.Open311Error) as err:
        o.request_to_draft(form, SERVICES, received_at=NOW)
    assert err.value.errors == errors
    assert err.value.status == errors[0][0]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(o.Open311Error) as err:
        o.request_to_draft({"email": "x"}, SERVICES, received_at=NOW)
    assert [c for c, _ in err.value.errors] == [400, 400, 400]


ORDER = {
    "id": "1042",
    "number": "LS2026112700042",
    "status": "in_progress",
    "category": {"type": "report", "code": "urban.sanitation", "name": "市容环卫"},
    "description": "绿心路公交站垃圾满溢",
    "location": {"lon": 103.756, "lat": 29.571},
    "address": "市中区绿心路公交站",
    "received_at": "2026-11-27T08:40:12+08:00",
    "deadlines": {
        "respond_by": "2026-11-30T08:40:12+08:00",
        "reply_by": "2026-12-04T08:40:12+08:00",
    },
    "assigned_unit": {"code": "511102-cg", "name": "市中区综合行政执法局"},
}


@pytest.mark.parametrize(
    ("status", "open_closed"),
    [
        ("received", "open"),
        ("dispatched", "open"),
        ("in_progress", "open"),
        ("return_requested", "open"),
        ("replied", "closed"),
        ("callback_done", "closed"),
        ("evaluated", "closed"),
        ("closed", "closed"),
        ("merged", "closed"),
        ("transferred_110", "closed"),
    ],
)
def test_order_status_maps_to_open_or_closed(status: str, open_closed: str) -> None:
    r = o.order_to_request({**ORDER, "status": status}, SERVICES, request_id="p1")
    assert r["status"] == open_closed


def test_order_to_service_request_fields() -> None:
    r = o.order_to_request(ORDER, SERVICES, request_id="Qz3-public")
    # known by its public id, never the order's own
    assert r["service_request_id"] == "Qz3-public" and "1042" not in str(r)
    assert r["expected_datetime"] == "2026-12-04T08:40:12+08:00"
    assert r["agency_responsible"] == "市中区综合行政执法局"
    assert r["service_name"] == "市容环卫" and r["service_code"] == "urban.sanitation"
    assert (r["lat"], r["long"]) == (29.571, 103.756)
    assert "2026-12-04" in r["service_notice"]
    merged = o.order_to_request(
        {**ORDER, "status": "merged", "merged_into": "1001"}, request_id="p1"
    )
    # the order it went into is internal (and perhaps not public): not named
    assert "1001" not in merged["status_notes"] and "duplicate" in merged["status_notes"]
    assert merged["service_notice"] is None
    routed = o.order_to_request(
        {
            **{k: v for k, v in ORDER.items() if k != "assigned_unit"},
            "routing": {"lead": {"name": "沙湾区城管局"}},
        },
        request_id="p1",
    )
    assert routed["agency_responsible"] == "沙湾区城管局"


def test_query_defaults_and_errors() -> None:
    q = o.parse_query({}, now=NOW)
    assert (q.end, q.start, q.limit) == (NOW, NOW - o.DEFAULT_WINDOW, 1000)
    q = o.parse_query({"service_request_id": "1,2", "status": "bogus"}, now=NOW)
    assert q.service_request_ids == ("1", "2") and q.status == ()  # id overrides the rest
    q = o.parse_query(
        {"service_code": "urban.sanitation", "start_date": "2026-11-01T00:00:00+08:00"}, now=NOW
    )
    assert q.service_codes == ("urban.sanitation",) and q.start is not None
    for params in (
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"start_date": "2026-11-27T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
    ):
        with pytest.raises(o.Open311Error) as err:
            o.parse_query(params, now=NOW)
        assert err.value.status == 400


def test_json_keeps_chinese() -> None:
    body = o.to_json(o.service_list(SERVICES[:1]))
    assert "市容环卫".encode() in body
