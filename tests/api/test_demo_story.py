"""The demo tells a duty officer's story: a working day of requests at every stage, and on
a flood morning an overdue waterlogging order escalated to a video supervision session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live


@pytest.fixture(scope="module")
def flood(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("flood"),
        scenario="flood",
        simulator=False,  # the story alone: the feeds' traffic is tested elsewhere
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    yield LiveCenter(f"http://127.0.0.1:{port}", app, {})
    server.should_exit = True
    thread.join(10)


def _story_orders(c: Any) -> list[dict[str, Any]]:
    rows = c.get("/api/v1/orders", params={"limit": 200}).json()["orders"]
    return [o for o in rows if o["source"] == "demo-story"]


def test_the_day_has_orders_at_every_stage(flood: LiveCenter) -> None:
    with flood.client("duty") as c:
        story = _story_orders(c)
    statuses = {o["status"] for o in story}
    assert {"received", "dispatched", "accepted", "in_progress", "replied", "closed"} <= statuses
    assert {"return_requested", "evaluated", "callback_done"} <= statuses
    queues = {o["routing"]["queue"] for o in story}
    assert queues == {"dispatch", "manual", "transfer"}
    assert any(o["overdue"] for o in story)
    # Every county of Leshan has at least one request in the story.
    counties = {o["routing"]["path"][1]["code"] for o in story if o["routing"].get("inside")}
    assert len(counties) == 11


def test_flood_morning_escalates_to_a_logged_video_session(flood: LiveCenter) -> None:
    with flood.client("duty") as c:
        order = next(o for o in _story_orders(c) if o["source_id"] == "flood-supervision")
        assert order["overdue"] and order["category"]["code"] == "flood.waterlogging"
        full = c.get(f"/api/v1/orders/{order['id']}").json()
        actions = [t["action"] for t in full["timeline"]]
        for step in ("receive", "dispatch", "accept"):
            assert step in actions
        ladder = c.get(f"/api/v1/supervision/orders/{order['id']}").json()
        text = repr(ladder)
        for rung in ("leader_study", "department_consultation", "video_supervision"):
            assert rung in text, rung
        sessions = c.get("/api/v1/supervision/sessions").json()["sessions"]
        closed = next(s for s in sessions if s["topic"].startswith("沙湾区嘉农镇"))
        detail = c.get(f"/api/v1/supervision/sessions/{closed['id']}").json()
        people = {p["participant"] for p in detail["participants"]}
        assert {"leader", "leader_water", "leader_shawan"} <= people
        assert all(p["left_at"] for p in detail["participants"])
        assert len(detail["instructions"]) == 2
        assert detail["minutes"] and "嘉农镇" in repr(detail["minutes"])
        html = c.get(
            f"/api/v1/supervision/sessions/{closed['id']}/minutes", params={"format": "html"}
        )
        assert html.status_code == 200 and "纪要" in html.text
        live = c.get("/api/v1/wallboard/sections/supervision").json()["value"]
        assert any(s["topic"].startswith("大渡河") and s["present"] for s in live)
