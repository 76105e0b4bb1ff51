"""The intake table is the queue, Redis or not: a 202 means a committed row; a worker that
died leaves its rows to the others once its heartbeat runs out, and they are processed
exactly once in effect."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import psycopg
import redis

from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, fixture_bytes, running_ingest, source


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


def test_a_202_with_redis_is_a_committed_row(streams_live: LiveCenter) -> None:
    aid = f"S-{time.time_ns()}"
    with source(streams_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=alarm(aid))
    assert r.status_code == 202, r.text
    intake_id = r.json()["intake_id"]
    assert isinstance(intake_id, int)
    # Committed before the answer: another connection sees it at once.
    with psycopg.connect(streams_live.center.db.url) as conn:
        row = conn.execute("SELECT system FROM intake WHERE id = %s", (intake_id,)).fetchone()
    assert row == ("skynet",)
    # Redis, which keeps nothing on disk, holds no accepted payload.
    assert redis.Redis.from_url(str(streams_live.center.settings.redis_url)).xlen("dc:intake") == 0
    drain(streams_live)
    assert orders_for(streams_live, aid) == 1
    assert running_ingest(streams_live).stats.payloads >= 1


def _orphan(conn: psycopg.Connection, aid: str, worker: str) -> int:
    row = conn.execute(
        "INSERT INTO intake (system, received_at, payload, claimed_by, claimed_at)"
        " VALUES ('skynet', now(), %s, %s, now()) RETURNING id",
        (alarm(aid), worker),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _status(conn: psycopg.Connection, intake_id: int) -> tuple[str, str | None]:
    row = conn.execute(
        "SELECT status, claimed_by FROM intake WHERE id = %s", (intake_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), row[1]


def _wait_done(conn: psycopg.Connection, intake_id: int, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while (status := _status(conn, intake_id)[0]) == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


def test_a_dead_workers_payloads_are_taken_over_once(streams_live: LiveCenter) -> None:
    me = running_ingest(streams_live).consumer_name
    suffix = time.time_ns()
    dead, alive = f"dead-{suffix}", f"alive-{suffix}"
    with psycopg.connect(streams_live.center.db.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO intake_workers (name, alive_until) VALUES"
            " (%s, now() - interval '1 second'), (%s, now() + interval '1 hour')",
            (dead, alive),
        )
        a_dead, a_alive = f"T-dead-{suffix}", f"T-alive-{suffix}"
        of_dead = _orphan(conn, a_dead, dead)
        of_alive = _orphan(conn, a_alive, alive)

        # The dead worker's row is taken over and processed; the living one's is not touched.
        assert _wait_done(conn, of_dead) == "done"
        assert _status(conn, of_dead)[1] == me
        assert orders_for(streams_live, a_dead) == 1
        assert _status(conn, of_alive) == ("pending", alive)
        assert orders_for(streams_live, a_alive) == 0

        # Its heartbeat runs out: now it is taken over too.
        conn.execute("UPDATE intake_workers SET alive_until = now() WHERE name = %s", (alive,))
        assert _wait_done(conn, of_alive) == "done"
        assert orders_for(streams_live, a_alive) == 1

        # The same payload redelivered (a dead worker had processed it, not marked it done):
        # processed again, nothing new.
        again = _orphan(conn, a_dead, dead)
        assert _wait_done(conn, again) == "done"
        assert orders_for(streams_live, a_dead) == 1


def on_server(live: LiveCenter, coro: Any) -> Any:
    """Run a coroutine on the live server's event loop."""
    loop = running_ingest(live).loop
    assert loop is not None
    return asyncio.run_coroutine_threadsafe(coro, loop).result(30)


def test_a_clean_stop_releases_what_it_had_not_processed(fresh_live: LiveCenter) -> None:
    ingest = running_ingest(fresh_live)
    on_server(fresh_live, ingest.pause())  # accepted, not processed yet
    aid = f"T-released-{time.time_ns()}"
    with source(fresh_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=alarm(aid))
    assert r.status_code == 202, r.text
    intake_id = r.json()["intake_id"]
    with psycopg.connect(fresh_live.center.db.url, autocommit=True) as conn:
        assert _status(conn, intake_id) == ("pending", ingest.consumer_name)
        on_server(fresh_live, ingest.stop())
        # Released: no claim, so any worker's next sweep takes it without waiting a lease.
        assert _status(conn, intake_id) == ("pending", None)
        assert orders_for(fresh_live, aid) == 0
        on_server(fresh_live, ingest.queue.start())
        assert _wait_done(conn, intake_id) == "done"
    assert orders_for(fresh_live, aid) == 1


def test_its_own_row_whose_commit_answer_was_lost_is_taken_back(streams_live: LiveCenter) -> None:
    """A row this worker committed but never queued (the accept's caller was cancelled
    between the commit and its answer) is not left pending while the worker lives."""
    ingest = running_ingest(streams_live)
    aid = f"T-lost-{time.time_ns()}"
    with psycopg.connect(streams_live.center.db.url, autocommit=True) as conn:
        lost = _orphan(conn, aid, ingest.consumer_name)
        conn.execute(
            "UPDATE intake SET claimed_at = now() - interval '1 hour' WHERE id = %s", (lost,)
        )
        on_server(streams_live, ingest.queue.sweep(own=True))
        assert _wait_done(conn, lost) == "done"
    assert orders_for(streams_live, aid) == 1
