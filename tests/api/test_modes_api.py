"""Modes through HTTP: switching by role, scopes, what a switch does to orders, the
schedule, suggestions, policies and holiday windows.

The module runs its own live center (a fresh database and a policy directory of its
own) because it switches modes, which would change other tests' orders.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, new_order, start_live

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def center_live(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveCenter, Path]]:
    data_dir = tmp_path_factory.mktemp("modes-center")
    policy_dir = data_dir / "policies"
    policy_dir.mkdir()
    settings = Settings(
        database_url=make_database(), demo=True, data_dir=data_dir, policy_dir=policy_dir
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {}), policy_dir
    server.should_exit = True
    thread.join(10)


# How far tests have moved the center's clock ahead. The clock never goes back past it,
# or declarations made "later" would look scheduled again.
_AHEAD = [timedelta(0)]


def _test_now() -> datetime:
    return datetime.now(SHANGHAI) + _AHEAD[0]


def set_clock(live: LiveCenter, moment: datetime) -> None:
    """Move the center's clock to ``moment`` (it keeps still there)."""
    _AHEAD[0] = max(_AHEAD[0], moment - datetime.now(SHANGHAI))
    live.center.clock = lambda: moment


@pytest.fixture
def live_m(center_live: tuple[LiveCenter, Path]) -> Iterator[LiveCenter]:
    live, _ = center_live
    live.center.clock = _test_now
    yield live
    # Every test leaves the city in normal mode with a running clock.
    live.center.clock = _test_now
    with live.client("admin") as c:
        r = c.post("/api/v1/mode", json={"mode": "normal", "reason": "test reset"})
        assert r.status_code == 200, r.text


def _as(live: LiveCenter, user: str) -> httpx.Client:
    return live.client(user)


def township_point(live: LiveCenter, county: str) -> dict[str, float]:
    """A point inside the first township of ``county`` (so the path has tier 3)."""
    index = live.center.geography.index
    area = next(a for a in index.areas(3) if a.parent_code == county)
    p = area.geometry.representative_point()
    return {"lon": p.x, "lat": p.y}


def _order(live: LiveCenter, county: str, code: str, urgency: str = "general") -> dict[str, Any]:
    body = new_order(
        category={"type": "help", "code": code},
        urgency=urgency,
        location=township_point(live, county),
        description=f"{code} in {county}",
    )
    with _as(live, "dispatcher") as c:
        r = c.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _get(live: LiveCenter, path: str, user: str = "duty") -> Any:
    with _as(live, user) as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    return r.json()


FLOOD = {
    "mode": "emergency",
    "emergency_type": "flood",
    "scope": ["511111", "511132"],
    "reason": "岷江、大渡河超警戒水位，启动防汛应急响应",
}


