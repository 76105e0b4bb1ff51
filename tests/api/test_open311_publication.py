"""Open311 publishes only what is public by policy (issue 15, finding 4).

``GET /open311/v2/requests`` answers without authentication: it lists requests that came in
through Open311, in a category marked public, that the citizen did not ask to keep private,
with phone and ID-card numbers redacted, coordinates rounded to about 100 m, and ids that
say nothing about the order behind them. Everything else is 404, the same as unknown.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.conftest import LiveCenter, new_order
from tests.api.test_open311 import REQUEST, get, key, post

ID_CARD = "51110219900101123X"


def _tag() -> str:
    return secrets.token_hex(4)


def _open311(live: LiveCenter, tag: str, **extra: str) -> str:
    """POST an Open311 request (description tagged); its service_request_id."""
    data = {
        **REQUEST,
        "description": f"{tag} 路灯不亮，回电13812345678，身份证{ID_CARD}",
        "address_string": "市中区滨江路，联系0833-2134567",
        "lat": "29.552149",
        "long": "103.766532",
        **extra,
        "api_key": key(live),
    }
    r = post(live, "json", data)
    assert r.status_code == 201, r.text
    rid: str = r.json()[0]["service_request_id"]
    return rid


def _listed(live: LiveCenter) -> list[dict[str, Any]]:
    r = get(live, "requests.json")
    assert r.status_code == 200, r.text
    got: list[dict[str, Any]] = r.json()
    return got


def _descriptions(live: LiveCenter) -> str:
    return "\n".join(str(x.get("description")) for x in _listed(live))


@pytest.fixture(scope="module")
def orders(live: LiveCenter) -> dict[str, Any]:
    """One order of each kind, each tagged in its description."""
    out: dict[str, Any] = {}
    with live.client("dispatcher") as c:
        for name, body in {
            "phone": new_order(),
            "report": new_order(category={"type": "report", "code": "urban.sanitation"}),
            "110": new_order(channel="110"),
            "email": new_order(channel="email"),
            "web": new_order(channel="web"),
            "petition": new_order(channel="feed:petitions"),
        }.items():
            tag = _tag()
            r = c.post("/api/v1/orders", json={**body, "description": f"{tag} {name}"})
            assert r.status_code == 201, r.text
            out[name] = {"tag": tag, "id": r.json()["id"]}
    for name, extra in {
        "public": {},
        "private": {"private": "true"},
        "not_public_category": {"service_code": "urban.illegal_building"},
    }.items():
        tag = _tag()
        out[name] = {"tag": tag, "rid": _open311(live, tag, **extra)}
    return out


def test_only_open311_requests_in_public_categories_are_listed(
    live: LiveCenter, orders: dict[str, Any]
) -> None:
    listed = _descriptions(live)
    assert orders["public"]["tag"] in listed
    for name in ("phone", "report", "110", "email", "web", "petition"):
        assert orders[name]["tag"] not in listed, name
    for name in ("private", "not_public_category"):
        assert orders[name]["tag"] not in listed, name


def test_nothing_else_is_found_by_id_either(live: LiveCenter, orders: dict[str, Any]) -> None:
    unknown = get(live, "requests/nosuchrequest0000.json")
    assert unknown.status_code == 404
    for name in ("phone", "report", "110", "email", "web", "petition"):
        # the sequential order id names nothing
        r = get(live, f"requests/{orders[name]['id']}.json")
        assert r.status_code == 404, name
        assert r.json()[0]["description"].replace(str(orders[name]["id"]), "X") == (
            unknown.json()[0]["description"].replace("nosuchrequest0000", "X")
        )
    for name in ("private", "not_public_category"):
        assert get(live, f"requests/{orders[name]['rid']}.json").status_code == 404, name
        by_query = get(live, "requests.json", service_request_id=orders[name]["rid"])
        assert by_query.json() == []


def test_a_published_request_is_redacted_rounded_and_unguessable(
    live: LiveCenter, orders: dict[str, Any]
) -> None:
    rid = orders["public"]["rid"]
    assert not rid.isdigit() and len(rid) >= 16
    (req,) = get(live, f"requests/{rid}.json").json()
    assert req["service_request_id"] == rid
    assert orders["public"]["tag"] in req["description"]
    for secret in ("13812345678", ID_CARD, "2134567"):
        assert secret not in req["description"] and secret not in req["address"], secret
    assert "138****5678" in req["description"]
    assert (req["lat"], req["long"]) == (29.552, 103.767)
    assert {"first_name", "last_name", "phone", "email"}.isdisjoint(req)
    # XML too
    xml = get(live, f"requests/{rid}.xml")
    assert xml.status_code == 200 and "13812345678" not in xml.text and "29.552149" not in xml.text
    # the same id every time it is listed
    assert [
        x["service_request_id"]
        for x in _listed(live)
        if orders["public"]["tag"] in x["description"]
    ] == [rid]


def test_ids_are_not_the_order_ids(live: LiveCenter, orders: dict[str, Any]) -> None:
    listed = _listed(live)
    assert listed
    assert not any(x["service_request_id"].isdigit() for x in listed)


def test_a_request_handed_to_110_leaves_the_public_list(live: LiveCenter) -> None:
    tag = _tag()
    rid = _open311(live, tag)
    assert get(live, f"requests/{rid}.json").status_code == 200
    with live.client("dispatcher") as c:
        r = c.post(
            "/api/v1/feeds/police110/transfers",
            json={"order_id": _order_id(live, tag), "reason": "警情"},
        )
        assert r.status_code == 201, r.text
    assert get(live, f"requests/{rid}.json").status_code == 404
    assert tag not in _descriptions(live)


def _order_id(live: LiveCenter, tag: str) -> str:
    """The id of the order behind the Open311 request tagged ``tag`` (as staff know it)."""
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(
            "SELECT id FROM orders WHERE description LIKE %s", (f"{tag}%",)
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_unauthenticated_list_has_no_order_of_another_channel(live: LiveCenter) -> None:
    listed = {x["service_request_id"] for x in _listed(live)}
    with psycopg.connect(live.center.db.url) as conn:
        numbers = {str(r[0]) for r in conn.execute("SELECT id FROM orders").fetchall()}
    assert not listed & numbers
    assert httpx.get(f"{live.base_url}/open311/v2/requests.json", timeout=10).status_code == 200
