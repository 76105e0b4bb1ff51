"""What the gap-free change log's one counter row (``change_seq``) costs (issue 16 §3).

Every change takes the next number by ``UPDATE change_seq SET last = last + 1`` in the
statement (or transaction) that writes it, so the row lock is held until commit and
every write in the center queues on it (``dispatch_center/store/changes.py``).

1. Statements: N connections each appending changes as fast as they can, for N = 1, 8,
   16, 32: the change log's own statement against the same INSERT numbered from a
   sequence (no row lock, not gap-free: the floor any redesign could reach).
2. Two app hosts (two ``dispatch-center serve`` processes on one database and one Redis):
   orders created through both at once, with ``pg_stat_activity`` sampled every 10 ms for
   backends waiting on a lock inside a statement that takes ``change_seq``.

    python benchmarks/change_seq.py [--quick] [--url POSTGRES_URL]

``--url`` names the server to make the scratch database on (default: as the other
benchmarks); point it at the Patroni leader of ``scripts/cluster`` to measure with a
synchronous standby, where the lock is held across the standby's confirmation too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from benchmarks._common import (
    create_user,
    free_port,
    machine,
    percentile,
    production_env,
    report,
    run_server,
    server_url,
    sign_in,
)
from benchmarks.orders import order_body

LOG_SQL = (
    "WITH seq AS (UPDATE change_seq SET last = last + 1 WHERE id RETURNING last)"
    " INSERT INTO change_log (seq, at, kind, entity_id, payload)"
    " SELECT seq.last, now(), 'bench', %s, %s FROM seq"
)
FREE_SQL = (
    "INSERT INTO free_log (seq, at, kind, entity_id, payload)"
    " VALUES (nextval('free_seq'), now(), 'bench', %s, %s)"
)


def scratch(base: str) -> str:
    name = f"dc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(base)
    params["dbname"] = name
    return make_conninfo(**params)


def drop(base: str, url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def hammer(url: str, sql: str, conns: int, seconds: float) -> tuple[float, list[float]]:
    """Statements per second and each one's latency (ms), ``conns`` connections at once."""
    latencies: list[float] = []
    payload = Jsonb({"order": {"id": 1, "status": "received", "note": "x" * 200}})

    async def one() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                await conn.execute(sql, ("1", payload))
                latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    return len(latencies) / (time.perf_counter() - started), latencies


def statements(url: str, seconds: float) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE free_log (LIKE change_log INCLUDING ALL)")
        conn.execute("CREATE SEQUENCE free_seq")
    figures: dict[str, Any] = {}
    print(
        f"{'connections':>11} {'log/s':>8} {'p50':>7} {'p99':>7}"
        f" {'free/s':>8} {'p50':>7} {'p99':>7}"
    )
    for n in (1, 8, 16, 32):
        log_rate, log_lat = asyncio.run(hammer(url, LOG_SQL, n, seconds))
        free_rate, free_lat = asyncio.run(hammer(url, FREE_SQL, n, seconds))
        print(
            f"{n:>11} {log_rate:>8.0f} {percentile(log_lat, 50):>6.1f}ms"
            f" {percentile(log_lat, 99):>6.1f}ms {free_rate:>8.0f}"
            f" {percentile(free_lat, 50):>6.1f}ms {percentile(free_lat, 99):>6.1f}ms",
            flush=True,
        )
        figures[f"log_per_s_{n}"] = round(log_rate)
        figures[f"free_per_s_{n}"] = round(free_rate)
        figures[f"log_p99_ms_{n}"] = round(percentile(log_lat, 99), 2)
    return figures


class LockSampler(threading.Thread):
    """Samples, every 10 ms, the backends running a statement and those of them waiting on
    a lock inside a statement that takes ``change_seq``."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[tuple[int, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.halt.is_set():
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'),"
                    " count(*) FILTER (WHERE wait_event_type = 'Lock'"
                    "                  AND query ILIKE '%%change_seq%%')"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()
                if row:
                    self.samples.append((int(row[0]), int(row[1])))
                time.sleep(0.01)


async def order_load(
    bases: list[str], token: str, conns: int, seconds: float
) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))

    async def one(base: str) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                body = order_body(next(counter), source=f"seq-{os.getpid()}")
                t = time.perf_counter()
                r = await client.post("/api/v1/orders", json=body, headers=headers)
                if r.status_code == 201:
                    latencies.append((time.perf_counter() - t) * 1000)
                else:
                    errors += 1

    await asyncio.gather(*(one(bases[i % len(bases)]) for i in range(conns)))
    return len(latencies), latencies, errors


def two_hosts(url: str, seconds: float, conns: int) -> dict[str, Any]:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
    env = production_env(url, REDIS_URL=redis_url, DISPATCH_DB_POOL_MAX="16")
    create_user(env, "bench", "dispatcher", "Qx7-lamp-river-2026")
    p1, p2 = free_port(), free_port()
    with (
        run_server(env, p1) as a,
        run_server({**env, "DISPATCH_DATA_DIR": f"/tmp/dc-b-{p2}"}, p2) as b,
    ):
        token = sign_in(p1, "bench", "Qx7-lamp-river-2026")
        sampler = LockSampler(url)
        sampler.start()
        started = time.perf_counter()
        done, latencies, errors = asyncio.run(order_load([a, b], token, conns, seconds))
        elapsed = time.perf_counter() - started
        sampler.halt.set()
        sampler.join()
    active = sum(s[0] for s in sampler.samples) / max(1, len(sampler.samples))
    waiting = sum(s[1] for s in sampler.samples) / max(1, len(sampler.samples))
    some = sum(1 for s in sampler.samples if s[1]) / max(1, len(sampler.samples))
    print(
        f"two app hosts, {conns} clients: {done / elapsed:.0f} orders/s,"
        f" p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms,"
        f" errors {errors}"
    )
    print(
        f"  backends running a statement: {active:.2f} on average; waiting on the"
        f" change_seq lock: {waiting:.2f} ({waiting / active * 100 if active else 0:.0f}%"
        f" of them); at least one waiting in {some * 100:.0f}% of {len(sampler.samples)} samples"
    )
    return {
        "orders_per_s_two_hosts": round(done / elapsed),
        "orders_p99_ms": round(percentile(latencies, 99), 1),
        "active_backends": round(active, 2),
        "waiting_on_change_seq": round(waiting, 2),
        "share_waiting": round(waiting / active, 3) if active else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--url", default=None, help="server to make the scratch database on")
    p.add_argument("--no-hosts", action="store_true", help="the statements only")
    args = p.parse_args()
    base = args.url or server_url()
    seconds = 2.0 if args.quick else 5.0
    print(f"change_seq on {machine()}, server {conninfo_to_dict(base).get('port', 5432)}")
    url = scratch(base)
    try:
        from dispatch_center.store.migrate import migrate

        migrate(url)
        figures = statements(url, seconds)
        if not args.no_hosts:
            figures.update(two_hosts(url, seconds * 3, 16))
    finally:
        drop(base, url)
    ratios = {
        f"log_vs_free_{n}": round(figures[f"log_per_s_{n}"] / figures[f"free_per_s_{n}"], 2)
        for n in (1, 8, 16, 32)
    }
    report("change_seq", figures, {}, ratios, {})


if __name__ == "__main__":
    main()
