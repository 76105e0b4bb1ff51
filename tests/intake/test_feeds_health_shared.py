"""Feed health shared by workers: two centers on one database answer GET /api/v1/feeds alike."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import _start, fixture_bytes, running_ingest, source
from tests.intake.fake_system import Answer, FakeSystem, hydrology_now

KEYS = ("status", "last_seen", "lag_s", "error_rate", "workers", "consecutive_failures")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSystem]:
    f = FakeSystem()
    f.answers["/hydrology/rt"] = Answer(hydrology_now)
    f.start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def two_workers(
    fake: FakeSystem,
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveCenter, LiveCenter]]:
    """Two centers (as two uvicorn workers would be) on the same database."""
    url = make_database()
    both = [
        _start(
            lambda: url,
            free_port,
            Path(tmp_path_factory.mktemp(f"worker{n}")),
            feed_health_flush_s=0.2,
            feed_poll={"hydrology": {"url": fake.url("/hydrology/rt"), "interval_s": 1.0}},
        )
        for n in (1, 2)
    ]
    yield both[0][0], both[1][0]
    for _, server, thread in both:
        server.should_exit = True
        thread.join(10)


def health(live: LiveCenter, system: str) -> dict[str, Any]:
    feeds = live.client("duty").get("/api/v1/feeds").json()["feeds"]
    got = next(f for f in feeds if f["system"] == system)
    return {k: got[k] for k in KEYS}


def test_both_workers_answer_the_merged_health(two_workers: tuple[LiveCenter, LiveCenter]) -> None:
    a, b = two_workers
    good = _skynet_report_to(a)
    with source(b) as c:
        bad = c.post("/api/v1/feeds/skynet/events", json={**good, "alarmType": "??"})
        assert bad.status_code == 422
    # Each worker saw one of the two arrivals; both must answer with both.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ha, hb = health(a, "skynet"), health(b, "skynet")
        if ha["workers"] == hb["workers"] == 2 and ha["error_rate"] == hb["error_rate"] == 0.5:
            break
        time.sleep(0.1)
    assert ha == hb, (ha, hb)
    assert ha["error_rate"] == 0.5 and ha["workers"] == 2
    assert ha["last_seen"] is not None  # seen by a only, answered by b too
    assert ha["status"] in ("degraded", "down")  # one bad payload in two is over 20 %


def test_one_worker_polls_and_both_report_it(
    two_workers: tuple[LiveCenter, LiveCenter], fake: FakeSystem
) -> None:
    a, b = two_workers
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ha, hb = health(a, "hydrology"), health(b, "hydrology")
        if ha["last_seen"] and ha["last_seen"] == hb["last_seen"]:
            break
        time.sleep(0.1)
    assert ha["last_seen"] and ha["last_seen"] == hb["last_seen"]
    time.sleep(2.5)  # a few more intervals, and flushes
    with psycopg.connect(a.center.db.url) as conn:
        polled = conn.execute(
            "SELECT worker, attempts FROM feed_health WHERE system = 'hydrology'"
        ).fetchall()
        holders = conn.execute("SELECT holder FROM feed_poll_leases").fetchall()
    assert len(polled) == 2
    assert len([w for w, n in polled if n > 0]) == 1, polled  # the lease: one poller
    assert len(holders) == 1 and holders[0][0] in {w for w, n in polled if n > 0}


def _skynet_report_to(center: LiveCenter) -> dict[str, Any]:
    """Push the recorded Skynet alarm to one worker; the alarm as sent."""
    good: dict[str, Any] = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    with source(center) as c:
        assert c.post("/api/v1/feeds/skynet/events", json=good).status_code == 202
    return good


def test_a_status_change_is_announced_once_not_once_per_worker(
    two_workers: tuple[LiveCenter, LiveCenter],
) -> None:
    a, b = two_workers
    good = _skynet_report_to(a)
    with source(b) as c:
        c.post("/api/v1/feeds/skynet/events", json={**good, "alarmType": "??"})
    time.sleep(2.0)  # ten flush periods of both workers
    with psycopg.connect(a.center.db.url) as conn:
        rows = conn.execute(
            "SELECT f->>'status' FROM change_log, jsonb_array_elements(payload->'feeds') f"
            " WHERE kind = 'feed.health' AND f->>'system' = 'skynet' ORDER BY seq"
        ).fetchall()
    statuses = [r[0] for r in rows]
    assert statuses, "the wall was never told skynet's status"
    # Each announcement is a change: the same status twice in a row means two workers
    # both announced it.
    assert all(x != y for x, y in pairwise(statuses)), statuses


def test_each_worker_judges_silence_by_every_workers_arrivals(
    two_workers: tuple[LiveCenter, LiveCenter],
) -> None:
    a, b = two_workers
    _skynet_report_to(a)
    seen_by_a = running_ingest(a).runner.health["skynet"].last_seen
    assert seen_by_a is not None
    runner_b = running_ingest(b).runner
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen_by_b = runner_b.health["skynet"].last_seen
        if seen_by_b is not None and seen_by_b >= seen_by_a:
            break
        time.sleep(0.1)
    assert seen_by_b is not None and seen_by_b >= seen_by_a
