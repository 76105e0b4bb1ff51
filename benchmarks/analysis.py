"""Analysis at the scale of the seed city: the daily report, the quarterly ranking and the
hotspot query from the rollups, against the same answers by plain GROUP BY over the raw
orders (and timeline) in the same run. Results must be identical.

    python benchmarks/analysis.py [--quick] [--orders 3200000] [--database-url URL]

``--quick`` backfills about 200,000 orders; without ``--database-url`` a scratch database
is made, backfilled (resumable, so ``--database-url`` can point at one made before) and
dropped. Targets (issue 8): each answer under 300 ms and at least 10x faster than plain.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg.rows import dict_row

from benchmarks._common import report, scratch_database

TARGET_MS = 300.0
TARGET_RATIO = 10.0


async def prepare(url: str, orders: int, today: date) -> dict[str, Any]:
    """Migrate, seed and backfill ``orders`` (resuming a run with the same plan)."""
    from dispatch_center.app import start_center, stop_center
    from dispatch_center.demo import backfill
    from dispatch_center.reporting.rollups import catch_up
    from dispatch_center.settings import Settings

    settings = Settings(
        database_url=url, demo=True, data_dir=Path(tempfile.mkdtemp()), demo_story=False
    )
    center = await start_center(settings)
    try:
        plan = backfill.plan_for(orders, today)
        print(f"backfill {orders} orders over {plan.first_day} .. {plan.last_day}", flush=True)
        started = time.perf_counter()
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if done % 200_000 < n or done == orders:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>9,} orders  ({rate:,.0f}/s)", flush=True)

        result = await asyncio.to_thread(
            backfill.run_backfill,
            url,
            plan,
            today=today,
            geography=center.geography,
            calendar=center.reference.calendar,
            progress=progress,
        )
        seconds = time.perf_counter() - started
        async with center.db.connection() as conn:
            await catch_up(conn)
            # Index-only repeat probes need the visibility map a vacuum sets.
            await conn.execute("VACUUM ANALYZE rollup_order_state")
            await conn.execute("ANALYZE")
        result["seconds"] = round(seconds, 1)
        return result
    finally:
        await stop_center(center)


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    """Median wall time in ms over ``runs`` (after one warm-up) and the last answer."""
    answer = await fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        answer = await fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), answer


async def measure(
    url: str, today: date, quick: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from dispatch_center.core.analysis.periods import parse_quarter, period_for
    from dispatch_center.reporting.hotspots import hotspots
    from dispatch_center.reporting.report_data import report_data
    from dispatch_center.store.analysis import SHANGHAI

    conn = await psycopg.AsyncConnection.connect(
        url, autocommit=True, row_factory=dict_row, options="-c timezone=Asia/Shanghai"
    )
    as_of = datetime.combine(today, dtime(8), SHANGHAI)
    day = period_for("daily", today - timedelta(days=2))
    q = (today.month - 1) // 3
    quarter = parse_quarter(f"{today.year}Q{q}" if q else f"{today.year - 1}Q4")
    cases: dict[str, tuple[Callable[[str], Awaitable[Any]], int]] = {
        "daily_report": (lambda src: report_data(conn, day, as_of, source=src), 5),  # type: ignore[arg-type]
        "quarterly_ranking": (lambda src: _both_rankings(conn, quarter, as_of, src), 5),
        "hotspots": (lambda src: hotspots(conn, quarter, source=src, limit=20), 5),  # type: ignore[arg-type]
    }
    figures: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    ratios: dict[str, Any] = {}
    for name, (fn, runs) in cases.items():
        fast_ms, fast = await timed(_bind(fn, "rollup"), runs)
        plain_ms, plain = await timed(_bind(fn, "plain"), 2 if quick else 1)
        same = fast == plain
        print(
            f"{name:18s} rollup {fast_ms:8.1f} ms   plain {plain_ms:9.1f} ms   "
            f"x{plain_ms / fast_ms:7.1f}   identical={same}",
            flush=True,
        )
        if not same:
            raise SystemExit(f"{name}: rollup and plain answers differ")
        figures[f"{name}_ms"] = round(fast_ms, 1)
        baselines[f"{name}_plain_ms"] = round(plain_ms, 1)
        ratios[f"{name}_speedup"] = round(plain_ms / fast_ms, 1)
        figures[f"{name}_identical"] = same
    cur = await conn.execute("SELECT count(*) AS n FROM orders")
    row = await cur.fetchone()
    figures["orders"] = int(row["n"]) if row else 0
    cur = await conn.execute("SELECT count(*) AS n FROM rollup_daily")
    row = await cur.fetchone()
    figures["rollup_daily_rows"] = int(row["n"]) if row else 0
    await conn.close()
    return figures, baselines, ratios


def _bind(fn: Callable[[str], Awaitable[Any]], source: str) -> Callable[[], Awaitable[Any]]:
    return lambda: fn(source)


async def _both_rankings(conn: Any, quarter: Any, as_of: datetime, source: str) -> Any:
    from dispatch_center.reporting.ranking import ranking

    return [
        await ranking(conn, quarter, kind, as_of, source=source)  # type: ignore[arg-type]
        for kind in ("county", "department")
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="about 200,000 orders")
    ap.add_argument("--orders", type=int, default=None)
    ap.add_argument("--database-url", default=None, help="use (and keep) this database")
    args = ap.parse_args()
    orders = args.orders or (200_000 if args.quick else 3_200_000)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    db = nullcontext(args.database_url) if args.database_url else scratch_database()
    with db as url:
        made = asyncio.run(prepare(url, orders, today))
        figures, baselines, ratios = asyncio.run(measure(url, today, args.quick))
    if made.get("ran"):
        figures["backfill_orders_per_s"] = (
            round(made["orders"] / made["seconds"], 0) if made["seconds"] else None
        )
    targets = {
        **{f"{k}_ms": TARGET_MS for k in ("daily_report", "quarterly_ranking", "hotspots")},
        **{f"{k}_speedup": TARGET_RATIO for k in ("daily_report", "quarterly_ranking", "hotspots")},
    }
    met = all(
        figures[f"{k}_ms"] < TARGET_MS and ratios[f"{k}_speedup"] >= TARGET_RATIO
        for k in ("daily_report", "quarterly_ranking", "hotspots")
    )
    figures["targets_met"] = met
    report("analysis", figures, baselines, ratios, targets)


if __name__ == "__main__":
    main()
