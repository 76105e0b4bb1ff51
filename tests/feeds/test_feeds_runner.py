"""The shared runner: health transitions, failed/recovered logged once, timeouts, backoff."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from feeds.base import FeedEvent, Normalized, PayloadError
from feeds.registry import Catalogue
from feeds.runner import Backoff, FeedRunner, Payload, Status
from tests.feeds.conftest import fixture_bytes

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
CAT = Catalogue.default()
GAUGES = json.loads(fixture_bytes("hydrology", "normal.json"))


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Sink:
    def __init__(self) -> None:
        self.delivered: list[tuple[str, Normalized]] = []
        self.rejected: list[tuple[str, str]] = []

    async def deliver(
        self, system: str, payload: Payload, items: Normalized, received_at: datetime
    ) -> None:
        self.delivered.append((system, items))

    async def reject(
        self, system: str, payload: Payload, error: PayloadError, received_at: datetime
    ) -> None:
        self.rejected.append((system, error.field))


class Source:
    """The outside system: answers per a script of 'ok', 'down', 'junk', 'slow'."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        what = self.script.pop(0) if self.script else "ok"
        if what == "down":
            raise ConnectionError("connection refused by 10.51.20.7:8080")
        if what == "junk":
            return b"<html>502 Bad Gateway</html>"
        if what == "slow":
            await asyncio.sleep(5)
        return GAUGES


def _runner(source: Callable[[], Any], clock: Clock, sink: Sink, **kw: Any) -> FeedRunner:
    return FeedRunner(
        CAT.only(["hydrology", "skynet"]).adapters,
        sink,
        fetchers={"hydrology": source},
        clock=clock,
        rng=random.Random(1),
        **kw,
    )


def _messages(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if word in r.getMessage()]


def test_poll_health_transitions_and_log_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feeds.runner")
    clock, sink = Clock(), Sink()
    runner = _runner(Source(["ok", "down", "down", "down", "down", "ok"]), clock, sink)
    assert runner.evaluate("hydrology") is Status.unknown

    async def poll() -> Status:
        await runner.poll_once("hydrology")
        clock.advance(300)
        return runner.health["hydrology"].status

    async def scenario() -> list[Status]:
        return [await poll() for _ in range(6)]

    statuses = asyncio.run(scenario())
    assert statuses == [
        Status.up,
        Status.degraded,
        Status.degraded,
        Status.down,
        Status.down,
        Status.degraded,
    ]
    assert _messages(caplog, "failed") == [
        "feed hydrology failed: ConnectionError: connection refused by 10.51.20.7:8080"
    ]
    assert _messages(caplog, "recovered") == ["feed hydrology recovered"]
    h = runner.health["hydrology"]
    assert h.consecutive_failures == 0 and h.error_rate == pytest.approx(4 / 6)
    assert h.last_seen == START + timedelta(seconds=5 * 300)
    assert len(sink.delivered) == 2


def test_recovered_feed_is_up_once_errors_leave_the_window() -> None:
    clock, sink = Clock(), Sink()
    runner = _runner(Source(["down"] + ["ok"] * 10), clock, sink)

    async def go() -> list[Status]:
        out = []
        for _ in range(11):
            await runner.poll_once("hydrology")
            out.append(runner.health["hydrology"].status)
        return out

    statuses = asyncio.run(go())
    # 1 failure in n attempts: degraded while the error rate is over 20 %
    assert statuses == [Status.degraded] * 4 + [Status.up] * 7


def test_timeout_counts_as_a_failure() -> None:
    clock, sink = Clock(), Sink()
    runner = _runner(Source(["slow"]), clock, sink, timeout_s=0.05)
    assert asyncio.run(runner.poll_once("hydrology")) is False
    assert runner.health["hydrology"].last_error == "timed out after 0.05 s"


def test_junk_from_a_poll_is_dead_lettered_and_fails_the_feed() -> None:
    clock, sink = Clock(), Sink()
    runner = _runner(Source(["junk"]), clock, sink)
    assert asyncio.run(runner.poll_once("hydrology")) is False
    assert sink.rejected == [("hydrology", "body")]
    assert runner.health["hydrology"].status is Status.degraded


def test_lag_is_how_old_the_newest_data_was() -> None:
    clock, sink = Clock(), Sink()
    clock.now = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # data says 08:00+08:00 = 00:00Z
    runner = _runner(Source(["ok"]), clock, sink)
    asyncio.run(runner.poll_once("hydrology"))
    h = runner.health["hydrology"]
    assert h.lag_s == 1800.0 and h.status is Status.degraded  # more than 2 intervals behind


