"""Benchmark: locate random points over Leshan against the whole four-tier hierarchy.

Random points (seeded) over Leshan's bounding box, located against city, 11 counties and the
synthetic townships and villages (≥ 2,000 tier-4 polygons). Measures:

- index build time (what start-up pays);
- batch throughput of ``AreaIndex.locate_many`` (all four tier code arrays materialised);
- single-call latency of ``AreaIndex.locate`` (p50/p99);
- baseline 1: a naive loop of shapely ``contains(Point)`` over every polygon of every tier;
- baseline 2: PostGIS ``ST_Contains`` with a GiST index, a set-based join over the same points
  in a scratch schema (skipped, and said so, when PostGIS is not available).

Targets (issue 3): ≥ 1,000,000 points/s in batch, single-call p99 ≤ 50 µs, ≥ 10× PostGIS.
Ends with one JSON line. ``--quick`` runs a smaller version in well under a minute.

Usage: ``python benchmarks/geo_locate.py [--quick] [--database-url URL] [--no-postgis]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch_center.geography.bundled import leshan_areas, neighbour_areas
from geo.areas import Tier
from geo.locate import AreaIndex

TARGETS = {"batch_points_per_s": 1_000_000, "single_p99_us": 50.0, "vs_postgis_ratio": 10.0}


def machine() -> str:
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {mem_gb:.0f} GB"


def say(msg: str) -> None:
    print(msg, flush=True)


def bench_batch(index: AreaIndex, x: np.ndarray, y: np.ndarray, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        batch = index.locate_many(x, y)
        best = min(best, time.perf_counter() - t)
    assert len(batch) == x.size
    return x.size / best


def bench_single(index: AreaIndex, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    xs, ys = x.tolist(), y.tolist()
    for i in range(min(1000, len(xs))):  # warm caches
        index.locate(xs[i], ys[i])
    ns = np.empty(len(xs))
    clock = time.perf_counter_ns
    locate = index.locate
    for i in range(len(xs)):
        t = clock()
        locate(xs[i], ys[i])
        ns[i] = clock() - t
    p50, p99 = np.percentile(ns, [50, 99]) / 1000.0
    return float(p50), float(p99), float(len(xs) / (ns.sum() / 1e9))


def bench_naive(index: AreaIndex, x: np.ndarray, y: np.ndarray) -> float:
    polys = [a.geometry for a in index.areas()]
    t = time.perf_counter()
    for px, py in zip(x.tolist(), y.tolist(), strict=True):
        p = shapely.Point(px, py)
        _ = [i for i, g in enumerate(polys) if g.contains(p)]
    return x.size / (time.perf_counter() - t)


def bench_postgis(
    index: AreaIndex, x: np.ndarray, y: np.ndarray, url: str
) -> tuple[float | None, str, dict[int, int]]:
    try:
        import psycopg
    except ImportError:
        return None, "skipped: psycopg not installed", {}
    schema = f"geo_bench_{os.getpid()}"
    try:
        conn = psycopg.connect(url, autocommit=True)
    except Exception as exc:  # the server may be absent on this machine
        return None, f"skipped: cannot connect to {url}: {exc}", {}
    try:
        with conn.cursor() as cur:
            try:
                cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except Exception as exc:
                return (
                    None,
                    f"skipped: PostGIS not available ({exc}); install postgresql-15-postgis-3",
                    {},
                )
            cur.execute("SELECT postgis_lib_version()")
            version = cur.fetchone()
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(f"SET search_path TO {schema}, public")
            cur.execute(
                "CREATE TABLE areas (id int PRIMARY KEY, tier int, code text, "
                "geom geometry(MultiPolygon, 4326))"
            )
            areas = index.areas()
            with cur.copy("COPY areas (id, tier, code, geom) FROM STDIN") as cp:
                for i, a in enumerate(areas):
                    g = a.geometry
                    if g.geom_type == "Polygon":
                        g = shapely.MultiPolygon([g])
                    cp.write_row((i, int(a.tier), a.code, f"SRID=4326;{g.wkt}"))
            cur.execute("CREATE INDEX ON areas USING gist (geom)")
            cur.execute("CREATE TABLE pts (id int, geom geometry(Point, 4326))")
            with cur.copy("COPY pts (id, geom) FROM STDIN") as cp:
                for i, (px, py) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
                    cp.write_row((i, f"SRID=4326;POINT({px!r} {py!r})"))
            # Index both sides so the planner can drive the join from either (its best plan).
            cur.execute("CREATE INDEX ON pts USING gist (geom)")
            cur.execute("ANALYZE areas")
            cur.execute("ANALYZE pts")
            t = time.perf_counter()
            cur.execute(
                "SELECT a.tier, count(*) FROM pts p JOIN areas a "
                "ON ST_Contains(a.geom, p.geom) GROUP BY a.tier ORDER BY a.tier"
            )
            per_tier = {int(t_): int(n) for t_, n in cur.fetchall()}
            elapsed = time.perf_counter() - t
            return x.size / elapsed, f"PostGIS {version[0] if version else '?'}", per_tier
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    ap.add_argument("--points", type=int, help="batch points (default 1,000,000; quick 200,000)")
    ap.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    ap.add_argument("--no-postgis", action="store_true")
    args = ap.parse_args(argv)
    n = args.points or (200_000 if args.quick else 1_000_000)
    n_single = 20_000 if args.quick else 200_000
    n_naive = 100 if args.quick else 500
    n_pg = min(n, 50_000 if args.quick else 200_000)

    say(f"machine: {machine()}")
    t = time.perf_counter()
    areas = leshan_areas()
    neighbours = neighbour_areas()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    index = AreaIndex(areas, neighbours)
    t_build = time.perf_counter() - t
    tiers = {int(tier): len(index.areas(tier)) for tier in Tier}
    say(
        f"areas per tier {tiers}; read+synthesise {t_load:.2f} s, index build {t_build:.2f} s "
        f"({index.grid.nx}×{index.grid.ny} grid, {index.grid.boundary_cells:,} border cells)"
    )

    rng = np.random.default_rng(20261127)
    minx, miny, maxx, maxy = index.bounds
    x = rng.uniform(minx, maxx, n)
    y = rng.uniform(miny, maxy, n)
    batch = index.locate_many(x, y)
    inside_share = float(batch.inside.mean())
    say(f"{n:,} random points over Leshan's bounding box; {inside_share:.1%} inside Leshan")

    pps = bench_batch(index, x, y, repeat=3)
    say(f"batch locate_many: {pps:,.0f} points/s")
    gcj_pps = x.size / _timed(lambda: index.locate_many(x, y, "gcj02"))
    say(f"batch locate_many declared GCJ-02 (with datum inversion): {gcj_pps:,.0f} points/s")
    p50, p99, single_pps = bench_single(index, x[:n_single], y[:n_single])
    say(
        f"single locate over {n_single:,} points: p50 {p50:.2f} µs, p99 {p99:.2f} µs "
        f"({single_pps:,.0f} calls/s)"
    )

    naive_pps = bench_naive(index, x[:n_naive], y[:n_naive])
    say(
        f"baseline naive shapely contains(Point) loop over {len(index):,} polygons "
        f"({n_naive} points): {naive_pps:,.1f} points/s"
    )

    baselines: dict[str, Any] = {"naive_shapely_points_per_s": round(naive_pps, 1)}
    ratios: dict[str, Any] = {"batch_vs_naive": round(pps / naive_pps, 1)}
    if args.no_postgis:
        say("PostGIS baseline skipped (--no-postgis)")
        baselines["postgis"] = "skipped: --no-postgis"
    else:
        pg_pps, note, per_tier = bench_postgis(index, x[:n_pg], y[:n_pg], args.database_url)
        if pg_pps is None:
            say(f"PostGIS baseline {note}")
            baselines["postgis"] = note
        else:
            ours = index.locate_many(x[:n_pg], y[:n_pg])
            agree = {t_: int((ours.codes[Tier(t_)] != "").sum()) for t_ in per_tier}
            say(
                f"baseline {note} ST_Contains join with GiST over {n_pg:,} points: "
                f"{pg_pps:,.0f} points/s; matches per tier PostGIS {per_tier} vs ours {agree}"
            )
            baselines["postgis_st_contains_points_per_s"] = round(pg_pps)
            baselines["postgis_points"] = n_pg
            ratios["batch_vs_postgis"] = round(pps / pg_pps, 1)

    figures = {
        "batch_points_per_s": round(pps),
        "batch_gcj02_points_per_s": round(gcj_pps),
        "single_p50_us": round(p50, 2),
        "single_p99_us": round(p99, 2),
        "single_p99_ms": round(p99 / 1000, 5),
        "index_build_s": round(t_build, 3),
        "load_and_synthesise_s": round(t_load, 3),
        "points": n,
        "inside_share": round(inside_share, 4),
        "tier4_polygons": tiers[4],
    }
    met = {
        "batch_points_per_s": pps >= TARGETS["batch_points_per_s"],
        "single_p99_us": p99 <= TARGETS["single_p99_us"],
        "vs_postgis_ratio": (ratios.get("batch_vs_postgis", 0) >= TARGETS["vs_postgis_ratio"])
        if "batch_vs_postgis" in ratios
        else None,
    }
    print(
        json.dumps(
            {
                "benchmark": "geo_locate",
                "machine": machine(),
                "figures": figures,
                "baselines": baselines,
                "ratios": ratios,
                "targets": {**TARGETS, "met": met},
            },
            ensure_ascii=False,
        )
    )
    return 0


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    raise SystemExit(main())
