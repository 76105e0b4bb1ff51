"""What the OpenAPI fuzz (tests/fuzz) found, one focused test each (issue 15).

Each was a 500 for something a client sent, or a status the document did not declare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dispatch_center.app import create_app
from dispatch_center.settings import Settings
from tests.api.conftest import new_order

BEYOND_BIGINT = 2**63  # one past PostgreSQL's bigint


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    doc: dict[str, Any] = create_app(Settings(demo=True)).openapi()
    return doc


def test_an_immediate_limit_with_a_value_is_refused_and_not_stored(
    as_user: Callable[[str], httpx.Client],
) -> None:
    # Found: PUT stored {5 immediate}, then re-reading the table into the domain's
    # Durations refused it: a 500, and a row every later reload (and start) tripped on.
    admin = as_user("admin")
    before = admin.get("/api/v1/time-limits").json()
    body = {
        "urgency": "consultation",
        "respond_value": 5,
        "respond_unit": "immediate",
        "reply_value": 0,
        "reply_unit": "immediate",
    }
    r = admin.put("/api/v1/time-limits", json=body)
    assert r.status_code == 422, r.text
    assert "respond_value" in r.json()["error"]["fields"]
    r = admin.put("/api/v1/time-limits", json={**body, "respond_value": 0, "reply_value": 3})
    assert r.status_code == 422, r.text
    assert "reply_value" in r.json()["error"]["fields"]
    after = admin.get("/api/v1/time-limits")
    assert after.status_code == 200
    assert after.json() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v1/mode/history?before_id={BEYOND_BIGINT}"),
        ("GET", f"/api/v1/orders?before_id={BEYOND_BIGINT}"),
        ("GET", f"/api/v1/feeds/dead-letters?before_id={BEYOND_BIGINT}"),
        ("POST", f"/api/v1/feeds/dead-letters/{BEYOND_BIGINT}/replay"),
        ("GET", f"/api/v1/reports/archive/{BEYOND_BIGINT}"),
    ],
)
def test_an_id_beyond_bigint_is_a_422_naming_it(
    as_user: Callable[[str], httpx.Client], method: str, path: str
) -> None:
    # Found: GET /mode/history?before_id=2159776592679275493064704 reached PostgreSQL.
    r = as_user("admin").request(method, path)
    assert r.status_code == 422, r.text
    fields = r.json()["error"]["fields"]
    assert set(fields) & {"before_id", "dead_id", "report_id"}, fields


def test_an_unparseable_body_is_a_declared_400(
    as_user: Callable[[str], httpx.Client], document: dict[str, Any]
) -> None:
    r = as_user("admin").post(
        "/api/v1/orders", content=b"\xc3\x28", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "bad_request"
    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "requestBody" in op and "400" not in op["responses"]
    ]
    assert missing == []
    declared = document["paths"]["/api/v1/orders"]["post"]["responses"]["400"]
    schema = declared["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_open311_routes_declare_their_errors(document: dict[str, Any]) -> None:
    # Found: GET /open311/v2/0 answered the spec's 400 ("unknown format") undeclared.
    for path, item in document["paths"].items():
        if path.startswith("/open311/v2/"):
            for method, op in item.items():
                assert {"400", "404"} <= set(op["responses"]), f"{method} {path}"


def test_reports_and_linkage_messages_declare_their_404(document: dict[str, Any]) -> None:
    # Found: ?format=html with no kept document, and a linkage order id the caller
    # cannot see, both answer 404.
    assert "404" in document["paths"]["/api/v1/reports/{kind}"]["get"]["responses"]
    assert "404" in document["paths"]["/api/v1/feeds/police110/messages"]["get"]["responses"]
    webhook = document["paths"]["/api/v1/supervision/webhooks/video"]["post"]["responses"]
    assert "503" in webhook  # not configured


FAR_DAYS = ["0001-01-01", "9999-12-31"]
FAR_TIMES = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]


def _far_day_calls(day: str) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    return [
        ("GET", f"/api/v1/reports/daily?date={day}", None, "date"),
        ("GET", f"/api/v1/reports/weekly?date={day}&format=csv", None, "date"),
        ("POST", "/api/v1/reports/daily", {"date": day, "formats": ["csv"]}, "date"),
        ("POST", "/api/v1/reports/special", {"start": day, "end": day}, "start"),
        ("PUT", f"/api/v1/calendar/days/{day}", {"kind": None}, "day"),
        ("GET", f"/api/v1/mode/holiday-windows?start={day}", None, "start"),
    ]


def _far_time_calls(at: str) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    q = at.replace("+", "%2B")
    return [
        ("GET", f"/api/v1/calendar/deadlines?received_at={q}&urgency=general", None, "received_at"),
        (
            "POST",
            "/api/v1/mode/schedule",
            {"mode": "holiday", "reason": "x", "starts_at": at},
            "starts_at",
        ),
        ("POST", "/api/v1/mode", {"mode": "holiday", "reason": "x", "starts_at": at}, "starts_at"),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [c for d in FAR_DAYS for c in _far_day_calls(d)]
    + [c for t in FAR_TIMES for c in _far_time_calls(t)],
)
def test_a_day_or_time_out_of_the_service_years_is_a_422_naming_it(
    as_user: Callable[[str], httpx.Client],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    # Found by hand after the fuzz (its dates stay near today): periods, windows and
    # deadlines stepped out of Python's dates: a 500, or a reset connection.
    r = as_user("admin").request(method, path, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.text


@pytest.mark.parametrize("at", FAR_TIMES)
def test_far_times_in_a_110_call_and_a_supervision_order_are_422(
    as_user: Callable[[str], httpx.Client], at: str
) -> None:
    duty = as_user("duty")
    call = {"call_id": f"far-{at[:4]}", "start": at, "end": at, "ref_no": "r1"}
    r = duty.post("/api/v1/feeds/police110/calls", json=call)
    assert r.status_code == 422, r.text
    assert "start" in r.json()["error"]["fields"]
    order = as_user("dispatcher").post("/api/v1/orders", json=new_order()).json()
    body = {"level": "supervise", "requirement": "回复", "answer_by": at}
    r = duty.post(f"/api/v1/supervision/orders/{order['id']}/supervision-orders", json=body)
    assert r.status_code == 422, r.text
    assert "answer_by" in r.json()["error"]["fields"]


@pytest.mark.parametrize("body", [b"{bad", b"\xc3\x28"])
def test_open311_post_with_a_body_that_is_not_json_is_a_400(live: Any, body: bytes) -> None:
    # Found by hand: request.json() raised, and the connection was reset.
    r = httpx.post(
        f"{live.base_url}/open311/v2/requests.json",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert r.json()[0]["description"] == "the body is not valid JSON"


def test_an_empty_category_or_unit_code_is_a_422_not_a_foreign_key_500(
    as_user: Callable[[str], httpx.Client],
) -> None:
    # Found at 60 examples: "" passed the truthiness check and reached the foreign key.
    admin = as_user("admin")
    limit = {
        "urgency": "urgent",
        "category_code": "",
        "respond_value": 1,
        "respond_unit": "hours",
        "reply_value": 1,
        "reply_unit": "hours",
    }
    r = admin.put("/api/v1/time-limits", json=limit)
    assert r.status_code == 422, r.text
    assert "category_code" in r.json()["error"]["fields"]
    user = {"username": "empty_unit", "password": "Leshan-harbour-7781", "role": "admin"}
    r = admin.post("/api/v1/users", json={**user, "unit_code": ""})
    assert r.status_code == 422, r.text
    assert "unit_code" in r.json()["error"]["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sms/dlr?id=1&type=1&key=%C3%A9%E4%B8%AD",
        "/api/v1/sms/inbound?from=13800000000&text=1&key=%C3%A9%E4%B8%AD",
    ],
)
def test_a_non_ascii_gateway_key_is_refused_not_a_500(
    as_user: Callable[[str], httpx.Client], path: str
) -> None:
    # Found: hmac.compare_digest raised TypeError on a str with non-ASCII characters.
    r = as_user("admin").get(path)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"
