"""Connection to the center's PostgreSQL: pool, start-up and health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast

import orjson
import psycopg
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


class Database:
    """An async pool of connections yielding rows as dicts."""

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 16) -> None:
        self.url = url
        self.pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                # Timestamps come back in Beijing time, the zone of every deadline.
                "options": f"-c timezone={TIME_ZONE}",
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
        """True when the database answers within two seconds."""
        try:
            async with self.pool.connection(timeout=2) as conn:
                await conn.execute("SELECT 1")
            return True
        except Exception as exc:  # any failure means "down" for /readyz
            log.warning("database ping failed: %s", exc)
            return False
