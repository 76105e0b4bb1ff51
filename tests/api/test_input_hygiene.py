"""Client input that PostgreSQL cannot store or the calendar cannot count with is refused
with a 4xx naming the field, never a 500 (issue 15, Low)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, new_order, start_live
from tests.api.test_geo_api import FORM, _geojson
from tests.conftest import RECEIVED_AT_DEFAULTS
from tests.geo_import.shapes import townships

NUL = "\x00"


def _post(live: LiveCenter, user: str | None, path: str, **kw: Any) -> httpx.Response:
    # A fresh connection each time: after a 500 the server drops a kept-alive one.
    with live.client(user) as c:
        return c.post(path, **kw)


def _get(live: LiveCenter, user: str | None, path: str) -> httpx.Response:
    with live.client(user) as c:
        return c.get(path)


# -- a NUL character ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"description": f"路灯不亮{NUL}三天"}, "description"),
        ({"address": f"乐山市{NUL}市中区"}, "address"),
        ({"reporter": {"name": f"张{NUL}", "phone": "13812345678"}}, "reporter.name"),
        ({"source": f"src{NUL}", "source_id": "1"}, "source"),
        ({"category": {"type": "complaint", "code": f"urban{NUL}"}}, "category.code"),
    ],
)
def test_nul_in_an_order_is_422_naming_the_field(
    live: LiveCenter, override: dict[str, Any], field: str
) -> None:
    r = _post(live, "dispatcher", "/api/v1/orders", json=new_order(**override))
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()
    assert "NUL" in r.json()["error"]["fields"][field]


def test_nul_in_other_bodies_is_422_naming_the_field(live: LiveCenter) -> None:
    r = _post(
        live,
        "duty",
        "/api/v1/supervision/sessions",
        json={"topic": f"督办{NUL}", "order_ids": [], "room_url": "https://vc.example/r/1"},
    )
    assert r.status_code == 422 and "topic" in r.json()["error"]["fields"], r.text
    r = _post(live, "admin", "/api/v1/mode", json={"mode": "holiday", "reason": f"节假日{NUL}"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"], r.text
    r = _post(live, "admin", "/api/v1/mode/triggers", json={"kind": "cap", "key": f"k{NUL}"})
    assert r.status_code == 422 and "key" in r.json()["error"]["fields"], r.text


@pytest.mark.parametrize(
    ("path", "field", "status"),
    [
        ("/api/v1/feeds/dead-letters?system=hydro%00logy", "system", 422),
        ("/api/v1/orders?q=a%00b", "q", 422),
        # a path with a NUL names no resource
        ("/api/v1/feeds/cap/sender%00/id", "path", 404),
    ],
)
def test_nul_in_the_url_is_4xx_naming_it(
    live: LiveCenter, path: str, field: str, status: int
) -> None:
    r = _get(live, "admin", path)
    assert r.status_code == status, r.text
    assert field in r.json()["error"]["fields"], r.json()


def test_nul_in_a_sign_in_form_is_422(live: LiveCenter) -> None:
    r = _post(live, None, "/api/v1/auth/token", data={"username": f"adm{NUL}in", "password": "x"})
    assert r.status_code == 422, r.text
    assert "username" in r.json()["error"]["fields"]


def test_nul_in_open311_is_its_own_error_list(live: LiveCenter) -> None:
    r = _get(live, None, "/open311/v2/requests/a%00.json")
    assert r.status_code == 404, r.text
    assert r.json()[0]["code"] == 404 and "NUL" in r.json()[0]["description"]
    xml = _get(live, None, "/open311/v2/requests/a%00.xml")
    assert xml.status_code == 404 and xml.text.startswith("<?xml")
    q = _get(live, None, "/open311/v2/requests.json?service_code=a%00")
    assert q.status_code == 400 and q.json()[0]["code"] == 400, q.text


# -- received_at ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A center with the production defaults of the received_at window (the shared test
    centers let every role date orders freely: tests/conftest.py)."""
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("strict"),
        simulator=False,
        **RECEIVED_AT_DEFAULTS,
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {})
    server.should_exit = True
    thread.join(10)


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    ("user", "received_at"),
    [
        ("dispatcher", "9999-12-31T23:00:00+08:00"),
        ("admin", "0001-01-01T00:00:00+08:00"),
        ("admin", "1970-01-01T00:00:00+00:00"),
        ("admin", None),  # an hour ahead of the clock (filled in below)
        ("dispatcher", None),  # three days back: a dispatcher may not backdate
        ("duty", "40d"),  # beyond the backdating window
    ],
)
def test_received_at_outside_the_window_is_422(
    strict: LiveCenter, user: str, received_at: str | None
) -> None:
    if received_at is None:
        received_at = _ago(hours=-1) if user == "admin" else _ago(days=3)
    elif received_at == "40d":
        received_at = _ago(days=40)
    r = _post(strict, user, "/api/v1/orders", json=new_order(received_at=received_at))
    assert r.status_code == 422, r.text
    assert "received_at" in r.json()["error"]["fields"], r.json()


def test_received_at_inside_the_window_is_kept(strict: LiveCenter) -> None:
    # anyone: a few minutes back; a duty officer (DISPATCH_BACKDATE_ROLES): days back
    for user, at in (("dispatcher", _ago(minutes=5)), ("duty", _ago(days=3))):
        r = _post(strict, user, "/api/v1/orders", json=new_order(received_at=at))
        assert r.status_code == 201, r.text
        got = datetime.fromisoformat(r.json()["received_at"])
        assert abs((got - datetime.fromisoformat(at)).total_seconds()) < 1


@pytest.mark.parametrize("at", ["9999-12-31T00:00:00+08:00", "0001-01-01T00:00:00+08:00"])
def test_deadlines_of_an_impossible_time_is_422(live: LiveCenter, at: str) -> None:
    with live.client("dispatcher") as c:
        r = c.get("/api/v1/calendar/deadlines", params={"received_at": at, "urgency": "general"})
    assert r.status_code == 422, r.text
    assert "received_at" in r.json()["error"]["fields"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_impossible_dates_anywhere_are_422_naming_the_field(strict: LiveCenter, day: str) -> None:
    at = f"{day}T00:00:00+08:00"
    with strict.client("admin") as c:
        r = c.get("/api/v1/reports/daily", params={"date": day})
        assert r.status_code == 422 and "date" in r.json()["error"]["fields"], r.text
        r = c.post("/api/v1/reports/special", json={"start": day, "end": day})
        assert r.status_code == 422 and "start" in r.json()["error"]["fields"], r.text
        r = c.post("/api/v1/mode", json={"mode": "holiday", "reason": "x", "starts_at": at})
        assert r.status_code == 422 and "starts_at" in r.json()["error"]["fields"], r.text
    with strict.client("dispatcher") as c:
        r = c.post(
            "/api/v1/feeds/police110/calls",
            json={"call_id": "C1", "start": at, "end": at, "ref_no": "R1"},
        )
        assert r.status_code == 422 and "start" in r.json()["error"]["fields"], r.text


def test_nul_in_a_multipart_form_field_is_422_naming_it(strict: LiveCenter) -> None:
    with strict.client("admin") as c:
        r = c.post(
            "/api/v1/geo/geofences/import",
            data={**FORM, "note": "乡镇边界\x00调整"},
            files={"file": ("towns.geojson", _geojson(townships()), "application/geo+json")},
        )
    assert r.status_code == 422, r.text
    assert "note" in r.json()["error"]["fields"], r.json()
