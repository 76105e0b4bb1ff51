#!/usr/bin/env python3
"""Back up a center's database with pg_dump and restore it into another: the round trip
of docs/operations.md, checked table by table.

    scripts/backup_roundtrip.py SOURCE_URL TARGET_URL [--dump FILE]

TARGET_URL must name an empty database. Prints the dump's size and time, the restore's
time, then one line per table whose row count differs (none, when the round trip is
good), the sequences and the change log's head, and exits 1 on any difference.
pg_dump and pg_restore come from PATH (PG_BIN overrides): use the server's major version.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg


def _tool(name: str) -> str:
    base = os.environ.get("PG_BIN")
    found = str(Path(base) / name) if base else shutil.which(name)
    if not found or not Path(found).exists():
        sys.exit(f"{name} not found (set PG_BIN to the server's bin directory)")
    return found


def census(url: str) -> dict[str, int]:
    """Row count of every table, every sequence's last value and the change log's head."""
    out: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT schemaname || '.' || relname FROM pg_stat_user_tables"
            " WHERE schemaname NOT LIKE '\\_timescaledb%' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            schema, name = table.split(".", 1)
            row = conn.execute(
                psycopg.sql.SQL("SELECT count(*) FROM {}.{}").format(
                    psycopg.sql.Identifier(schema), psycopg.sql.Identifier(name)
                )
            ).fetchone()
            out[f"rows {table}"] = int(row[0]) if row else -1
        for name, value in conn.execute(
            "SELECT schemaname || '.' || sequencename, coalesce(last_value, 0)"
            " FROM pg_sequences WHERE schemaname NOT LIKE '\\_timescaledb%'"
        ).fetchall():
            out[f"sequence {name}"] = int(value)
    return out


def round_trip(source: str, target: str, dump: Path) -> int:
    started = time.perf_counter()
    subprocess.run([_tool("pg_dump"), "-Fc", "-f", str(dump), "-d", source], check=True)
    dumped = time.perf_counter() - started
    print(f"pg_dump -Fc: {dump.stat().st_size / 1e6:.1f} MB in {dumped:.1f} s")
    started = time.perf_counter()
    # --no-owner: the restoring role owns everything (a new server's roles differ).
    subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", target, str(dump)],
        check=True,
    )
    print(f"pg_restore: {time.perf_counter() - started:.1f} s")
    before, after = census(source), census(target)
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    tables = [k for k in before if k.startswith("rows ")]
    print(
        f"{len(tables)} tables, {sum(before[k] for k in tables)} rows,"
        f" {len(before) - len(tables)} sequences compared"
    )
    for key in ("rows public.orders", "rows public.change_log", "rows public.audit_log"):
        if key in before:
            print(f"  {key.removeprefix('rows public.')}: {before[key]} → {after.get(key)}")
    for key in differ:
        print(f"DIFFERS {key}: {before.get(key)} → {after.get(key)}")
    print("round trip identical" if not differ else f"{len(differ)} differences")
    return 0 if not differ else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        return round_trip(args.source, args.target, args.dump or Path(tmp) / "center.dump")


if __name__ == "__main__":
    sys.exit(main())
