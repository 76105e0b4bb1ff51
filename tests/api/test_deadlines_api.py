"""Statutory deadlines through HTTP: the calendar route, orders' deadlines, due soon/overdue,
importing a year and changing a time limit.

The expected times are counted by hand from the State Council's 2026 schedule: Spring
Festival 2026-02-15..23 with make-up Saturdays 02-14 and 02-28; National Day 2026-10-01..07
with make-up days 09-20 (Sun) and 10-10 (Sat). 2027 has no schedule in the seeded calendar,
so working days there are counted Monday to Friday and the result is provisional.

Importing 2027 and changing a time limit would leak into the other API tests, so those run
on a separate center with its own database (the ``annex`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, new_order, start_live

SHANGHAI = ZoneInfo("Asia/Shanghai")

# (case, received_at, urgency, respond_by, reply_by, provisional)
CASES = [
    (
        "friday-before-spring-festival",
        "2026-02-13T10:00:00+08:00",
        "general",
        # Sat 02-14 is a make-up working day; 02-15..23 off; 24, 25, 26, 27.
        "2026-02-14T10:00:00+08:00",
        "2026-02-27T10:00:00+08:00",
        False,
    ),
    (
        "during-spring-festival",
        "2026-02-18T09:00:00+08:00",
        "general",
        # The clock starts Tue 02-24 00:00; day 5 is make-up Saturday 02-28, ending at 24:00.
        "2026-02-25T00:00:00+08:00",
        "2026-03-01T00:00:00+08:00",
        False,
    ),
    (
        "urgent-on-a-holiday-night",
        "2026-02-16T23:50:00+08:00",
        "urgent",
        "2026-02-17T00:10:00+08:00",
        "2026-02-17T23:50:00+08:00",
        False,
    ),
    (
        "consultation-on-a-holiday",
        "2026-02-17T08:00:00+08:00",
        "consultation",
        "2026-02-17T08:00:00+08:00",
        "2026-02-17T08:00:00+08:00",
        False,
    ),
    (
        "friday-before-make-up-saturday",
        "2026-10-09T15:30:00+08:00",
        "general",
        # Sat 10-10 is a working day: 10-10, 12, 13, 14, 15 (Mon-Fri only would give 10-16).
        "2026-10-10T15:30:00+08:00",
        "2026-10-15T15:30:00+08:00",
        False,
    ),
    (
        "same-moment-given-in-utc",
        "2026-10-09T07:30:00Z",
        "general",
        "2026-10-10T15:30:00+08:00",
        "2026-10-15T15:30:00+08:00",
        False,
    ),
    (
        "eve-of-national-day",
        "2026-09-30T16:00:00+08:00",
        "general",
        # 10-01..07 off: 10-08, 09, 10 (Sat), 12, 13.
        "2026-10-08T16:00:00+08:00",
        "2026-10-13T16:00:00+08:00",
        False,
    ),
    (
        "into-uncovered-2027",
        "2026-12-30T11:00:00+08:00",
        "general",
        # 12-31, then 2027 counted Mon-Fri: 01-01 (Fri), 04, 05, 06.
        "2026-12-31T11:00:00+08:00",
        "2027-01-06T11:00:00+08:00",
        True,
    ),
    (
        "new-years-eve-into-2027",
        "2026-12-31T11:00:00+08:00",
        "general",
        "2027-01-01T11:00:00+08:00",
        "2027-01-07T11:00:00+08:00",
        True,
    ),
    (
        "general-in-2027",
        "2027-03-01T08:00:00+08:00",
        "general",
        "2027-03-02T08:00:00+08:00",
        "2027-03-08T08:00:00+08:00",
        True,
    ),
    (
        "urgent-in-2027-runs-on-the-clock",
        "2027-03-01T08:00:00+08:00",
        "urgent",
        "2027-03-01T08:20:00+08:00",
        "2027-03-02T08:00:00+08:00",
        False,
    ),
]
IDS = [c[0] for c in CASES]


def _deadlines(c: httpx.Client, received_at: str, urgency: str) -> dict[str, Any]:
    r = c.get("/api/v1/calendar/deadlines", params={"received_at": received_at, "urgency": urgency})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _create(c: httpx.Client, **overrides: Any) -> dict[str, Any]:
    r = c.post("/api/v1/orders", json=new_order(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.parametrize(
    ("case", "received_at", "urgency", "respond_by", "reply_by", "provisional"), CASES, ids=IDS
)
def test_calendar_deadlines_and_order_deadlines_agree(
    as_user: Callable[[str], httpx.Client],
    case: str,
    received_at: str,
    urgency: str,
    respond_by: str,
    reply_by: str,
    provisional: bool,
) -> None:
    c = as_user("dispatcher")
    expected = {"respond_by": respond_by, "reply_by": reply_by, "provisional": provisional}
    assert _deadlines(c, received_at, urgency) == expected
    order = _create(c, received_at=received_at, urgency=urgency)
    assert order["deadlines"] == expected
    assert datetime.fromisoformat(order["received_at"]) == datetime.fromisoformat(received_at)
    # And as stored: the same values come back on a fresh read.
    assert c.get(f"/api/v1/orders/{order['id']}").json()["deadlines"] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"received_at": "2026-10-09T15:30:00", "urgency": "general"}, "received_at"),
        ({"received_at": "yesterday", "urgency": "general"}, "received_at"),
        ({"urgency": "general"}, "received_at"),
        ({"received_at": "2026-10-09T15:30:00+08:00", "urgency": "soon"}, "urgency"),
        ({"received_at": "2026-10-09T15:30:00+08:00"}, "urgency"),
        (
            {
                "received_at": "2026-10-09T15:30:00+08:00",
                "urgency": "general",
                "category": "no.such",
            },
            "category",
        ),
    ],
)
def test_calendar_deadlines_bad_query_is_422(
    as_user: Callable[[str], httpx.Client], params: dict[str, str], field: str
) -> None:
    r = as_user("duty").get("/api/v1/calendar/deadlines", params=params)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]


def test_2027_is_uncovered_here(as_user: Callable[[str], httpx.Client], live: LiveCenter) -> None:
    c = as_user("dispatcher")
    years = c.get("/api/v1/calendar/years").json()
    assert 2026 in years["covered_years"]
    assert 2027 not in years["covered_years"]
    assert years["next_year_covered"] is False
    with live.client() as anon:
        ready = anon.get("/readyz").json()
    assert ready["checks"]["calendar"]["provisional_deadlines"] is True


# --- due soon and overdue -------------------------------------------------------------------


def test_overdue_order_is_flagged_and_listed(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    old = _create(c, received_at="2026-01-05T09:00:00+08:00")
    assert old["deadlines"]["reply_by"] == "2026-01-12T09:00:00+08:00"
    assert old["overdue"] is True
    assert old["due_soon"] is False
    fresh = _create(c)
    assert fresh["overdue"] is False
    listed = c.get("/api/v1/orders", params={"overdue": "true", "limit": 500}).json()["orders"]
    ids = {o["id"] for o in listed}
    assert old["id"] in ids
    assert fresh["id"] not in ids
    assert all(o["overdue"] for o in listed)


def test_replied_order_is_no_longer_overdue(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    h = as_user("h_511102")
    order = _create(c, received_at="2026-03-02T09:00:00+08:00")
    assert order["overdue"] is True
    base = f"/api/v1/orders/{order['id']}/actions"
    assert c.post(f"{base}/dispatch", json={"unit_code": "511102"}).status_code == 200
    assert h.post(f"{base}/accept").status_code == 200
    assert h.get(f"/api/v1/orders/{order['id']}").json()["overdue"] is True
    replied = h.post(f"{base}/reply", json={"note": "已处理"}).json()
    assert replied["status"] == "replied"
    assert replied["overdue"] is False
    listed = c.get("/api/v1/orders", params={"overdue": "true", "limit": 500}).json()["orders"]
    assert order["id"] not in {o["id"] for o in listed}


def test_due_soon(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    now = datetime.now(SHANGHAI)
    # Urgent: 24 hours on the clock, so 22 hours in only 2 hours (< 20 %) remain.
    soon = _create(c, urgency="urgent", received_at=(now - timedelta(hours=22)).isoformat())
    assert (soon["due_soon"], soon["overdue"]) == (True, False)
    early = _create(c, urgency="urgent", received_at=(now - timedelta(hours=2)).isoformat())
    assert (early["due_soon"], early["overdue"]) == (False, False)
    late = _create(c, urgency="urgent", received_at=(now - timedelta(hours=25)).isoformat())
    assert (late["due_soon"], late["overdue"]) == (False, True)


# --- a separate center for changes to the calendar and the limits ----------------------------


@pytest.fixture(scope="module")
def annex(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A second center with its own database, so its admin edits stay here."""
    data_dir: Path = tmp_path_factory.mktemp("annex")
    settings = Settings(database_url=make_database(), demo=True, data_dir=data_dir)
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {})
    server.should_exit = True
    thread.join(10)


