"""Poll systems: the center's runner GETs a real local HTTP server that answers the systems'
recorded payloads (the fake outside system), through the same intake as pushed payloads."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import _start, drain, fixture_bytes
from tests.intake.fake_system import Answer, FakeSystem, hydrology_now

GEO_KEY = "geohazard-poll-key-0123"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSystem]:
    """The outside systems, answering their recorded payloads."""
    f = FakeSystem()
    f.answers["/geohazard/warnings"] = Answer(fixture_bytes("geohazard", "orange_jianong.json"))
    f.answers["/hydrology/rt"] = Answer(hydrology_now)
    f.answers["/scenic/counts"] = Answer(fixture_bytes("scenic_crowd", "golden_week.json"))
    f.start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def polling(
    fake: FakeSystem,
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveCenter]:
    """A center polling three systems of the fake (fast intervals, short timeouts)."""
    fast = {"interval_s": 1.0, "timeout_s": 1.0}
    live, server, thread = _start(
        make_database,
        free_port,
        Path(tmp_path_factory.mktemp("poll")),
        feed_poll={
            "geohazard": {
                "url": fake.url("/geohazard/warnings"),
                "auth_header": "X-Api-Key",
                "auth_value": GEO_KEY,
                **fast,
            },
            "hydrology": {"url": fake.url("/hydrology/rt"), **fast},
            "scenic_crowd": {"url": fake.url("/scenic/counts"), **fast},
        },
    )
    yield live
    server.should_exit = True
    thread.join(10)


def sql(live: LiveCenter, query: str, *params: Any) -> Any:
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(query, params).fetchone()
        assert row is not None
        return row[0]


def feed(live: LiveCenter, system: str) -> dict[str, Any]:
    feeds = live.client("duty").get("/api/v1/feeds").json()["feeds"]
    return next(f for f in feeds if f["system"] == system)


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


def test_a_poll_answer_becomes_an_event_and_an_order_once(
    polling: LiveCenter, fake: FakeSystem
) -> None:
    def counts() -> tuple[int, int]:
        events = sql(polling, "SELECT count(*) FROM feed_events WHERE system = 'geohazard'")
        orders = sql(polling, "SELECT count(*) FROM orders WHERE channel = 'feed:geohazard'")
        return events, orders

    wait_for(lambda: counts() == (1, 1), what="the geohazard warning's event and order")
    # The same answer polled three more times: deduplicated on (source, source_id).
    seen = fake.hits["/geohazard/warnings"]
    wait_for(lambda: fake.hits["/geohazard/warnings"] >= seen + 3, what="three more polls")
    drain(polling)
    assert counts() == (1, 1)
    assert fake.headers["/geohazard/warnings"]["x-api-key"] == GEO_KEY
    geo = feed(polling, "geohazard")
    assert geo["polled"] is True and geo["interval_s"] == 1.0 and geo["mode"] == "poll"
    assert geo["last_seen"] and geo["error_rate"] == 0.0


def test_outage_degraded_then_down_logged_once_and_recovered_once(
    polling: LiveCenter, fake: FakeSystem, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="feeds.runner")
    wait_for(lambda: feed(polling, "hydrology")["status"] == "up", what="hydrology up")
    # Only this outage's lines: a poll timed out while the center was busy starting would
    # have its own "failed"/"recovered" pair before this.
    caplog.clear()
    statuses: list[str] = []

    def status_is(want: str) -> bool:
        s = feed(polling, "hydrology")["status"]
        if not statuses or statuses[-1] != s:
            statuses.append(s)
        return s == want

    fake.answers["/hydrology/rt"] = Answer(b'{"error": "db unavailable"}', status=500)
    wait_for(lambda: status_is("down"), what="hydrology down")
    assert statuses == ["up", "degraded", "down"]
    assert "HTTP 500" in (feed(polling, "hydrology")["last_error"] or "")
    # Still failing, now by hanging past the timeout: still one "failed" in the log.
    fake.answers["/hydrology/rt"] = Answer(hydrology_now, hang_s=2.5)
    wait_for(
        lambda: "timed out" in (feed(polling, "hydrology")["last_error"] or ""),
        what="a timeout",
    )
    fake.answers["/hydrology/rt"] = Answer(hydrology_now)
    wait_for(
        lambda: feed(polling, "hydrology")["consecutive_failures"] == 0, what="a good poll again"
    )
    hydro = feed(polling, "hydrology")
    assert hydro["status"] in ("degraded", "up") and hydro["last_error"] is None
    messages = [r.getMessage() for r in caplog.records if r.name == "feeds.runner"]
    assert [m for m in messages if m.startswith("feed hydrology failed")] == [
        m for m in messages if "hydrology failed: FetchError: HTTP 500" in m
    ]
    assert len([m for m in messages if m.startswith("feed hydrology failed")]) == 1
    assert [m for m in messages if m.startswith("feed hydrology recovered")] == [
        "feed hydrology recovered"
    ]


def test_a_malformed_answer_is_a_dead_letter(polling: LiveCenter, fake: FakeSystem) -> None:
    def dead() -> int:
        return int(sql(polling, "SELECT count(*) FROM dead_letters WHERE system = 'scenic_crowd'"))

    assert dead() == 0
    fake.answers["/scenic/counts"] = Answer(b"<html>502 Bad Gateway</html>")
    wait_for(lambda: dead() >= 1, what="a dead letter")
    letters = polling.client("admin").get(
        "/api/v1/feeds/dead-letters", params={"system": "scenic_crowd"}
    )
    first = letters.json()["dead_letters"][-1]
    assert first["payload"] == "<html>502 Bad Gateway</html>" and first["field"] == "body"
    scenic = feed(polling, "scenic_crowd")
    assert scenic["status"] in ("degraded", "down") and scenic["last_error"].startswith("body")
    fake.answers["/scenic/counts"] = Answer(fixture_bytes("scenic_crowd", "golden_week.json"))
