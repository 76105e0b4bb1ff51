"""Connection to the center's PostgreSQL: pool, start-up and health."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast

import orjson
import psycopg
import psycopg.errors
from psycopg.rows import dict_row
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

from dispatch_center.core.calendar import TIME_ZONE
from dispatch_center.settings import Settings
from dispatch_center.store.embedded import start_embedded
from dispatch_center.store.migrate import migrate
from dispatch_center.store.partitions import maintain_partitions

log = logging.getLogger(__name__)

# jsonb in and out through orjson: the stdlib encoder was a tenth of an order's CPU.
set_json_dumps(orjson.dumps)
set_json_loads(orjson.loads)


def resolve_database_url(settings: Settings) -> tuple[str, bool]:
    """Return the URL to use and whether it is the embedded server."""
    if settings.database_url:
        return settings.database_url, False
    return start_embedded(settings.embedded_db_dir), True


def prepare_database(url: str, today: date, months_ahead: int) -> str:
    """Migrate and make partitions; return the live storage path (logged)."""
    path, applied = migrate(url)
    maintain_partitions(url, path, today, months_ahead)
    if path == "timescale":
        log.info("storage: TimescaleDB hypertables (30-day chunks) for time-ordered tables")
    else:
        # Without the extension preloaded (migrate.storage_path has said why, if it is there).
        log.info("storage: plain PostgreSQL, native monthly range partitions")
    if applied:
        log.info("migrations applied: %s", applied)
    return path


# SQLSTATEs of a database that is away, not of a statement that failed: connection
# exceptions (08), insufficient resources (53: too many connections, disk full, out of
# memory) and the server shutting down or starting up.
_AWAY_CLASSES = ("08", "53")
_AWAY_STATES = ("57P01", "57P02", "57P03")


def database_away(exc: BaseException) -> bool:
    """Whether an error says the database is away rather than that a statement failed.

    Away: the pool found no connection in time, or a connection broke (refused, reset,
    shut down, starting up, out of connections). A statement the server refused for what
    it was (a limit exceeded, a cancelled query) is not an outage: a payload that causes
    one must end as a dead letter, not be retried forever.

    Examples
    --------
    >>> database_away(psycopg.OperationalError("connection refused"))
    True
    >>> database_away(psycopg.errors.AdminShutdown()), database_away(psycopg.errors.QueryCanceled())
    (True, False)
    """
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state[:2] in _AWAY_CLASSES or state in _AWAY_STATES


class Database:
    """An async pool of connections yielding rows as dicts."""

    def __init__(
        self, url: str, *, min_size: int = 2, max_size: int = 16, acquire_timeout: float = 5.0
    ) -> None:
        self.url = url
        self.acquire_timeout = acquire_timeout
        self.pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            # A request waits this long for a connection, then fails with PoolTimeout
            # (answered 503): not psycopg's 30 s default while the database is down.
            timeout=acquire_timeout,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                # Timestamps come back in Beijing time, the zone of every deadline.
                "options": f"-c timezone={TIME_ZONE}",
                # A server that drops packets instead of refusing must not hang a connect
                # (libpq counts whole seconds, at least 2).
                "connect_timeout": max(2, math.ceil(acquire_timeout)),
            },
        )

    async def open(self) -> None:
        """Open the pool and wait until it holds its minimum connections."""
        await self.pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        """Close every connection."""
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        """Borrow one autocommit connection (rows as dicts)."""
        async with self.pool.connection() as conn:
            yield cast("psycopg.AsyncConnection[dict[str, Any]]", conn)

    async def ping(self) -> bool:
        """True when the database answers within two seconds (or the acquire timeout)."""
        try:
            async with self.pool.connection(timeout=min(2.0, self.acquire_timeout)) as conn:
                await conn.execute("SELECT 1")
            return True
        except Exception as exc:  # any failure means "down" for /readyz
            log.warning("database ping failed: %s", exc)
            return False
