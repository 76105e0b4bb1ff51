"""Ingest benchmark: sustained feed events per second accepted, routed and committed with
idempotency, against a raw ``COPY`` of the same rows in the same run.

The full path runs in-process against a real PostgreSQL (``DATABASE_URL``, default the local
test server; a scratch database is made and dropped): each payload is validated, made durable
in the intake queue before it counts as accepted, then processed in batches (rules, dedupe
table, feed events, live layer state, change log). Every payload is sent twice, so half the
work is duplicates that must create nothing. At the end rows are counted: zero lost, zero
duplicated. The baseline COPYs the same event rows into a plain table; a second one, for
reading the first, COPYs them through a dedupe table in SQL alone.

    python benchmarks/ingest.py [--quick] [--payloads N] [--readings K]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

# benchmarks/ holds scripts named like the project's packages (wallboard.py): import the
# packages from the repository root, not the scripts beside this one.
_ROOT = str(Path(__file__).resolve().parents[1])
sys.path[:] = [_ROOT] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

SERVER = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = 0.0
    return f"{cores} cores, {mem:.1f} GiB"


def payload(n: int, readings: int, t0: datetime) -> bytes:
    """One hydrology poll answer with ``readings`` distinct rain-station readings."""
    data = []
    for k in range(readings):
        data.append(
            {
                "STCD": f"B{n:07d}{k:03d}",
                "STNM": f"测站{k}",
                "STTP": "PP",
                "TM": (t0 + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S"),
                "DRP": round((n * 7 + k) % 50 / 10, 1),
                "INTV": 1,
                "LGTD": 103.5 + (k % 50) / 100,
                "LTTD": 29.3 + (n % 50) / 100,
                "ADDVCD": "511111",
            }
        )
    return json.dumps({"code": 0, "msg": "success", "data": data}, ensure_ascii=False).encode()


def scratch_db() -> str:
    name = f"dc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(SERVER)
    params["dbname"] = name
    return make_conninfo("", **params)


def drop_db(url: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.intake.events import event_row
    from dispatch_center.intake.ingest import Ingest
    from dispatch_center.settings import Settings
    from feeds.registry import Catalogue
    from feeds.rules import apply_rules

    url = scratch_db()
    data_dir = Path(f"/tmp/dc-bench-{uuid.uuid4().hex[:6]}")
    settings = Settings(
        database_url=url,
        demo=True,
        demo_story=False,
        data_dir=data_dir,
        intake_queue_size=10**7,
        feed_rate_per_s=10**6,
        feed_burst=10**6,
        db_pool_max=args.concurrency + 6,
    )
    center = await start_center(settings)
    ingest = Ingest(center, Catalogue.default().only(["hydrology"]), workers=2)
    await ingest.start()
    try:
        t0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
        bodies = [payload(n, args.readings, t0) for n in range(args.payloads)]
        sends = bodies + bodies  # every payload twice: duplicates must create nothing
        expected = args.payloads * args.readings
        print(f"{len(sends)} payloads ({args.payloads} distinct × 2), {expected} distinct events")

        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for b in sends:
            queue.put_nowait(b)
        accepted = 0

        async def sender() -> None:
            nonlocal accepted
            while not queue.empty():
                b = queue.get_nowait()
                await ingest.accept("hydrology", b)
                accepted += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        accept_s = time.perf_counter() - started
        print(f"accepted (durable) {accepted} payloads in {accept_s:.2f} s")
        await ingest.drain(timeout=600)
        total_s = time.perf_counter() - started
        async with center.db.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) AS n, count(DISTINCT source_id) AS d FROM feed_events"
            )
            row = await cur.fetchone()
            cur = await conn.execute("SELECT count(*) AS n FROM intake WHERE status <> 'done'")
            undone = await cur.fetchone()
        assert row is not None and undone is not None
        stored, distinct = int(row["n"]), int(row["d"])
        lost = expected - distinct
        duplicated = stored - distinct
        events_per_s = expected * 2 / total_s
        print(
            f"processed in {total_s:.2f} s: {stored} events stored, lost {lost},"
            f" duplicated {duplicated}, intake rows not done {undone['n']}"
        )
        distinct_s = expected / total_s
        print(f"sustained: {events_per_s:,.0f} events/s offered ({distinct_s:,.0f} distinct/s)")

        # Baseline: COPY the same event rows into a plain table, same server, same run.
        rows: list[tuple[Any, ...]] = []
        adapter = Catalogue.default()["hydrology"]
        for b in bodies:
            for e in apply_rules(adapter.normalize(b, received_at=t0)).events:
                ev = event_row(e)
                rows.append(
                    (
                        ev.at,
                        ev.system,
                        ev.source_id,
                        ev.kind,
                        ev.layer,
                        ev.severity,
                        ev.title,
                        ev.lon,
                        ev.lat,
                        json.dumps(dict(ev.data), ensure_ascii=False),
                    )
                )
        with psycopg.connect(url, autocommit=True) as sync_conn:
            sync_conn.execute(
                "CREATE TABLE copy_baseline (at timestamptz, system text, source_id text,"
                " kind text, layer text, severity text, title text, lon float8, lat float8,"
                " data jsonb)"
            )
            c0 = time.perf_counter()
            with (
                sync_conn.cursor() as sync_cur,
                sync_cur.copy(
                    "COPY copy_baseline (at, system, source_id, kind, layer, severity, title,"
                    " lon, lat, data) FROM STDIN"
                ) as cp,
            ):
                for one in rows:
                    cp.write_row(one)
            copy_s = time.perf_counter() - c0
        copy_per_s = len(rows) / copy_s
        print(f"raw COPY of the same {len(rows)} rows: {copy_s:.2f} s = {copy_per_s:,.0f} rows/s")
        guarded_s = _copy_with_dedupe(url, rows)
        guarded_per_s = len(rows) / guarded_s
        print(
            f"COPY + the same dedupe in SQL alone (no Python, no durable queue, no change log):"
            f" {guarded_s:.2f} s = {guarded_per_s:,.0f} rows/s"
        )
        return {
            "benchmark": "ingest",
            "machine": machine(),
            "figures": {
                "events_per_s": round(events_per_s),
                "distinct_events_per_s": round(expected / total_s),
                "payloads_accepted_per_s": round(accepted / accept_s),
                "events_offered": expected * 2,
                "events_stored": stored,
                "lost": lost,
                "duplicated": duplicated,
                "total_s": round(total_s, 2),
            },
            "baselines": {
                "copy_rows_per_s": round(copy_per_s),
                "copy_with_dedupe_rows_per_s": round(guarded_per_s),
            },
            "ratios": {
                "vs_copy": round(expected / total_s / copy_per_s, 3),
                "vs_copy_with_dedupe": round(expected / total_s / guarded_per_s, 3),
            },
            "targets": {"events_per_s": 5000, "vs_copy": 0.5, "lost": 0, "duplicated": 0},
        }
    finally:
        await ingest.stop()
        await stop_center(center)
        drop_db(url)


def _copy_with_dedupe(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to COPY the rows into a staging table and insert them through a dedupe
    table like the product's (same keys, same indexes): what the guarantee costs the
    database alone, for reading the raw-COPY ratio."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE copy_dedupe (LIKE feed_dedupe INCLUDING ALL)")
        conn.execute(
            "CREATE TABLE copy_events (LIKE feed_events INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        c0 = time.perf_counter()
        with conn.transaction():
            conn.execute(
                "CREATE TEMP TABLE stage (at timestamptz, system text, source_id text, kind text,"
                " layer text, severity text, title text, lon float8, lat float8, data jsonb)"
                " ON COMMIT DROP"
            )
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY stage (at, system, source_id, kind, layer, severity, title, lon, lat,"
                    " data) FROM STDIN"
                ) as cp,
            ):
                for one in rows:
                    cp.write_row(one)
            conn.execute(
                "WITH fresh AS (INSERT INTO copy_dedupe (system, source_id)"
                " SELECT system, source_id FROM stage ON CONFLICT DO NOTHING"
                " RETURNING system, source_id)"
                " INSERT INTO copy_events (at, received_at, system, source_id, kind, layer,"
                " severity, title, lon, lat, data)"
                " SELECT s.at, now(), s.system, s.source_id, s.kind, s.layer, s.severity, s.title,"
                " s.lon, s.lat, s.data FROM stage s JOIN fresh USING (system, source_id)"
            )
        return time.perf_counter() - c0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="a smaller run (well under a minute)")
    p.add_argument("--payloads", type=int, default=None)
    p.add_argument("--readings", type=int, default=20, help="events per payload")
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    if args.payloads is None:
        args.payloads = 300 if args.quick else 3000
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
