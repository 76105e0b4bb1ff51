"""Monthly partitions for time-ordered tables on plain PostgreSQL.

On TimescaleDB the hypertable makes its own chunks and this is a no-op.
"""

from __future__ import annotations

import logging
from datetime import date

import psycopg
from psycopg import sql

from dispatch_center.store.locks import AdvisoryLock

log = logging.getLogger(__name__)

PARTITIONED_TABLES = ("timeline", "feed_events")


def month_start(d: date) -> date:
    """First day of ``d``'s month.

    Examples
    --------
    >>> month_start(date(2026, 11, 27))
    datetime.date(2026, 11, 1)
    """
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """``d`` (a first of month) moved by ``n`` months.

    Examples
    --------
    >>> add_months(date(2026, 11, 1), 3)
    datetime.date(2027, 2, 1)
    """
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def ensure_month_partitions(conn: psycopg.Connection, table: str, first: date, last: date) -> int:
    """Create the monthly partitions of ``table`` covering ``first`` .. ``last``.

    Rows that already sit in the DEFAULT partition for a new month are moved
    into it in the same transaction, so attaching never fails and nothing is
    lost. Returns how many partitions were created.
    """
    created = 0
    month = month_start(first)
    while month <= last:
        nxt = add_months(month, 1)
        name = f"{table}_y{month.year}m{month.month:02d}"
        exists = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
        if exists and exists[0] is None:
            with conn.transaction():
                conn.execute("SET LOCAL dispatch.maintenance = 'on'")
                ident, parent = sql.Identifier(name), sql.Identifier(table)
                default = sql.Identifier(f"{table}_default")
                conn.execute(
                    sql.SQL(
                        "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                    ).format(ident, parent)
                )
                conn.execute(
                    sql.SQL(
                        "WITH moved AS (DELETE FROM {} WHERE at >= %s AND at < %s RETURNING *)"
                        " INSERT INTO {} SELECT * FROM moved"
                    ).format(default, ident),
                    (month, nxt),
                )
                # DDL takes no bind parameters: the bounds go in as literals.
                conn.execute(
                    sql.SQL(
                        "ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})"
                    ).format(
                        parent, ident, sql.Literal(month.isoformat()), sql.Literal(nxt.isoformat())
                    )
                )
            created += 1
            log.info("created partition %s", name)
        month = nxt
    return created


def maintain_partitions(url: str, path: str, today: date, months_ahead: int) -> int:
    """Keep partitions from last month to ``months_ahead`` ahead (native path only)."""
    if path != "native":
        return 0
    with psycopg.connect(url, autocommit=True) as conn:
        # Workers starting together must not race to create the same partition.
        conn.execute("SELECT pg_advisory_lock(%s)", (int(AdvisoryLock.MIGRATE),))
        try:
            first = add_months(month_start(today), -1)
            last = add_months(month_start(today), months_ahead)
            return sum(ensure_month_partitions(conn, t, first, last) for t in PARTITIONED_TABLES)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (int(AdvisoryLock.MIGRATE),))