IMPORT_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知 (test schedule)",
    "holidays": [
        {"day": "2027-01-01", "name": "元旦"},
        {"day": "2027-01-02", "name": "元旦"},
        {"day": "2027-01-03", "name": "元旦"},
    ],
    "workdays": [],
}


def test_admin_imports_2027_and_deadlines_stop_being_provisional(annex: LiveCenter) -> None:
    with annex.client("dispatcher") as c, annex.client("admin") as admin:
        before = _deadlines(c, "2026-12-30T11:00:00+08:00", "general")
        assert before == {
            "respond_by": "2026-12-31T11:00:00+08:00",
            "reply_by": "2027-01-06T11:00:00+08:00",
            "provisional": True,
        }
        kept = _create(c, received_at="2026-12-30T11:00:00+08:00")
        assert kept["deadlines"] == before

        bad = {**IMPORT_2027, "holidays": [{"day": "2028-01-01", "name": "元旦"}]}
        r = admin.post("/api/v1/calendar/years", json=bad)
        assert r.status_code == 422
        assert "holidays.0.day" in r.json()["error"]["fields"]
        assert c.post("/api/v1/calendar/years", json=IMPORT_2027).status_code == 403

        r = admin.post("/api/v1/calendar/years", json=IMPORT_2027)
        assert r.status_code == 201, r.text
        assert r.json()["days"] == 3

        years = c.get("/api/v1/calendar/years").json()
        assert 2027 in years["covered_years"]
        assert years["next_year_covered"] is True
        with annex.client() as anon:
            ready = anon.get("/readyz").json()
        assert ready["checks"]["calendar"]["provisional_deadlines"] is False

        # 01-01..03 are now holidays: 12-31, 01-04, 05, 06, 07.
        after = _deadlines(c, "2026-12-30T11:00:00+08:00", "general")
        assert after == {
            "respond_by": "2026-12-31T11:00:00+08:00",
            "reply_by": "2027-01-07T11:00:00+08:00",
            "provisional": False,
        }
        assert _deadlines(c, "2026-12-31T11:00:00+08:00", "general") == {
            "respond_by": "2027-01-04T11:00:00+08:00",
            "reply_by": "2027-01-08T11:00:00+08:00",
            "provisional": False,
        }
        made = _create(c, received_at="2026-12-30T11:00:00+08:00")
        assert made["deadlines"] == after
        # An order made before the import keeps the deadlines it was given.
        assert c.get(f"/api/v1/orders/{kept['id']}").json()["deadlines"] == before

        days = c.get("/api/v1/calendar/days", params={"year": 2027}).json()
        assert days["covered"] is True
        assert [d["day"] for d in days["days"]] == ["2027-01-01", "2027-01-02", "2027-01-03"]


