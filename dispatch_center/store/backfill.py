"""SQL of the history backfill: run bookkeeping, ids and numbers, COPY, rollup deltas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import orjson
import psycopg

from dispatch_center.store.partitions import PARTITIONED_TABLES, ensure_month_partitions

ORDER_COPY_COLUMNS = (
    "id",
    "number",
    "channel",
    "request_type",
    "category_code",
    "urgency",
    "description",
    "lon",
    "lat",
    "datum",
    "address",
    "routing",
    "assigned_unit",
    "status",
    "received_at",
    "respond_by",
    "reply_by",
    "deadlines_provisional",
    "responded_at",
    "replied_at",
    "closed_at",
    "last_rating",
    "created_by",
    "updated_at",
)


def start_run(
    conn: psycopg.Connection,
    run_id: str,
    orders: int,
    batch_size: int,
    seed: int,
    first: date,
    last: date,
    batches: int,
) -> int:
    """Register the run (or find it); return how many batches are already done."""
    conn.execute(
        "INSERT INTO backfill_runs (id, orders, batch_size, seed, first_day, last_day, batches)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (run_id, orders, batch_size, seed, first, last, batches),
    )
    row = conn.execute("SELECT done FROM backfill_runs WHERE id = %s", (run_id,)).fetchone()
    return int(row[0]) if row else 0


def ensure_partitions(conn: psycopg.Connection, first: date, last: date) -> None:
    """Monthly timeline partitions for the backfilled months (native storage only)."""
    row = conn.execute("SELECT path FROM schema_migrations LIMIT 1").fetchone()
    if row and row[0] == "native":
        for table in PARTITIONED_TABLES:
            ensure_month_partitions(conn, table, first, last)


def unit_codes(conn: psycopg.Connection) -> set[str]:
    """Codes of the known units (orders may only be assigned to these)."""
    return {r[0] for r in conn.execute("SELECT code FROM units")}


def reserve_ids(conn: psycopg.Connection, n: int) -> list[int]:
    """``n`` order ids from the orders sequence."""
    rows = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, %s)", (n,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def take_serials(conn: psycopg.Connection, per_day: Mapping[date, int]) -> dict[date, int]:
    """Reserve readable-number serials per local day; return the first serial of each day."""
    days = sorted(per_day)
    rows = conn.execute(
        "INSERT INTO order_counters AS c (day, last) SELECT * FROM unnest(%s::date[], %s::int[])"
        " ON CONFLICT (day) DO UPDATE SET last = c.last + EXCLUDED.last RETURNING day, last",
        (days, [per_day[d] for d in days]),
    ).fetchall()
    return {r[0]: int(r[1]) - per_day[r[0]] + 1 for r in rows}


def copy_orders(conn: psycopg.Connection, orders: Sequence[Mapping[str, Any]]) -> None:
    """COPY generated orders (with their ids and numbers) into ``orders``."""
    cols = ", ".join(ORDER_COPY_COLUMNS)
    with conn.cursor().copy(f"COPY orders ({cols}) FROM STDIN") as cp:
        for o in orders:
            cp.write_row(
                (
                    o["id"],
                    o["number"],
                    o["channel"],
                    o["request_type"],
                    o["category_code"],
                    o["urgency"],
                    o["description"],
                    o["lon"],
                    o["lat"],
                    "wgs84",
                    o["address"],
                    orjson.dumps(o["routing"]).decode(),
                    o["assigned_unit"],
                    o["status"],
                    o["received_at"],
                    o["respond_by"],
                    o["reply_by"],
                    o["deadlines_provisional"],
                    o["responded_at"],
                    o["replied_at"],
                    o["closed_at"],
                    o["last_rating"],
                    "backfill",
                    o["closed_at"] or o["replied_at"] or o["received_at"],
                )
            )


def copy_timeline(conn: psycopg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY minimal timeline rows."""
    with conn.cursor().copy(
        "COPY timeline (order_id, at, actor, role, action, from_status, to_status, note, data)"
        " FROM STDIN"
    ) as cp:
        for r in rows:
            cp.write_row(r)


def apply_rollups(
    conn: psycopg.Connection, ids: Sequence[int], returned: Sequence[int], reopened: Sequence[int]
) -> None:
    """Add the batch to the rollups (the same function the change-log worker uses)."""
    conn.execute(
        "SELECT rollup_apply(%s::bigint[], %s::bigint[], %s::bigint[])",
        (list(ids), list(returned), list(reopened)),
    )


def add_words(conn: psycopg.Connection, counts: Mapping[tuple[date, str], int]) -> None:
    """Add word counts to ``rollup_words``."""
    if not counts:
        return
    items = sorted(counts.items())
    conn.execute(
        "INSERT INTO rollup_words AS r (day, word, count)"
        " SELECT * FROM unnest(%s::date[], %s::text[], %s::bigint[])"
        " ON CONFLICT (day, word) DO UPDATE SET count = r.count + EXCLUDED.count",
        ([k[0] for k, _ in items], [k[1] for k, _ in items], [n for _, n in items]),
    )


def finish_batch(conn: psycopg.Connection, run_id: str, done: int, finished: bool) -> None:
    """Record the batch as done (same transaction as its rows)."""
    conn.execute(
        "UPDATE backfill_runs SET done = %s, finished_at = CASE WHEN %s THEN now() END"
        " WHERE id = %s",
        (done, finished, run_id),
    )


async def refresh_statistics(conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
    """After a bulk load: vacuum the rollups' order state (index-only repeat probes need the
    visibility map a vacuum sets) and analyse every table for the planner.
    """
    await conn.execute("VACUUM ANALYZE rollup_order_state")
    await conn.execute("ANALYZE")
