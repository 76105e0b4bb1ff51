"""Field units over HTTP against a live center: a rescue team's position reports from 应急管理
leave one live entry per team, at its newest place, and one unit.position change per report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.payload import SHANGHAI
from tests.api.conftest import LiveCenter
from tests.feeds.conftest import unit_report
from tests.intake.conftest import drain, source
from tests.intake.test_ingest_http import sql


def _post(live: LiveCenter, doc: dict[str, Any]) -> None:
    with source(live) as c:
        r = c.post("/api/v1/feeds/emergency_mgmt/events", json=doc)
    assert r.status_code == 202, r.text
    drain(live)


def _live_units(live: LiveCenter, code: str) -> list[dict[str, Any]]:
    with live.client("duty") as c:
        r = c.get("/api/v1/wallboard/sections/feed_layers")
    assert r.status_code == 200, r.text
    units: list[dict[str, Any]] = r.json()["value"].get("units", [])
    return [u for u in units if u["values"]["unit_code"] == code]


def test_two_positions_of_one_unit_leave_one_entry_at_the_newer_place(
    feeds_live: LiveCenter,
) -> None:
    code = f"SW-FX-{uuid.uuid4().hex[:6]}"
    # Times near now: the live layer only holds the last day's entries.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    _post(feeds_live, unit_report(code, t0, 103.5490, 29.4140, "在岗"))
    _post(feeds_live, unit_report(code, t0 + timedelta(minutes=2), 103.5120, 29.3900, "出动"))

    assert (
        sql(feeds_live, "SELECT count(*) FROM feed_events WHERE source_id LIKE %s", code + "@%")[0][
            0
        ]
        == 2
    )
    rows = sql(
        feeds_live,
        "SELECT key, layer, lon, lat, data->>'status' FROM feed_layer_state WHERE key = %s",
        f"units:{code}",
    )
    assert rows == [(f"units:{code}", "units", 103.5120, 29.3900, "dispatched")]

    # The wall's snapshot (through the service layer) shows the unit once, at the new place.
    units = _live_units(feeds_live, code)
    assert [(u["lon"], u["lat"], u["values"]["status"]) for u in units] == [
        (103.5120, 29.3900, "dispatched")
    ]

    # Each report is its own change, keyed by the unit, so a slow wall can coalesce them.
    changes = sql(
        feeds_live,
        "SELECT kind, payload->'events'->0->>'source_id' FROM change_log"
        " WHERE entity_id = %s ORDER BY seq",
        f"units:{code}",
    )
    assert [k for k, _ in changes] == ["unit.position", "unit.position"]
    assert (
        changes[-1][1] == f"{code}@{(t0 + timedelta(minutes=2)).astimezone(SHANGHAI).isoformat()}"
    )


def test_a_late_older_report_does_not_move_the_unit_back(feeds_live: LiveCenter) -> None:
    code = f"JKH-FX-{uuid.uuid4().hex[:6]}"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    _post(feeds_live, unit_report(code, t0 + timedelta(minutes=4), 103.2633, 29.2288, "到场"))
    _post(feeds_live, unit_report(code, t0, 103.0800, 29.2400, "出动"))  # delivered late

    rows = sql(
        feeds_live,
        "SELECT lon, lat, data->>'status' FROM feed_layer_state WHERE key = %s",
        f"units:{code}",
    )
    assert rows == [(103.2633, 29.2288, "on_scene")]
    units = _live_units(feeds_live, code)
    assert [(u["lon"], u["lat"]) for u in units] == [(103.2633, 29.2288)]


def test_a_position_without_a_place_is_refused_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = unit_report("SW-FX-BAD", datetime.now(UTC), 103.5, 29.4, "出动")
    del doc["jd"]
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/emergency_mgmt/events", json=doc)
    assert r.status_code == 422, r.text
    assert "jd" in r.json()["error"]["fields"]
