"""Teams and warning areas (issue 19): the board lists the warning areas a team is inside,
and a tasked team leaving one is an event on its order's timeline ("驶离预警区域").

A center of its own: the CAP warning posted here must not reach the shared API center's
other tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.settings import Settings
from feeds.systems.weather_cap import build_warning
from tests.api.conftest import LiveCenter, new_order, start_live
from tests.api.test_teams_api import report, wait_for

INSIDE = (103.35, 29.25)  # inside the 沙湾/峨边/金口河 warning polygon
OUTSIDE = (103.7665, 29.5521)  # 市中区, new_order()'s place


@pytest.fixture(scope="module")
def own(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    settings = Settings(
        database_url=make_database(), demo=True, data_dir=tmp_path_factory.mktemp("warn")
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {})
    server.should_exit = True
    thread.join(10)


def board(live: LiveCenter) -> dict[str, dict[str, Any]]:
    with live.client("flood_hq") as c:
        r = c.get("/api/v1/teams")
    assert r.status_code == 200, r.text
    return {t["code"]: t for t in r.json()["items"]}


def test_a_team_inside_a_warning_area_and_leaving_it(own: LiveCenter) -> None:
    sent = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=1)
    xml = build_warning(f"T{uuid.uuid4().hex[:10]}", sent, "Alert", level="蓝色")
    with own.client("admin") as c:
        r = c.post("/api/v1/feeds/cap", content=xml, headers={"Content-Type": "application/xml"})
    assert r.status_code in (200, 201, 202), r.text
    code = f"W-{uuid.uuid4().hex[:6].upper()}"
    report(own, code, *INSIDE, ago=timedelta(seconds=90))
    team = wait_for(lambda: (t := board(own).get(code)) and t["in_warning"] and t, "in warning")
    assert any("暴雨" in w for w in team["in_warning"]), team["in_warning"]
    # Sent to an order in 市中区, the team drives out of the warning area.
    with own.client("dispatcher") as c:
        order = c.post(
            "/api/v1/orders", json=new_order(source="t-warn", source_id=uuid.uuid4().hex)
        ).json()
    with own.client("flood_hq") as c:
        r = c.post(f"/api/v1/teams/{code}/tasks", json={"order_id": str(order["id"])})
    assert r.status_code == 201, r.text
    report(own, code, 103.60, 29.50, status="出动", ago=timedelta(seconds=30))

    def left() -> list[dict[str, Any]]:
        with own.client("duty") as c:
            timeline = c.get(f"/api/v1/orders/{order['id']}").json()["timeline"]
        return [e for e in timeline if e["action"] == "team.exit"]

    got = wait_for(left, "the exit on the timeline")
    assert "驶离预警区域" in got[0]["note"]
    assert board(own)[code]["in_warning"] == []
