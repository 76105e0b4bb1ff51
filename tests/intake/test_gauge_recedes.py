"""A river back under its warning level ends what its flood alert started, over HTTP on a
fresh center: the alert leaves the live warnings layer (ended, same key), the gauge's open
mode suggestion is withdrawn with the hydrology feed as the one who withdrew it, and a
reading under the mark of a station that never had an alert adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from dispatch_center.accounts.signatures import signed_headers
from feeds.payload import SHANGHAI
from tests.api.conftest import LiveCenter
from tests.intake.conftest import HMAC_SECRET, drain, source


def _reading(live: LiveCenter, code: str, level: float, at: datetime) -> None:
    row = {
        "STCD": code,
        "STNM": "沙湾",
        "STTP": "ZQ",
        "RVNM": "大渡河",
        "TM": at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "Z": level,
        "WRZ": 424.0,
        "GRZ": 426.5,
        "LGTD": 103.549,
        "LTTD": 29.312,
        "ADDVCD": "511111",
    }
    body = orjson.dumps({"code": 0, "data": [row]})
    # hydrology has a signing secret in the test centers: it signs
    with source(live) as c:
        r = c.post(
            "/api/v1/feeds/hydrology/events",
            content=body,
            headers=signed_headers(HMAC_SECRET, body),
        )
    assert r.status_code == 202, r.text
    drain(live)


def _warnings(live: LiveCenter) -> dict[str, dict[str, Any]]:
    r = live.client("duty").get("/api/v1/wallboard/sections/feed_layers")
    assert r.status_code == 200, r.text
    return {w["key"]: w for w in r.json()["value"].get("warnings", [])}


def _gauge_suggestions(live: LiveCenter, code: str, status: str) -> list[dict[str, Any]]:
    r = live.client("flood_hq").get("/api/v1/mode/suggestions", params={"status": status})
    assert r.status_code == 200, r.text
    return [s for s in r.json()["suggestions"] if f"river_gauge:{code}" in (s.get("sources") or [])]


def test_a_river_back_under_its_mark_ends_its_alert_and_withdraws_its_suggestion(
    fresh_live: LiveCenter,
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    _reading(fresh_live, "60705800", 424.6, t0)
    key = "warnings:60705800"
    assert _warnings(fresh_live)[key]["values"].get("ended") is not True
    [open_one] = _gauge_suggestions(fresh_live, "60705800", "open")

    _reading(fresh_live, "60705800", 423.7, t0 + timedelta(minutes=10))
    ended = _warnings(fresh_live)[key]
    assert ended["values"]["ended"] is True and "回落" in ended["title"]
    assert _gauge_suggestions(fresh_live, "60705800", "open") == []
    # Withdrawn, its source taken off it: found by id.
    hq = fresh_live.client("flood_hq")
    r = hq.get("/api/v1/mode/suggestions", params={"status": "withdrawn"})
    [withdrawn] = [x for x in r.json()["suggestions"] if x["id"] == open_one["id"]]
    assert withdrawn["decided_by"] == "feed:hydrology"
    assert "回落" in (withdrawn["decision_note"] or "")


def test_a_reading_under_the_mark_without_an_alert_adds_no_warning(fresh_live: LiveCenter) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    _reading(fresh_live, "60705900", 421.0, t0)
    _reading(fresh_live, "60705900", 421.2, t0 + timedelta(minutes=10))
    assert "warnings:60705900" not in _warnings(fresh_live)
