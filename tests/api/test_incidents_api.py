"""Incidents through HTTP: the flood morning's 大渡河沙湾段超警 opened, orders and teams
attached, a running log (the teams' tracking included), closed with a summary a special
report cites; a closed incident refuses changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter
from tests.api.test_teams_api import board, make_order, new_code, report, wait_for

Client = Callable[[str], httpx.Client]
SHAWAN = (103.5497, 29.4132)  # 沙湾区沫若广场, by the 大渡河


def open_incident(as_user: Client, **kw: Any) -> dict[str, Any]:
    body = {
        "title": "大渡河沙湾段超警",
        "place": "沙湾区沫若广场",
        "lon": SHAWAN[0],
        "lat": SHAWAN[1],
        "counties": ["511111", "511113"],
        **kw,
    }
    r = as_user("flood_hq").post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_an_incident_from_opening_to_its_summary(live: LiveCenter, as_user: Client) -> None:
    inc = open_incident(as_user)
    assert inc["status"] == "open" and inc["opened_by"] == "flood_hq"
    assert inc["counties"] == ["511111", "511113"]
    assert [x["kind"] for x in inc["log"]] == ["opened"]
    iid = inc["id"]
    # Two orders attached (twice: nothing doubles); each order's timeline says so.
    o1, o2 = make_order(as_user), make_order(as_user)
    ids = [str(o1["id"]), str(o2["id"])]
    r = as_user("flood_hq").post(f"/api/v1/incidents/{iid}/orders", json={"order_ids": ids})
    assert r.status_code == 200, r.text
    r = as_user("flood_hq").post(f"/api/v1/incidents/{iid}/orders", json={"order_ids": ids})
    assert [o["number"] for o in r.json()["orders"]] == [o1["number"], o2["number"]]
    timeline = as_user("duty").get(f"/api/v1/orders/{o1['id']}").json()["timeline"]
    assert [e["note"] for e in timeline if e["action"] == "incident.attached"] == [inc["title"]]
    # A team sent to the incident's place arrives: the log follows it.
    code = new_code()
    report(live, code, 103.60, 29.45, ago=timedelta(seconds=30))
    wait_for(lambda: code in board(as_user), "the team")
    r = as_user("flood_hq").post(
        f"/api/v1/incidents/{iid}/teams", json={"code": code, "note": "加固堤防"}
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["incident_id"] == iid and task["place"] == "沙湾区沫若广场"
    assert (task["lon"], task["lat"]) == pytest.approx(SHAWAN)
    report(live, code, *SHAWAN, status="到场")
    got = wait_for(
        lambda: [
            x
            for x in as_user("leader").get(f"/api/v1/incidents/{iid}").json()["log"]
            if x["kind"] == "team.enter"
        ],
        "the arrival on the incident's log",
    )
    assert "到达现场" in got[0]["text"]
    # A note, then the close with its summary.
    r = as_user("flood_hq").post(f"/api/v1/incidents/{iid}/notes", json={"text": "水位回落"})
    assert r.status_code == 201 and r.json()["actor"] == "flood_hq"
    summary = "超警4小时，转移群众120人，无人员伤亡。"
    r = as_user("flood_hq").post(f"/api/v1/incidents/{iid}/close", json={"summary": summary})
    assert r.status_code == 200, r.text
    # What a special report cites: the summary, the orders, the teams, the log in order.
    r = as_user("leader").get(f"/api/v1/incidents/{iid}")
    assert r.status_code == 200
    done = r.json()
    assert done["status"] == "closed" and done["summary"] == summary
    assert done["closed_by"] == "flood_hq" and done["closed_at"]
    assert [t["team_code"] for t in done["tasks"]] == [code]
    kinds = [x["kind"] for x in done["log"]]
    assert kinds[0] == "opened" and kinds[-1] == "closed"
    assert kinds.count("order") == 2 and "team" in kinds and "note" in kinds
    times = [x["at"] for x in done["log"]]
    assert times == sorted(times)
    # Closed: no more changes.
    for path, body in [
        ("notes", {"text": "x"}),
        ("orders", {"order_ids": ids}),
        ("close", {"summary": "again"}),
        ("teams", {"code": code}),
    ]:
        r = as_user("flood_hq").post(f"/api/v1/incidents/{iid}/{path}", json=body)
        assert r.status_code == 409, (path, r.text)
    as_user("flood_hq").post(f"/api/v1/teams/{code}/tasks/current/done")
    listed = as_user("duty").get("/api/v1/incidents?status=closed").json()["items"]
    assert iid in [x["id"] for x in listed]


def test_who_may_run_and_read_incidents(as_user: Client) -> None:
    for who in ("leader", "dispatcher", "duty"):
        r = as_user(who).post("/api/v1/incidents", json={"title": "x"})
        assert r.status_code == 403, who
    inc = open_incident(as_user)
    assert as_user("leader").get(f"/api/v1/incidents/{inc['id']}").status_code == 200
    assert as_user("h_511111").get(f"/api/v1/incidents/{inc['id']}").status_code == 403
    assert (
        as_user("holiday_hq")
        .post(f"/api/v1/incidents/{inc['id']}/notes", json={"text": "游客滞留"})
        .status_code
        == 201
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "counties": ["5111"]}, "counties"),
        ({"title": "x", "counties": ["999999"]}, "counties"),
        ({"title": "x", "lon": 500}, "lon"),
    ],
)
def test_bad_incidents_name_the_field(as_user: Client, body: dict[str, Any], field: str) -> None:
    r = as_user("flood_hq").post("/api/v1/incidents", json=body)
    assert r.status_code == 422, r.text
    assert any(k.startswith(field) for k in r.json()["error"]["fields"]), r.json()


def test_unknown_incidents_and_orders(as_user: Client) -> None:
    assert as_user("duty").get("/api/v1/incidents/999999").status_code == 404
    assert as_user("duty").get("/api/v1/incidents/abc").status_code == 404
    inc = open_incident(as_user, lon=None, lat=None)
    r = as_user("flood_hq").post(
        f"/api/v1/incidents/{inc['id']}/orders", json={"order_ids": ["99999999"]}
    )
    assert r.status_code == 404
    r = as_user("flood_hq").post(
        f"/api/v1/incidents/{inc['id']}/teams", json={"code": f"T-{uuid.uuid4().hex[:6]}"}
    )
    assert r.status_code == 422  # no place on the map to send a team to