def test_get_mode_shape_when_normal(live_m: LiveCenter) -> None:
    body = _get(live_m, "/api/v1/mode")
    assert body["mode"] == "normal" and body["emergency_type"] is None
    assert {"since", "by", "reason", "scopes", "city_wide", "wallboard", "scheduled"} <= set(body)
    assert len(body["scopes"]) == 11 and {s["mode"] for s in body["scopes"]} == {"normal"}
    with httpx.Client(base_url=live_m.base_url) as anonymous:
        assert anonymous.get("/api/v1/mode").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "holiday"}, "reason"),
        ({"mode": "holiday", "reason": "   "}, "reason"),
        ({"mode": "emergency", "reason": "暴雨"}, "emergency_type"),
        ({"mode": "holiday", "reason": "x", "emergency_type": "flood"}, "emergency_type"),
        ({"mode": "holiday", "reason": "x", "scope": ["510100"]}, "scope"),
        ({"mode": "holiday", "reason": "x", "scope": []}, "scope"),
        ({"mode": "holiday", "reason": "x", "starts_at": "2026-11-27T10:00:00"}, "starts_at"),
        ({"mode": "party", "reason": "x"}, "mode"),
    ],
)
def test_bad_switch_is_422_naming_the_field(
    live_m: LiveCenter, body: dict[str, Any], field: str
) -> None:
    with _as(live_m, "admin") as c:
        r = c.post("/api/v1/mode", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()


@pytest.mark.parametrize(
    ("user", "body", "status"),
    [
        ("flood_hq", {"mode": "emergency", "emergency_type": "flood", "reason": "r"}, 200),
        ("flood_hq", {"mode": "emergency", "emergency_type": "geohazard", "reason": "r"}, 200),
        ("flood_hq", {"mode": "emergency", "emergency_type": "public_health", "reason": "r"}, 403),
        ("flood_hq", {"mode": "holiday", "reason": "r"}, 403),
        ("holiday_hq", {"mode": "holiday", "reason": "r"}, 200),
        ("holiday_hq", {"mode": "emergency", "emergency_type": "flood", "reason": "r"}, 403),
        ("admin", {"mode": "emergency", "emergency_type": "major_accident", "reason": "r"}, 200),
        *[
            (u, {"mode": "holiday", "reason": "r"}, 403)
            for u in ("duty", "dispatcher", "leader", "auditor", "h_511102")
        ],
        *[(u, {"mode": "normal", "reason": "r"}, 403) for u in ("duty", "dispatcher", "leader")],
    ],
)
def test_authority_matrix_over_http(
    live_m: LiveCenter, user: str, body: dict[str, Any], status: int
) -> None:
    with _as(live_m, user) as c:
        r = c.post("/api/v1/mode", json=body)
    assert r.status_code == status, r.text
    if status == 200:
        assert _get(live_m, "/api/v1/mode")["mode"] == body["mode"]


def test_flood_emergency_for_two_counties(live_m: LiveCenter) -> None:
    # Open orders from before the switch: one the policy tightens, one it only notes.
    before_wl = _order(live_m, "511132", "flood.waterlogging")
    before_other = _order(live_m, "511111", "urban.sanitation")
    assert before_wl["urgency"] == "general"

    with _as(live_m, "flood_hq") as c:
        r = c.post("/api/v1/mode", json=FLOOD)
        again = c.post("/api/v1/mode", json=FLOOD)
    assert r.status_code == 200 and r.json()["changed"] is True, r.text
    assert again.status_code == 200 and again.json()["changed"] is False

    view = _get(live_m, "/api/v1/mode")
    assert (view["mode"], view["emergency_type"], view["scope"]) == (
        "emergency",
        "flood",
        ["511111", "511132"],
    )
    assert view["by"] == "flood_hq" and view["reason"] == FLOOD["reason"] and view["since"]
    per = {s["county"]: s["mode"] for s in view["scopes"]}
    assert per["511111"] == per["511132"] == "emergency" and per["511102"] == "normal"
    assert view["wallboard"]["theme"] == "emergency"

    # New orders in scope: urgent, 20 min / 24 h, co-dispatched to the flood HQ and the township.
    new = _order(live_m, "511111", "flood.waterlogging")
    assert new["urgency"] == "urgent"
    received = datetime.fromisoformat(new["received_at"])
    assert datetime.fromisoformat(new["deadlines"]["respond_by"]) - received == timedelta(
        minutes=20
    )
    assert datetime.fromisoformat(new["deadlines"]["reply_by"]) - received == timedelta(hours=24)
    co = [u["code"] for u in new["routing"]["co"]]
    township = new["routing"]["path"][2]["code"]
    assert "511100.flood_hq" in co and township in co
    assert new["routing"]["mode"]["mode"] == "emergency"
    assert new["routing"]["mode"]["urgency_raised_from"] == "general"
    outside = _order(live_m, "511102", "flood.waterlogging")
    assert outside["urgency"] == "general" and outside["routing"]["mode"]["mode"] == "normal"

    # Open orders: the tightened one has an earlier reply_by and says so; the other keeps its own.
    wl = _get(live_m, f"/api/v1/orders/{before_wl['id']}")
    assert datetime.fromisoformat(wl["deadlines"]["reply_by"]) < datetime.fromisoformat(
        before_wl["deadlines"]["reply_by"]
    )
    assert "mode_tighten" in [t["action"] for t in wl["timeline"]]
    other = _get(live_m, f"/api/v1/orders/{before_other['id']}")
    assert other["deadlines"] == before_other["deadlines"]
    notes = [t for t in other["timeline"] if t["action"] == "mode_note"]
    assert len(notes) == 1 and "应急" in notes[0]["note"]
    untouched = _get(live_m, f"/api/v1/orders/{outside['id']}")
    assert "mode_note" not in [t["action"] for t in untouched["timeline"]]

    # End it for one county, then the rest.
    with _as(live_m, "flood_hq") as c:
        r = c.post(
            "/api/v1/mode", json={"mode": "normal", "scope": ["511111"], "reason": "沙湾区退水"}
        )
    assert r.status_code == 200, r.text
    view = _get(live_m, "/api/v1/mode")
    assert view["mode"] == "emergency" and view["scope"] == ["511132"]
    with _as(live_m, "flood_hq") as c:
        assert c.post("/api/v1/mode", json={"mode": "normal", "reason": "解除"}).status_code == 200
    assert _get(live_m, "/api/v1/mode")["mode"] == "normal"

    hist = _get(live_m, "/api/v1/mode/history")["history"]
    declare = next(h for h in hist if h["action"] == "declare" and h["to"] == "emergency")
    assert (declare["by"], declare["from"], declare["scope"], declare["reason"]) == (
        "flood_hq",
        "normal",
        ["511111", "511132"],
        FLOOD["reason"],
    )
    assert [h["action"] for h in hist[:2]] == ["end", "end"]


def test_holiday_hq_cannot_end_an_emergency(live_m: LiveCenter) -> None:
    with _as(live_m, "flood_hq") as c:
        assert c.post("/api/v1/mode", json=FLOOD).status_code == 200
    with _as(live_m, "holiday_hq") as c:
        r = c.post("/api/v1/mode", json={"mode": "normal", "reason": "节后"})
    assert r.status_code == 200 and r.json()["changed"] is False
    assert _get(live_m, "/api/v1/mode")["mode"] == "emergency"


def _wait_for(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_scheduled_start_and_automatic_end(live_m: LiveCenter) -> None:
    t0 = _test_now()
    set_clock(live_m, t0)
    start, end = t0 + timedelta(hours=1), t0 + timedelta(hours=2)
    with _as(live_m, "holiday_hq") as c:
        r = c.post(
            "/api/v1/mode/schedule",
            json={
                "mode": "holiday",
                "reason": "周末客流",
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
            },
        )
        missing_start = c.post("/api/v1/mode/schedule", json={"mode": "holiday", "reason": "x"})
    assert r.status_code == 200, r.text
    assert missing_start.status_code == 422
    sched = _get(live_m, "/api/v1/mode/schedule")
    assert len(sched["scheduled"]) == 1 and sched["next_change"]["kind"] == "start"
    assert _get(live_m, "/api/v1/mode")["mode"] == "normal"

    set_clock(live_m, start + timedelta(seconds=1))

    def started() -> bool:
        hist = _get(live_m, "/api/v1/mode/history")["history"]
        return hist[0]["action"] == "start" and hist[0]["by"] == "scheduler"

    assert _wait_for(started), "the scheduler did not start the holiday mode"
    assert _get(live_m, "/api/v1/mode")["mode"] == "holiday"

    set_clock(live_m, end + timedelta(seconds=1))

    def ended() -> bool:
        return _get(live_m, "/api/v1/mode/history")["history"][0]["action"] == "end"

    assert _wait_for(ended), "the scheduler did not end the holiday mode"
    assert _get(live_m, "/api/v1/mode")["mode"] == "normal"


def test_cancel_a_scheduled_declaration(live_m: LiveCenter) -> None:
    start = _test_now() + timedelta(days=3)
    with _as(live_m, "holiday_hq") as c:
        r = c.post(
            "/api/v1/mode/schedule",
            json={"mode": "holiday", "reason": "x", "starts_at": start.isoformat()},
        )
        did = r.json()["mode"]["scheduled"][0]["id"]
    with _as(live_m, "flood_hq") as c:
        assert c.delete(f"/api/v1/mode/schedule/{did}").status_code == 403
    with _as(live_m, "holiday_hq") as c:
        assert c.delete(f"/api/v1/mode/schedule/{did}").status_code == 200
        assert c.delete(f"/api/v1/mode/schedule/{did}").status_code == 409
    assert _get(live_m, "/api/v1/mode/schedule")["scheduled"] == []


def test_trigger_suggestion_accept_and_dismiss(live_m: LiveCenter) -> None:
    reading = {
        "kind": "river_gauge",
        "station_id": "jw-1",
        "station_name": "犍为水文站",
        "county": "511123",
        "level_m": 330.2,
        "warning_level_m": 329.0,
    }
    with _as(live_m, "admin") as c:
        first = c.post("/api/v1/mode/triggers", json=reading).json()["suggestion"]
        second = c.post("/api/v1/mode/triggers", json=reading).json()["suggestion"]
        bad = c.post("/api/v1/mode/triggers", json={"kind": "earthquake"})
    assert bad.status_code == 422
    assert first["created"] is True and second["created"] is False and first["id"] == second["id"]
    opened = _get(live_m, "/api/v1/mode/suggestions?status=open")["suggestions"]
    assert [s["id"] for s in opened if s["dedupe_key"] == "river_gauge:jw-1"] == [first["id"]]

    with _as(live_m, "duty") as c:
        assert c.post(f"/api/v1/mode/suggestions/{first['id']}/dismiss").status_code == 403
    with _as(live_m, "flood_hq") as c:
        r = c.post(f"/api/v1/mode/suggestions/{first['id']}/dismiss", json={"note": "水位已回落"})
        assert r.status_code == 200 and r.json()["suggestion"]["status"] == "dismissed"
        assert c.post(f"/api/v1/mode/suggestions/{first['id']}/accept").status_code == 409

    with _as(live_m, "admin") as c:
        again = c.post("/api/v1/mode/triggers", json=reading).json()["suggestion"]
    assert again["created"] is True and again["id"] != first["id"]
    with _as(live_m, "flood_hq") as c:
        r = c.post(f"/api/v1/mode/suggestions/{again['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["suggestion"]["decided_by"] == "flood_hq"
    per = {s["county"]: s for s in _get(live_m, "/api/v1/mode")["scopes"]}
    assert per["511123"]["mode"] == "emergency" and per["511123"]["emergency_type"] == "flood"
    actions = [h["action"] for h in _get(live_m, "/api/v1/mode/history")["history"][:6]]
    assert {"suggestion.accepted", "suggestion.dismissed", "suggestion.raised", "declare"} <= set(
        actions
    )


def test_policies_and_reload(live_m: LiveCenter, center_live: tuple[LiveCenter, Path]) -> None:
    _, policy_dir = center_live
    policies = _get(live_m, "/api/v1/mode/policies", user="h_511102")["policies"]
    assert set(policies) == {"normal", "holiday", "emergency"}
    assert policies["emergency"]["wallboard"]["panels"]
    doc = json.loads((ROOT / "modes/policies/holiday.json").read_text(encoding="utf-8"))
    broken = {**doc, "seats_on_duty": {"minimum": 0, "expert": 1}}
    (policy_dir / "holiday.json").write_text(json.dumps(broken), encoding="utf-8")
    try:
        with _as(live_m, "holiday_hq") as c:
            assert c.post("/api/v1/mode/policies/reload").status_code == 403
        with _as(live_m, "admin") as c:
            r = c.post("/api/v1/mode/policies/reload")
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert "holiday.json" in err["message"] and "seats_on_duty.minimum" in err["fields"]
        assert (
            _get(live_m, "/api/v1/mode/policies")["policies"]["holiday"]["version"]
            == doc["version"]
        )

        (policy_dir / "holiday.json").write_text(
            json.dumps({**doc, "version": "ops-7"}), encoding="utf-8"
        )
        with _as(live_m, "admin") as c:
            r = c.post("/api/v1/mode/policies/reload")
        assert r.status_code == 200, r.text
        assert _get(live_m, "/api/v1/mode/policies")["policies"]["holiday"]["version"] == "ops-7"
    finally:
        (policy_dir / "holiday.json").unlink()
        with _as(live_m, "admin") as c:
            c.post("/api/v1/mode/policies/reload")


def test_holiday_windows_proposed_and_confirmed(live_m: LiveCenter) -> None:
    windows = _get(live_m, "/api/v1/mode/holiday-windows?start=2026-01-01")["windows"]
    national = next(w for w in windows if w["name"] == "National Day")
    assert (national["first_day"], national["last_day"], national["scheduled"]) == (
        "2026-10-01",
        "2026-10-07",
        False,
    )
    # Back before the 2026 National Day (the calendar has no later year yet); the fixture
    # puts the clock forward again.
    live_m.center.clock = lambda: datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
    with _as(live_m, "flood_hq") as c:
        assert c.post(f"/api/v1/mode/holiday-windows/{national['key']}/confirm").status_code == 403
    with _as(live_m, "holiday_hq") as c:
        r = c.post(f"/api/v1/mode/holiday-windows/{national['key']}/confirm")
    assert r.status_code == 200, r.text
    windows = _get(live_m, "/api/v1/mode/holiday-windows?start=2026-01-01")["windows"]
    assert next(w for w in windows if w["key"] == national["key"])["scheduled"] is True
    scheduled = _get(live_m, "/api/v1/mode/schedule")["scheduled"]
    assert scheduled[0]["starts_at"] == "2026-10-01T00:00:00+08:00"
    assert scheduled[0]["ends_at"] == "2026-10-08T00:00:00+08:00"
    did = scheduled[0]["id"]
    with _as(live_m, "holiday_hq") as c:
        assert c.delete(f"/api/v1/mode/schedule/{did}").status_code == 200
