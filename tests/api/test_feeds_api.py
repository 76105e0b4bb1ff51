"""``GET /api/v1/feeds`` and the feed routes' access rules on the shared live center."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from dispatch_center.intake.runtime import IntakeRuntime
from tests.api.conftest import LiveCenter


def test_feeds_lists_the_21_systems_with_health(as_user: Callable[[str], httpx.Client]) -> None:
    r = as_user("duty").get("/api/v1/feeds")
    assert r.status_code == 200
    feeds = r.json()["feeds"]
    assert len(feeds) == 21
    assert len({f["system"] for f in feeds}) == 21
    for f in feeds:
        assert f["status"] in ("unknown", "up", "degraded", "down")
        assert {
            "name_zh",
            "owner",
            "mode",
            "interval_s",
            "last_seen",
            "lag_s",
            "error_rate",
        } <= set(f)


def test_feeds_requires_sign_in(live: LiveCenter) -> None:
    assert httpx.get(f"{live.base_url}/api/v1/feeds").status_code == 401


def test_push_with_the_demo_key(live: LiveCenter) -> None:
    key = live.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    assert key
    reading = {
        "STCD": "60703200",
        "STNM": "乐山",
        "STTP": "ZQ",
        "TM": "2026-11-27 08:00:00",
        "Z": 353.7,
        "WRZ": 357.0,
        "LGTD": 103.76,
        "LTTD": 29.56,
    }
    body = json.dumps({"code": 0, "data": [reading]}).encode()
    r = httpx.post(
        f"{live.base_url}/api/v1/feeds/hydrology/events", content=body, headers={"X-Api-Key": key}
    )
    assert r.status_code == 202, r.text
    bad = httpx.post(
        f"{live.base_url}/api/v1/feeds/hydrology/events",
        content=body,
        headers={"X-Api-Key": key + "x"},
    )
    assert bad.status_code == 401


def test_dead_letters_are_for_admins(as_user: Callable[[str], httpx.Client]) -> None:
    assert as_user("dispatcher").get("/api/v1/feeds/dead-letters").status_code == 403
    r = as_user("admin").get("/api/v1/feeds/dead-letters")
    assert r.status_code == 200 and "dead_letters" in r.json()
    assert as_user("admin").post("/api/v1/feeds/dead-letters/999999/replay").status_code == 404