def test_push_health_from_arrivals(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feeds.runner")
    clock, sink = Clock(), Sink()
    runner = _runner(Source([]), clock, sink)
    good = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    good["alarmTime"] = "2026-11-27 08:00:00"  # = START
    interval = CAT["skynet"].DESCRIPTOR.interval_s
    assert runner.evaluate("skynet") is Status.unknown
    clock.advance(2 * interval)
    assert runner.evaluate("skynet") is Status.degraded  # never heard from
    clock.advance(60)
    items = asyncio.run(runner.record_arrival("skynet", good))
    assert isinstance(items[0], FeedEvent) and items[0].kind == "camera.alarm"
    assert runner.health["skynet"].status is Status.degraded  # data is 2 intervals old (lag)
    good["alarmTime"] = "2026-11-27 08:20:00"
    asyncio.run(runner.record_arrival("skynet", good))
    assert runner.health["skynet"].status is Status.up
    with pytest.raises(PayloadError):
        asyncio.run(runner.record_arrival("skynet", {**good, "alarmType": "??"}))
    assert sink.rejected == [("skynet", "alarmType")]
    assert runner.health["skynet"].status is Status.degraded  # 1 bad in 3
    assert _messages(caplog, "failed") == []  # a bad payload is a dead letter, not an outage
    clock.advance(5 * interval)
    assert runner.evaluate("skynet") is Status.down
    assert runner.evaluate("skynet") is Status.down
    assert len(_messages(caplog, "failed")) == 1
    asyncio.run(runner.record_arrival("skynet", good))
    assert _messages(caplog, "recovered") == ["feed skynet recovered"]
    snap = {h["system"]: h for h in runner.snapshot()}
    assert set(snap) == {"hydrology", "skynet"}
    assert snap["skynet"]["last_seen"] == clock.now.isoformat()


def test_backoff_delays_in_run_feed() -> None:
    clock, sink = Clock(), Sink()
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        clock.advance(s)

    runner = _runner(
        Source(["down", "down", "down", "ok", "ok"]),
        clock,
        sink,
        sleep=sleep,
        backoff=Backoff(base_s=5, max_s=900, jitter=0),
    )
    asyncio.run(runner.run_feed("hydrology", max_polls=5))
    assert slept == [5.0, 10.0, 20.0, 300, 300]


def test_backoff_is_capped_and_jittered() -> None:
    b = Backoff(base_s=5, max_s=60, jitter=0.1)
    rng = random.Random(3)
    delays = [b.delay(n, 3600, rng) for n in range(1, 12)]
    assert all(d <= 66 for d in delays) and delays[-1] >= 54
    assert b.delay(0, 3600, rng) == 3600


def test_run_polls_every_poll_feed_until_cancelled() -> None:
    sources = {s: Source([]) for s in ("hydrology", "scenic_crowd", "geohazard")}
    golden = json.loads(fixture_bytes("scenic_crowd", "golden_week.json"))
    geo = json.loads(fixture_bytes("geohazard", "normal.json"))

    async def crowd() -> Any:
        sources["scenic_crowd"].calls += 1
        return golden

    async def hazard() -> Any:
        sources["geohazard"].calls += 1
        return [geo, geo]

    sink = Sink()
    runner = FeedRunner(
        CAT.only(["hydrology", "scenic_crowd", "geohazard", "skynet"]).adapters,
        sink,
        fetchers={"hydrology": sources["hydrology"], "scenic_crowd": crowd, "geohazard": hazard},
        sleep=lambda s: asyncio.sleep(0.01),
    )

    async def go() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(runner.run(), 0.1)

    asyncio.run(go())
    assert all(s.calls >= 2 for s in sources.values())
    assert {s for s, _ in sink.delivered} == {"hydrology", "scenic_crowd", "geohazard"}
    crowd_health = runner.health["scenic_crowd"]
    assert crowd_health.error_rate == 0 and crowd_health.last_seen is not None


def test_missing_fetcher_is_an_error() -> None:
    runner = _runner(Source([]), Clock(), Sink())
    with pytest.raises(KeyError):
        asyncio.run(runner.poll_once("skynet"))


def test_a_push_feed_received_by_another_worker_is_not_silent_here(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="feeds.runner")
    clock, sink = Clock(), Sink()
    runner = _runner(Source([]), clock, sink)
    interval = CAT["skynet"].DESCRIPTOR.interval_s
    for _ in range(6):
        clock.advance(interval)
        runner.seen_elsewhere("skynet", clock.now)  # the other worker got this one
        assert runner.evaluate("skynet") is not Status.down
    assert _messages(caplog, "failed") == []
    # Silence everywhere is still an outage, logged once here.
    clock.advance(5 * interval)
    assert runner.evaluate("skynet") is Status.down
    assert len(_messages(caplog, "failed")) == 1
    # Data again, on the other worker: no longer failing here, and no false "recovered".
    runner.seen_elsewhere("skynet", clock.now)
    assert runner.evaluate("skynet") is not Status.down
    assert _messages(caplog, "recovered") == []
    clock.advance(5 * interval)
    runner.evaluate("skynet")
    assert len(_messages(caplog, "failed")) == 2  # a new outage is a new "failed"
    # An older sighting does not move last_seen back.
    before = runner.health["skynet"].last_seen
    runner.seen_elsewhere("skynet", START)
    assert runner.health["skynet"].last_seen == before
