"""Timeline compression on TimescaleDB: size and lookup time for candidate settings.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5433/postgres \\
        python benchmarks/timeline_compression.py [--orders 400000] [--live-shaped]

Needs a server with timescaledb preloaded (``../shared/tools/timescaledb-local start``).
Backfills a history (as ``benchmarks/analysis.py`` does), then copies its timeline into one
hypertable per candidate, compresses every chunk and measures: the hypertable's size before
and after, and the median and p95 time of the application's lookup of one order's timeline
(``WHERE order_id = $1 ORDER BY at, id``) on 300 random orders, checking the rows are the
same as uncompressed. ``--live-shaped`` writes, instead of the back-fill (nearly all one
'receive' entry per order), seven entries per order as the live workflow does (receive with
its routing, dispatch, accept, respond, reply, evaluate, close). Issue 16: segment-by
``order_id`` made the table bigger (a few rows per segment); migration 020 chose the
settings this measures best.
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


LIVE_ACTIONS = ("receive", "dispatch", "accept", "respond", "reply", "evaluate", "close")
RARE_ACTIONS = (("request_return", 9), ("reopen", 31))  # one order in 9, one in 31


def write_live_shaped(url: str, orders: int) -> None:
    """Seven entries per order over the last year, the first carrying a routing."""
    from dispatch_center.store import migrate

    assert migrate.migrate(url)[0] == "timescale", "needs a server with timescaledb preloaded"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO timeline (order_id, at, actor, role, action, from_status, to_status,
                                  note, data)
            SELECT o, now() - INTERVAL '365 days' + o * INTERVAL '365 days' / %(n)s
                          + k * INTERVAL '3 hours',
                   'user' || (o %% 97), 'operator', a.action, NULL, a.action, NULL,
                   CASE WHEN a.action = 'receive' THEN jsonb_build_object(
                       'channel', (ARRAY['phone', 'wechat', 'web', 'app'])[1 + o %% 4],
                       'county_code', '5111' || lpad((o %% 11)::text, 2, '0'),
                       'routing', jsonb_build_object(
                           'inside', true, 'queue', 'dispatch', 'reason', 'urban',
                           'path', jsonb_build_array(
                               jsonb_build_object('tier', 1, 'code', '511100', 'name', '乐山市'),
                               jsonb_build_object('tier', 2, 'code',
                                   '5111' || lpad((o %% 11)::text, 2, '0'), 'name', '市中区')),
                           'lead', jsonb_build_object('code', '511102-ZFJ',
                               'name', '市中区综合行政执法局'),
                           'location', jsonb_build_object('lon', 103.7 + (o %% 1000) / 1e4,
                               'lat', 29.5 + (o %% 777) / 1e4)),
                       'time_limit', jsonb_build_object('respond_hours', 2, 'reply_days', 5))
                   WHEN a.action = 'evaluate' THEN jsonb_build_object('rating', 'satisfied')
                   ELSE '{}'::jsonb END
            FROM generate_series(1, %(n)s) o
            CROSS JOIN unnest(%(actions)s::text[]) WITH ORDINALITY AS a (action, k)
            """,
            {"n": orders, "actions": list(LIVE_ACTIONS)},
        )
        for action, every in RARE_ACTIONS:
            conn.execute(
                "INSERT INTO timeline (order_id, at, actor, role, action, data)"
                " SELECT o, now() - INTERVAL '365 days' + o * INTERVAL '365 days' / %s"
                " + INTERVAL '4 hours', 'handler', 'handler', %s, '{}'"
                " FROM generate_series(%s, %s, %s) o",
                (orders, action, every, orders, every),
            )
        conn.execute("ANALYZE timeline")


def _by_action(conn: psycopg.Connection, table: str) -> tuple[float, Any]:
    """The order_facts view's scan (orders returned or reopened): best of three, in ms."""
    query = (
        f"SELECT count(DISTINCT order_id) FILTER (WHERE action = 'request_return'),"
        f" count(DISTINCT order_id) FILTER (WHERE action = 'reopen') FROM {table}"
        f" WHERE action IN ('request_return', 'reopen')"
    ).encode()
    best, answer = float("inf"), None
    for _ in range(3):
        t = time.perf_counter()
        answer = conn.execute(query).fetchone()
        best = min(best, (time.perf_counter() - t) * 1000)
    return best, answer


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
        base_action_ms, expected_by_action = _by_action(conn, "timeline")
        out["uncompressed"] = {
            "bytes": _size(conn, "timeline"),
            "lookup_ms_median": round(percentile(base_times, 50), 3),
            "lookup_ms_p95": round(percentile(base_times, 95), 3),
            "returned_or_reopened_ms": round(base_action_ms, 1),
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
            by_action = _by_action(conn, t)
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
                "returned_or_reopened_ms": round(by_action[0], 1),
                "same_by_action": by_action[1] == expected_by_action,
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
    ap.add_argument("--live-shaped", action="store_true", help="seven entries per order")
    args = ap.parse_args()

    def run(url: str) -> dict[str, Any]:
        if args.live_shaped:
            write_live_shaped(url, args.orders)
        else:
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
