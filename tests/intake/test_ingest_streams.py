"""The Redis Streams intake: acknowledged only after commit; a dead consumer's entries are
reclaimed by another and processed exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import psycopg
import redis

from dispatch_center.intake.queue import GROUP, STREAM
from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, fixture_bytes, running_ingest, source


def on_server(live: LiveCenter, coro: Any) -> Any:
    """Run a coroutine on the live server's event loop."""
    loop = running_ingest(live).loop
    return asyncio.run_coroutine_threadsafe(coro, loop).result(30)


def orders_for(live: LiveCenter, alarm_id: str) -> int:
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM orders WHERE source = 'skynet' AND source_id LIKE %s",
            (alarm_id + "#%",),
        ).fetchone()
    assert row is not None
    return int(row[0])


def alarm(alarm_id: str) -> bytes:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = alarm_id
    return json.dumps(doc).encode()


def test_stream_intake_processes_and_acks(streams_live: LiveCenter) -> None:
    aid = f"S-{time.time_ns()}"
    with source(streams_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=alarm(aid))
    assert r.status_code == 202, r.text
    assert "-" in str(r.json()["intake_id"])  # a stream entry id
    drain(streams_live)
    assert orders_for(streams_live, aid) == 1
    assert running_ingest(streams_live).stats.payloads >= 1


def test_consumer_killed_mid_stream_is_reclaimed_once(streams_live: LiveCenter) -> None:
    ingest = running_ingest(streams_live)
    bus = streams_live.center.bus
    on_server(streams_live, ingest.pause())  # no live consumer: entries wait in the stream
    aid = f"K-{time.time_ns()}"
    with source(streams_live) as c:
        assert c.post("/api/v1/feeds/skynet/events", content=alarm(aid)).status_code == 202
    # a worker reads the entry and dies before acknowledging it
    got = on_server(streams_live, bus.stream_read_group(STREAM, GROUP, "doomed-worker", count=10))
    assert len(got) == 1
    assert orders_for(streams_live, aid) == 0
    r = redis.Redis.from_url(ingest.queue.redis_url)
    assert r.xpending(STREAM, GROUP)["pending"] == 1
    # another consumer takes the dead worker's entry over
    assert on_server(streams_live, ingest.queue.claim_stale(0)) == 1
    assert orders_for(streams_live, aid) == 1
    assert r.xpending(STREAM, GROUP)["pending"] == 0
    assert on_server(streams_live, ingest.queue.claim_stale(0)) == 0
    # the source re-sends after a timeout on its side: still one order
    with source(streams_live) as c:
        assert c.post("/api/v1/feeds/skynet/events", content=alarm(aid)).status_code == 202
    entries = on_server(streams_live, bus.stream_read_group(STREAM, GROUP, "second", count=10))
    on_server(streams_live, ingest.queue.process_entries(entries))
    assert orders_for(streams_live, aid) == 1
    assert r.xlen(STREAM) == 0
