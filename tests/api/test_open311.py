"""Open311 GeoReport v2 conformance: every method and error, in JSON and XML."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import fromstring

import httpx
import psycopg
import pytest

from dispatch_center.intake.runtime import IntakeRuntime
from tests.api.conftest import LiveCenter

FORMATS = ["json", "xml"]


def get(live: LiveCenter, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{live.base_url}/open311/v2/{path}", params=params, timeout=10)


def post(live: LiveCenter, fmt: str, data: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{live.base_url}/open311/v2/requests.{fmt}", data=data, timeout=10)


def parsed(r: httpx.Response, fmt: str) -> Any:
    if fmt == "json":
        assert r.headers["content-type"].startswith("application/json")
        return r.json()
    assert r.headers["content-type"].startswith("text/xml")
    return fromstring(r.content)


def key(live: LiveCenter) -> str:
    k = live.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    assert k
    return str(k)


REQUEST = {
    "service_code": "urban.sanitation",
    "lat": "29.5521",
    "long": "103.7665",
    "address_string": "乐山市市中区滨江路",
    "description": "垃圾三天没人清运",
    "first_name": "三",
    "last_name": "张",
    "phone": "13812345678",
    "jurisdiction_id": "leshan.gov.cn",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(live: LiveCenter, fmt: str) -> None:
    r = get(live, f"discovery.{fmt}")
    assert r.status_code == 200
    doc = parsed(r, fmt)
    if fmt == "json":
        assert doc["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    else:
        assert doc.tag == "discovery" and doc.find("endpoints/endpoint/url") is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_and_definition(live: LiveCenter, fmt: str) -> None:
    r = get(live, f"services.{fmt}")
    assert r.status_code == 200
    doc = parsed(r, fmt)
    codes = (
        [s["service_code"] for s in doc]
        if fmt == "json"
        else [e.text for e in doc.iter("service_code")]
    )
    assert "urban.sanitation" in codes and "flood.waterlogging" in codes
    d = get(live, f"services/flood.waterlogging.{fmt}")
    assert d.status_code == 200
    ddoc = parsed(d, fmt)
    if fmt == "json":
        assert {a["code"] for a in ddoc["attributes"]} == {"DEPTH", "TRAPPED"}
    else:
        assert ddoc.tag == "service_definition"
        assert {e.text for e in ddoc.iter("code")} >= {"DEPTH", "TRAPPED"}
    missing = get(live, f"services/no.such.{fmt}")
    assert missing.status_code == 404
    edoc = parsed(missing, fmt)
    code = edoc[0]["code"] if fmt == "json" else int(edoc.find("error/code").text)
    assert code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_then_get_by_id_token_and_query(live: LiveCenter, fmt: str) -> None:
    r = post(live, fmt, {**REQUEST, "api_key": key(live)})
    assert r.status_code == 201, r.text
    doc = parsed(r, fmt)
    rid = (
        doc[0]["service_request_id"]
        if fmt == "json"
        else doc.find("request/service_request_id").text
    )
    assert rid
    one = get(live, f"requests/{rid}.{fmt}")
    assert one.status_code == 200
    odoc = parsed(one, fmt)
    if fmt == "json":
        req = odoc[0]
        assert req["status"] == "open" and req["expected_datetime"]
        assert req["service_code"] == "urban.sanitation"
    else:
        assert odoc.find("request/status").text == "open"
    listed = get(live, f"requests.{fmt}", service_code="urban.sanitation", status="open")
    assert listed.status_code == 200
    ids = (
        [x["service_request_id"] for x in parsed(listed, fmt)]
        if fmt == "json"
        else [e.text for e in parsed(listed, fmt).iter("service_request_id")]
    )
    assert rid in ids
    closed = get(live, "requests.json", service_code="urban.sanitation", status="closed").json()
    assert rid not in [x["service_request_id"] for x in closed]
    by_id = get(live, "requests.json", service_request_id=rid).json()
    assert [x["service_request_id"] for x in by_id] == [rid]
    # the order is a real work order, known to staff by its own id
    with live.client("dispatcher") as c:
        order = c.get(f"/api/v1/orders/{order_id(live, rid)}").json()
    assert order["channel"] == "open311"


def order_id(live: LiveCenter, rid: str) -> int:
    """The order behind the public request id ``rid``."""
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(
            "SELECT order_id FROM open311_requests WHERE public_id = %s", (rid,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_token(live: LiveCenter) -> None:
    r = post(live, "json", {**REQUEST, "api_key": key(live)})
    rid = r.json()[0]["service_request_id"]
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(
            "SELECT token FROM open311_tokens WHERE order_id = %s", (order_id(live, rid),)
        ).fetchone()
    assert row is not None
    for fmt in FORMATS:
        t = get(live, f"tokens/{row[0]}.{fmt}")
        assert t.status_code == 200
        doc = parsed(t, fmt)
        got = (
            doc[0]["service_request_id"]
            if fmt == "json"
            else doc.find("request/service_request_id").text
        )
        assert got == rid
    assert get(live, "tokens/nope.json").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({**REQUEST}, 403),  # no api_key
        ({**REQUEST, "api_key": "wrong"}, 403),
        ({**{k: v for k, v in REQUEST.items() if k != "service_code"}, "api_key": "K"}, 400),
        ({**REQUEST, "service_code": "no.such", "api_key": "K"}, 404),
        (
            {
                **{k: v for k, v in REQUEST.items() if k not in ("lat", "long", "address_string")},
                "api_key": "K",
            },
            400,
        ),
        (
            {**REQUEST, "service_code": "flood.waterlogging", "api_key": "K"},
            400,
        ),  # required attributes
        ({**REQUEST, "lat": "north", "api_key": "K"}, 400),
    ],
)
def test_post_errors(live: LiveCenter, fmt: str, data: dict[str, str], status: int) -> None:
    if data.get("api_key") == "K":
        data = {**data, "api_key": key(live)}
    r = post(live, fmt, data)
    assert r.status_code == status, r.text
    doc = parsed(r, fmt)
    if fmt == "json":
        assert doc and all({"code", "description"} <= set(e) for e in doc)
    else:
        assert doc.tag == "errors" and doc.find("error/description").text


def test_post_with_attributes_makes_an_urgent_order(live: LiveCenter) -> None:
    data = {
        **REQUEST,
        "service_code": "flood.waterlogging",
        "attribute[DEPTH]": "knee",
        "attribute[TRAPPED]": "yes",
        "api_key": key(live),
    }
    r = post(live, "json", data)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    with live.client("dispatcher") as c:
        assert c.get(f"/api/v1/orders/{order_id(live, rid)}").json()["urgency"] == "urgent"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("requests/999999999.json", 404),
        ("requests/abc.xml", 404),
        ("requests.json?status=pending", 400),
        ("requests.json?start_date=yesterday", 400),
        ("requests.csv", 400),
        ("nothing.json", 404),
    ],
)
def test_get_errors(live: LiveCenter, path: str, status: int) -> None:
    r = httpx.get(f"{live.base_url}/open311/v2/{path}", timeout=10)
    assert r.status_code == status, r.text
    if path.endswith(".xml"):
        assert fromstring(r.content).tag == "errors"
    else:
        assert r.json()[0]["code"] == status
