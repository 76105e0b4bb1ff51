"""Field teams through HTTP: the board from the teams' own position reports, sending a team
(the order's timeline, the outbox, the change log), 409 for a team already tasked, the
nearest teams by straight line, 失联 by position age, and tracking's arrival at the scene.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.runtime import IntakeRuntime
from tests.api.conftest import LiveCenter, new_order

Client = Callable[[str], httpx.Client]

ORDER_AT = (103.7665, 29.5521)  # new_order()'s place: 滨江路, 市中区


def report(
    live: LiveCenter,
    code: str,
    lon: float,
    lat: float,
    *,
    status: str = "在岗",
    ago: timedelta = timedelta(0),
    name: str | None = None,
) -> None:
    """A team's position report, pushed as the emergency-management platform does."""
    key = live.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    at = datetime.now(SHANGHAI) - ago
    body = {
        "dwbm": code,
        "dwmc": name or f"测试救援队{code[-4:]}",
        "dwlx": "防汛抢险",
        "zt": status,
        "jd": lon,
        "wd": lat,
        "sd": 0,
        "dwsj": at.strftime("%Y-%m-%d %H:%M:%S"),
        "rs": 6,
    }
    r = httpx.post(
        f"{live.base_url}/api/v1/feeds/emergency_mgmt/events",
        content=json.dumps(body).encode(),
        headers={"X-Api-Key": key, "Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text


def wait_for(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def board(as_user: Client, who: str = "flood_hq") -> dict[str, dict[str, Any]]:
    r = as_user(who).get("/api/v1/teams")
    assert r.status_code == 200, r.text
    return {t["code"]: t for t in r.json()["items"]}


def team(as_user: Client, code: str) -> dict[str, Any] | None:
    return board(as_user).get(code)


def new_code() -> str:
    return f"T-{uuid.uuid4().hex[:8].upper()}"


def make_order(as_user: Client, **kw: Any) -> dict[str, Any]:
    body = new_order(source="test-teams", source_id=uuid.uuid4().hex, **kw)
    r = as_user("dispatcher").post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def outbox_rows(live: LiveCenter, recipient: str) -> list[dict[str, Any]]:
    with psycopg.connect(live.center.db.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT channel, body, ref_kind FROM outbox WHERE recipient = %s", (recipient,))
        return [{"channel": c, "body": b, "ref_kind": k} for c, b, k in cur.fetchall()]


@pytest.fixture
def two_teams(live: LiveCenter, as_user: Client) -> tuple[str, str]:
    """A team 300 m from the order's place and one about 10 km away, both standing by."""
    near, far = new_code(), new_code()
    report(live, near, 103.7640, 29.5505)
    report(live, far, 103.6700, 29.5900)
    wait_for(lambda: near in board(as_user) and far in board(as_user), "the two teams")
    return near, far


def test_the_board_lists_reported_teams_with_status_and_age(
    as_user: Client, two_teams: tuple[str, str]
) -> None:
    near, _ = two_teams
    t = team(as_user, near)
    assert t is not None
    assert t["status"] == "在岗" and t["tasking"] is None
    assert t["lon"] == pytest.approx(103.7640) and t["lat"] == pytest.approx(29.5505)
    assert t["seen_at"].endswith("+08:00") and 0 <= t["age_s"] < 60
    # A leader and the wall read the board; a handler does not.
    assert as_user("leader").get("/api/v1/teams").status_code == 200
    assert as_user("h_511102").get("/api/v1/teams").status_code == 403


def test_a_silent_team_is_out_of_contact(live: LiveCenter, as_user: Client) -> None:
    code = new_code()
    limit = live.center.settings.team_lost_after_s
    report(live, code, 103.70, 29.50, status="出动", ago=timedelta(seconds=limit + 60))
    t = wait_for(lambda: team(as_user, code), "the silent team")
    assert t["status"] == "失联" and t["reported_status"] == "出动"
    assert t["age_s"] > limit


def test_nearest_is_by_straight_line_and_skips_tasked_teams(
    live: LiveCenter, as_user: Client, two_teams: tuple[str, str]
) -> None:
    near, far = two_teams
    lon, lat = ORDER_AT
    r = as_user("flood_hq").get(f"/api/v1/teams/nearest?lon={lon}&lat={lat}&n=20")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["distance_kind"] == "straight_line"
    codes = [t["code"] for t in body["items"]]
    assert codes.index(near) < codes.index(far)
    by = {t["code"]: t for t in body["items"]}
    assert 250 < by[near]["distance_m"] < 350
    assert 9000 < by[far]["distance_m"] < 11000
    assert "eta_s" not in by[near]  # no road network loaded
    distances = [t["distance_m"] for t in body["items"]]
    assert distances == sorted(distances)
    # Once sent, the near team is no longer suggested.
    r = as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks", json={"lon": lon, "lat": lat})
    assert r.status_code == 201, r.text
    r = as_user("flood_hq").get(f"/api/v1/teams/nearest?lon={lon}&lat={lat}&n=20")
    assert near not in [t["code"] for t in r.json()["items"]]
    assert as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks/current/done").status_code == 200


def test_send_a_team_to_an_order(
    live: LiveCenter, as_user: Client, two_teams: tuple[str, str]
) -> None:
    near, _ = two_teams
    order = make_order(as_user)
    r = as_user("flood_hq").post(
        f"/api/v1/teams/{near}/tasks", json={"order_id": str(order["id"]), "note": "转移群众"}
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["team_code"] == near and task["state"] == "dispatched"
    assert task["order_id"] == str(order["id"]) and task["order_number"] == order["number"]
    assert (task["lon"], task["lat"]) == pytest.approx(ORDER_AT)
    assert task["tasked_by"] == "flood_hq"
    # On the board: 出动, with the task.
    t = team(as_user, near)
    assert t is not None and t["status"] == "出动"
    assert t["tasking"]["id"] == task["id"]
    # On the order's timeline, who and when.
    timeline = as_user("duty").get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    sent = [e for e in timeline if e["action"] == "team.task"]
    assert len(sent) == 1 and sent[0]["actor"] == "flood_hq"
    # The team is told through the outbox.
    msgs = outbox_rows(live, f"team:{near}")
    assert [m["ref_kind"] for m in msgs] == ["team_task"]
    assert order["number"] in msgs[0]["body"] and "转移群众" in msgs[0]["body"]
    # A second tasking is refused, saying to what the team is tasked.
    again = as_user("holiday_hq").post(
        f"/api/v1/teams/{near}/tasks", json={"lon": 103.7, "lat": 29.5}
    )
    assert again.status_code == 409, again.text
    err = again.json()["error"]
    assert order["number"] in err["message"]
    assert err["tasking"]["id"] == task["id"]
    # Done: free again, and the order's timeline says so.
    done = as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks/current/done", json={})
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert team(as_user, near)["tasking"] is None  # type: ignore[index]
    again = as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks/current/done")
    assert again.status_code == 409


def test_only_the_headquarters_send_teams(as_user: Client, two_teams: tuple[str, str]) -> None:
    near, _ = two_teams
    for who in ("leader", "dispatcher", "duty", "h_511102"):
        r = as_user(who).post(f"/api/v1/teams/{near}/tasks", json={"lon": 103.7, "lat": 29.5})
        assert r.status_code == 403, (who, r.text)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order_id"),
        ({"lon": 103.7}, "lat"),
        ({"lat": 29.5}, "lon"),
        ({"order_id": "1", "lon": 103.7, "lat": 29.5}, "order_id"),
        ({"lon": 200, "lat": 29.5}, "lon"),
        ({"lon": 103.7, "lat": 29.5, "colour": "red"}, "colour"),
    ],
)
def test_bad_taskings_name_the_field(
    as_user: Client, two_teams: tuple[str, str], body: dict[str, Any], field: str
) -> None:
    near, _ = two_teams
    r = as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks", json=body)
    assert r.status_code == 422, r.text
    assert any(field in k for k in r.json()["error"]["fields"]), r.json()


def test_unknown_team_and_order_are_404(as_user: Client, two_teams: tuple[str, str]) -> None:
    near, _ = two_teams
    r = as_user("flood_hq").post("/api/v1/teams/NO-SUCH-TEAM/tasks", json={"lon": 1, "lat": 2})
    assert r.status_code == 404
    r = as_user("flood_hq").post(f"/api/v1/teams/{near}/tasks", json={"order_id": "99999999"})
    assert r.status_code == 404
    r = as_user("flood_hq").get("/api/v1/teams/nearest?lon=103.7")
    assert r.status_code == 422 and "lat" in json.dumps(r.json()["error"]["fields"])


def test_arriving_at_the_scene_is_on_the_task_and_the_timeline(
    live: LiveCenter, as_user: Client, two_teams: tuple[str, str]
) -> None:
    _, far = two_teams
    order = make_order(as_user)
    r = as_user("flood_hq").post(f"/api/v1/teams/{far}/tasks", json={"order_id": str(order["id"])})
    assert r.status_code == 201, r.text
    # On the way (still outside the scene), then there.
    report(live, far, 103.7300, 29.5650, status="出动", ago=timedelta(seconds=60))
    report(live, far, *ORDER_AT, status="到场")
    t = wait_for(
        lambda: (x := team(as_user, far)) and x["tasking"]["state"] == "on_scene" and x,
        "the arrival",
    )
    assert t["status"] == "到场" and t["tasking"]["arrived_at"]
    timeline = as_user("duty").get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    arrived = [e for e in timeline if e["action"] == "team.enter"]
    assert len(arrived) == 1, timeline
    assert "到达现场" in arrived[0]["note"] and arrived[0]["actor"] == "tracking"
    # The same report again records nothing twice.
    report(live, far, *ORDER_AT, status="到场")
    time.sleep(1.0)
    timeline = as_user("duty").get(f"/api/v1/orders/{order['id']}").json()["timeline"]
    assert len([e for e in timeline if e["action"] == "team.enter"]) == 1
    as_user("flood_hq").post(f"/api/v1/teams/{far}/tasks/current/done")
