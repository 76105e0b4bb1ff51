"""Timeline compression on TimescaleDB: size and lookup time for candidate settings.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5433/postgres \\
        python benchmarks/timeline_compression.py [--orders 400000] [--database-url URL]

Needs a server with timescaledb preloaded (``../shared/tools/timescaledb-local start``).
Backfills a history (as ``benchmarks/analysis.py`` does), then copies its timeline into one
hypertable per candidate, compresses every chunk and measures: the hypertable's size before
and after, and the median and p95 time of the application's lookup of one order's timeline
(``WHERE order_id = $1 ORDER BY at, id``) on 300 random orders, checking the rows are the
same as uncompressed. Issue 16: segment-by ``order_id`` made the table bigger (1 to 3 rows
per segment); migration 020 chose the settings this measures best.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from benchmarks._common import percentile, report, scratch_database

CANDIDATES: dict[str, tuple[str, str]] = {
    # name: (segmentby, orderby)
    "segment_order_id": ("order_id", "at DESC"),
    "order_id_at": ("", "order_id, at"),
    "at_only": ("", "at DESC"),
    "segment_action": ("action", "order_id, at"),
}
LOOKUP = "SELECT * FROM {t} WHERE order_id = %s ORDER BY at, id"


def _size(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute("SELECT hypertable_size(%s)", (table,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _lookups(conn: psycopg.Connection, table: str, ids: list[int]) -> tuple[list[float], list]:
    rows, times = [], []
    query = LOOKUP.format(t=table).encode()
    for oid in ids[:20]:  # warm-up: plans and the buffer cache
        conn.execute(query, (oid,)).fetchall()
    for oid in ids:
        t = time.perf_counter()
        rows.append(conn.execute(query, (oid,)).fetchall())
        times.append((time.perf_counter() - t) * 1000)
    return times, rows


def measure(url: str, seed: int = 7) -> dict[str, Any]:
    """Copy the timeline into each candidate, compress, and measure."""
    out: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        n = conn.execute("SELECT count(*) FROM timeline").fetchone()[0]  # type: ignore[index]
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT order_id FROM timeline ORDER BY order_id"
            ).fetchall()
        ]
        sample = random.Random(seed).sample(ids, min(300, len(ids)))
        out["timeline_rows"] = n
        base_times, expected = _lookups(conn, "timeline", sample)
        out["uncompressed"] = {
            "bytes": _size(conn, "timeline"),
            "lookup_ms_median": round(percentile(base_times, 50), 3),
            "lookup_ms_p95": round(percentile(base_times, 95), 3),
        }
        for name, (segmentby, orderby) in CANDIDATES.items():
            t = f"tl_{name}"
            conn.execute(f"DROP TABLE IF EXISTS {t}")
            conn.execute(f"CREATE TABLE {t} (LIKE timeline INCLUDING DEFAULTS)")
            conn.execute(f"ALTER TABLE {t} ADD PRIMARY KEY (id, at)")
            conn.execute(f"SELECT create_hypertable('{t}', by_range('at', INTERVAL '30 days'))")
            conn.execute(f"CREATE INDEX ON {t} (order_id, at)")
            conn.execute(f"INSERT INTO {t} SELECT * FROM timeline")
            conn.execute(f"ANALYZE {t}")
            before = _size(conn, t)
            conn.execute(
                f"ALTER TABLE {t} SET (timescaledb.compress,"
                f" timescaledb.compress_segmentby = '{segmentby}',"
                f" timescaledb.compress_orderby = '{orderby}')"
            )
            started = time.perf_counter()
            conn.execute(f"SELECT count(compress_chunk(c)) FROM show_chunks('{t}') c")
            seconds = time.perf_counter() - started
            conn.execute(f"ANALYZE {t}")
            after = _size(conn, t)
            times, got = _lookups(conn, t, sample)
            out[name] = {
                "segmentby": segmentby,
                "orderby": orderby,
                "bytes_before": before,
                "bytes_after": after,
                "ratio": round(before / after, 2) if after else None,
                "compress_seconds": round(seconds, 1),
                "lookup_ms_median": round(percentile(times, 50), 3),
                "lookup_ms_p95": round(percentile(times, 95), 3),
                "same_rows": got == expected,
            }
            print(name, out[name], flush=True)
            conn.execute(f"DROP TABLE {t}")
    return out


def main() -> None:
    """Backfill (or reuse ``--database-url``), measure, print the closing JSON line."""
    from benchmarks.analysis import prepare

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=400_000)
    ap.add_argument("--database-url", default=None, help="a database backfilled before")
    args = ap.parse_args()

    def run(url: str) -> dict[str, Any]:
        # Resumable: a database backfilled before with the same plan is only migrated.
        asyncio.run(prepare(url, args.orders, date.today()))
        return measure(url)

    if args.database_url:
        figures = run(args.database_url)
    else:
        with scratch_database() as url:
            figures = run(url)
    report(
        "timeline_compression",
        figures,
        {},
        {
            name: figures[name]["ratio"]
            for name in CANDIDATES
            if isinstance(figures.get(name), dict)
        },
        {"ratio": "> 1 (compressed smaller)", "lookup_ms_median": "< 10"},
    )


if __name__ == "__main__":
    main()
