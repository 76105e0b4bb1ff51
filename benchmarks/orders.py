"""Orders created per second through the HTTP API, with p50/p99 latency, against
plain INSERTs of the same rows into the same table in the same run.

    python benchmarks/orders.py [--quick] [--workers 1] [--concurrency 12] [--orders 20000]

Target (issue 2): at least 1,000 orders/s with p99 under 50 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from benchmarks._common import (
    SERVER_PIDS,
    HttpConnection,
    create_user,
    free_port,
    percentile,
    production_env,
    report,
    run_server,
    scratch_database,
    sign_in,
    wait_until_idle,
)
from dispatch_center.store.orders import ORDER_COLUMNS

PLACES = [
    (103.7665, 29.5521, "市中区滨江路"),
    (103.4845, 29.6010, "峨眉山市名山路"),
    (103.9480, 29.2090, "犍为县玉津镇"),
    (103.5700, 29.7370, "夹江县漹城镇"),
    (103.5480, 29.4120, "沙湾区沫若大道"),
]
CATEGORIES = [
    "urban.sanitation",
    "traffic.road",
    "water.supply",
    "environment.noise",
    "housing.property",
]


def order_body(i: int, source: str = "bench") -> dict[str, Any]:
    lon, lat, addr = random.choice(PLACES)
    return {
        "channel": random.choice(["phone", "wechat", "web", "sms"]),
        "category": {"type": "complaint", "code": random.choice(CATEGORIES)},
        "urgency": random.choice(["general", "general", "urgent", "consultation"]),
        "description": f"基准测试工单 {i}：路灯不亮，夜间出行不便",
        "location": {
            "lon": lon + random.uniform(-0.01, 0.01),
            "lat": lat + random.uniform(-0.01, 0.01),
        },
        "address": addr,
        "reporter": {"name": "测试", "phone": f"138{random.randint(0, 99999999):08d}"},
        "source": source,
        "source_id": f"bench-{i}",
    }


async def api_run(
    port: int, token: str, bodies: list[bytes], concurrency: int
) -> tuple[float, list[float], int]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    queue = iter(bodies)

    async def worker() -> None:
        nonlocal errors
        conn = await HttpConnection.open(port)
        try:
            for body in queue:
                t0 = time.perf_counter()
                status, _ = await conn.request("POST", "/api/v1/orders", body, headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                if status != 201:
                    errors += 1
        finally:
            conn.close()

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t, latencies, errors


async def insert_run(
    url: str, rows: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float]]:
    from psycopg_pool import AsyncConnectionPool

    cols = list(rows[0])
    placeholders = ", ".join(f"%({c})s" for c in cols)
    sql = f"INSERT INTO orders ({', '.join(cols)}) VALUES ({placeholders})"
    pool = AsyncConnectionPool(
        url, min_size=concurrency, max_size=concurrency, open=False, kwargs={"autocommit": True}
    )
    await pool.open(wait=True)
    latencies: list[float] = []
    queue = iter(rows)

    async def worker() -> None:
        async with pool.connection() as conn:
            for row in queue:
                t0 = time.perf_counter()
                await conn.execute(sql, row)
                latencies.append((time.perf_counter() - t0) * 1000)

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t
    await pool.close()
    return elapsed, latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--orders", type=int, default=20000)
    # Closed-loop clients: 12 in flight keep both workers busy without queueing.
    ap.add_argument("--concurrency", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    n = 3000 if args.quick else args.orders
    random.seed(12345)
    bodies = [json.dumps(order_body(i), ensure_ascii=False).encode() for i in range(n)]
    warm = [
        json.dumps(order_body(i, "bench-warmup"), ensure_ascii=False).encode() for i in range(300)
    ]
    with scratch_database() as url:
        password = secrets.token_urlsafe(12)
        # A production server: the demo's story and simulated feeds would compete for
        # the same two cores and blur the figure.
        # Two workers or more share live updates through Redis (serve refuses without it).
        env = production_env(
            url,
            DISPATCH_DB_POOL_MAX="16",
            REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        )
        create_user(env, "bench_dispatcher", "dispatcher", password, unit="511100")
        port = free_port()
        print(
            f"creating {n} orders through the API"
            f" ({args.workers} workers, {args.concurrency} connections)...",
            flush=True,
        )
        with run_server(env, port, workers=args.workers) as base:
            server_pid = SERVER_PIDS[base]
            token = sign_in(port, "bench_dispatcher", password)
            asyncio.run(api_run(port, token, warm, args.concurrency))  # warm-up: pools, caches
            # Let the background workers (rollups load jieba's dictionary on first use)
            # finish with the warm-up orders: the figure is the steady state.
            wait_until_idle(server_pid)
            elapsed, lat, errors = asyncio.run(api_run(port, token, bodies, args.concurrency))
        api_rate = n / elapsed
        print(
            f"  API: {api_rate:,.0f} orders/s, p50 {percentile(lat, 50):.1f} ms,"
            f" p99 {percentile(lat, 99):.1f} ms, errors {errors}",
            flush=True,
        )

        # The same columns the API writes, but for the idempotency key (the plain rows are
        # copies, which the unique index would refuse).
        names = [c for c in ORDER_COLUMNS if c not in ("source", "source_id")]
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                f"SELECT {', '.join(names)} FROM orders WHERE source = 'bench' ORDER BY id"
            ).fetchall()
            count = conn.execute("SELECT count(*) FROM orders WHERE source = 'bench'").fetchone()
        assert count is not None and count[0] == n, f"expected {n} orders, found {count}"
        from psycopg.types.json import Jsonb

        plain = []
        for i, r in enumerate(rows):
            d = dict(zip(names, r, strict=True))
            d["routing"] = Jsonb(d["routing"])
            d["number"] = f"PLAIN{i:010d}"
            plain.append(d)
        print(
            f"inserting the same {n} rows with plain INSERTs ({args.concurrency} connections)...",
            flush=True,
        )
        base_elapsed, base_lat = asyncio.run(insert_run(url, plain, args.concurrency))
        base_rate = n / base_elapsed
        print(
            f"  plain INSERT: {base_rate:,.0f} rows/s, p50 {percentile(base_lat, 50):.2f} ms,"
            f" p99 {percentile(base_lat, 99):.2f} ms",
            flush=True,
        )

    report(
        "orders",
        figures={
            "orders": n,
            "orders_per_s": round(api_rate, 1),
            "p50_ms": round(percentile(lat, 50), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "errors": errors,
            "workers": args.workers,
            "concurrency": args.concurrency,
        },
        baselines={
            "plain_insert_rows_per_s": round(base_rate, 1),
            "plain_insert_p50_ms": round(percentile(base_lat, 50), 3),
            "plain_insert_p99_ms": round(percentile(base_lat, 99), 3),
        },
        ratios={"api_vs_plain_insert_throughput": round(api_rate / base_rate, 3)},
        targets={"orders_per_s": 1000, "p99_ms": 50},
    )


if __name__ == "__main__":
    main()