def test_admin_changes_a_time_limit_for_new_orders(annex: LiveCenter) -> None:
    received = "2026-10-09T15:30:00+08:00"
    with annex.client("dispatcher") as c, annex.client("admin") as admin:
        old = _create(c, received_at=received)
        assert old["deadlines"]["reply_by"] == "2026-10-15T15:30:00+08:00"
        limit = {
            "urgency": "general",
            "respond_value": 1,
            "respond_unit": "working_days",
            "reply_value": 3,
            "reply_unit": "working_days",
        }
        assert c.put("/api/v1/time-limits", json=limit).status_code == 403
        r = admin.put("/api/v1/time-limits", json=limit)
        assert r.status_code == 200, r.text
        table = c.get("/api/v1/time-limits").json()["time_limits"]
        general = [
            t
            for t in table
            if t["urgency"] == "general" and t["category_code"] is None and t["mode"] is None
        ]
        assert [(t["reply_value"], t["updated_by"]) for t in general] == [(3, "admin")]

        # Three working days: 10-10 (make-up Saturday), 12, 13.
        expected = {
            "respond_by": "2026-10-10T15:30:00+08:00",
            "reply_by": "2026-10-13T15:30:00+08:00",
            "provisional": False,
        }
        assert _deadlines(c, received, "general") == expected
        new = _create(c, received_at=received)
        assert new["deadlines"] == expected
        assert c.get(f"/api/v1/orders/{old['id']}").json()["deadlines"] == old["deadlines"]
        # Urgent orders keep their own limit.
        assert _deadlines(c, received, "urgent")["reply_by"] == "2026-10-10T15:30:00+08:00"

        # A per-category limit overrides the urgency's for that category only.
        per_cat = {**limit, "category_code": "water.supply", "reply_value": 1}
        assert admin.put("/api/v1/time-limits", json=per_cat).status_code == 200
        water = _create(c, received_at=received, category={"type": "help", "code": "water.supply"})
        assert water["deadlines"]["reply_by"] == "2026-10-10T15:30:00+08:00"
        r = admin.put("/api/v1/time-limits", json={**limit, "category_code": "no.such"})
        assert r.status_code == 422
        assert "category_code" in r.json()["error"]["fields"]


def test_order_number_carries_the_local_day(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    # 17:30 UTC on the 26th is 01:30 on the 27th in Leshan.
    order = _create(c, received_at="2026-11-26T17:30:00Z")
    assert order["number"].startswith("LS20261127")
    assert order["received_at"] == "2026-11-27T01:30:00+08:00"
