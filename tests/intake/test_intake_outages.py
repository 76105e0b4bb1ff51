"""The intake through a crash of its dependencies, on private servers this test kills.

Redis killed with ``SIGKILL`` mid-burst and restarted empty: every payload answered 202
(before, during and after) becomes exactly one order, because the 202 means "committed in
PostgreSQL" and Redis carries no intake at all; ``/readyz`` says the bus is down and the
intake still consuming while Redis is gone, and ready again after.

PostgreSQL stopped at once (``pg_ctl -m immediate``): requests answer 503 with
``Retry-After`` within the pool's acquire timeout instead of a 500 after 30 s; ``/readyz``
says the database and the intake are down; after the restart the consumers resume by
themselves and every payload answered 202 before the crash is processed once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import _start, fixture_bytes, source
from tests.servers import PrivatePostgres, PrivateRedis

# Enough room that no post of the burst meets a rate limit.
NO_LIMITS = {"feed_rate_per_s": 10_000.0, "feed_burst": 100_000}


def alarm(alarm_id: str) -> bytes:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = alarm_id
    return json.dumps(doc).encode()


def post_alarms(live: LiveCenter, ids: list[str]) -> dict[str, int]:
    """Post one alarm per id, eight at a time; the status each got."""
    with source(live) as c:

        def post(aid: str) -> tuple[str, int]:
            try:
                return aid, c.post("/api/v1/feeds/skynet/events", content=alarm(aid)).status_code
            except httpx.HTTPError:
                return aid, 0  # no answer at all

        with ThreadPoolExecutor(8) as pool:
            return dict(pool.map(post, ids))


def orders_by_alarm(db_url: str, prefix: str) -> dict[str, int]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT split_part(source_id, '#', 1), count(*) FROM orders"
            " WHERE source = 'skynet' AND source_id LIKE %s GROUP BY 1",
            (prefix + "%",),
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def wait_for_orders(
    db_url: str, prefix: str, ids: list[str], timeout: float = 60
) -> dict[str, int]:
    """The orders per alarm once every id has one (or the deadline passed)."""
    deadline = time.monotonic() + timeout
    while True:
        got = orders_by_alarm(db_url, prefix)
        if all(got.get(a) for a in ids) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def readyz(live: LiveCenter) -> httpx.Response:
    return httpx.get(live.base_url + "/readyz", timeout=10)


def wait_readyz(live: LiveCenter, ok: Callable[[httpx.Response], bool], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not ok(r := readyz(live)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return r


@pytest.fixture
def private_redis(free_port: Callable[[], int]) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def private_pg(free_port: Callable[[], int]) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(free_port()).start()
    yield server
    server.stop()


def test_redis_killed_mid_burst_loses_nothing(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path: Path,
    private_redis: PrivateRedis,
) -> None:
    db_url = make_database()
    live, server, thread = _start(
        lambda: db_url, free_port, tmp_path, redis_url=private_redis.url, **NO_LIMITS
    )
    try:
        assert readyz(live).status_code == 200
        prefix = f"R{time.time_ns()}-"
        first = [f"{prefix}a{n}" for n in range(60)]
        during = [f"{prefix}b{n}" for n in range(40)]
        after = [f"{prefix}c{n}" for n in range(40)]
        statuses: dict[str, int] = {}

        with ThreadPoolExecutor(1) as burst:
            running = burst.submit(post_alarms, live, first)
            time.sleep(0.15)  # mid-burst
            private_redis.kill()
            statuses |= running.result()
        statuses |= post_alarms(live, during)

        # While Redis is gone the bus is down, and the intake keeps consuming.
        down = wait_readyz(live, lambda r: r.status_code == 503, 10)
        assert down.status_code == 503, down.text
        assert down.json()["down"] == ["bus"], down.text
        assert down.json()["checks"]["intake"] == "ok", down.text
        # The feeds answer as usual (they were a 500 when the intake needed Redis).
        token = live.token("admin")
        with httpx.Client(
            base_url=live.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as staff:
            for path in ("/api/v1/feeds", "/api/v1/feeds/layers", "/api/v1/feeds/dead-letters"):
                assert staff.get(path).status_code == 200, path

        private_redis.start()  # same port, empty
        up = wait_readyz(live, lambda r: r.status_code == 200, 20)
        assert up.status_code == 200, up.text
        statuses |= post_alarms(live, after)

        # "accepted" holds through the crash: every post was taken, every one made one order.
        assert {s for s in statuses.values()} == {202}, statuses
        ids = first + during + after
        orders = wait_for_orders(db_url, prefix, ids)
        assert {a: orders.get(a, 0) for a in ids} == dict.fromkeys(ids, 1)
        with psycopg.connect(db_url) as conn:
            left = conn.execute("SELECT count(*) FROM intake WHERE status <> 'done'").fetchone()
        assert left == (0,)
    finally:
        server.should_exit = True
        thread.join(10)


def test_database_down_answers_503_fast_and_intake_resumes(
    free_port: Callable[[], int], tmp_path: Path, private_pg: PrivatePostgres
) -> None:
    live, server, thread = _start(
        lambda: private_pg.url, free_port, tmp_path, db_acquire_timeout_s=1.0, **NO_LIMITS
    )
    try:
        token = live.token("admin")
        prefix = f"D{time.time_ns()}-"
        before = [f"{prefix}a{n}" for n in range(20)]
        assert set(post_alarms(live, before).values()) == {202}

        private_pg.crash()

        # A payload, and a read, answer 503 with Retry-After, fast.
        for attempt in range(3):  # the pool's dead connections first, then no connection
            with source(live) as c:
                t0 = time.monotonic()
                r = c.post("/api/v1/feeds/skynet/events", content=alarm(f"{prefix}x{attempt}"))
                took = time.monotonic() - t0
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"].isdigit()
            assert r.json()["error"]["code"] == "unavailable"
            assert took < 3.0, took
        t0 = time.monotonic()
        r = httpx.get(
            live.base_url + "/api/v1/orders",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 503, r.text
        assert "Retry-After" in r.headers
        assert time.monotonic() - t0 < 3.0

        # The consumers cannot read: /readyz says so.
        down = wait_readyz(live, lambda r: "intake" in r.json().get("down", []), 10)
        assert down.status_code == 503, down.text
        assert {"database", "intake"} <= set(down.json()["down"]), down.text
        failing = down.json()["checks"]["intake_consumers"]["failing"]
        assert failing["ingest-sweep"] == "database", down.text

        private_pg.start()
        up = wait_readyz(live, lambda r: r.status_code == 200, 30)
        assert up.status_code == 200, up.text
        assert up.json()["checks"]["intake"] == "ok"

        after = [f"{prefix}b{n}" for n in range(20)]
        assert set(post_alarms(live, after).values()) == {202}
        ids = before + after
        orders = wait_for_orders(private_pg.url, prefix, ids)
        # Only what was answered 202 became orders, each exactly once.
        assert orders == dict.fromkeys(ids, 1)
    finally:
        server.should_exit = True
        thread.join(10)
