"""Versioned SQL migrations, applied at start-up and by ``dispatch-center migrate``.

A migration is ``NNN_name.sql``, plus optionally ``NNN_name.timescale.sql`` /
``NNN_name.native.sql`` for what differs between a server with the ``timescaledb``
extension and plain PostgreSQL (the time-ordered tables). The shared file is applied
first, then the variant of the live path, in one transaction: what both paths share
is written once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from dispatch_center.store.locks import AdvisoryLock

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+?)(?:\.(timescale|native))?\.sql$")
LOCK_KEY = int(AdvisoryLock.MIGRATE)


@dataclass(frozen=True)
class Migration:
    """One migration file as applied on this server's storage path."""

    version: int
    name: str
    sql: str


def storage_path(conn: psycopg.Connection) -> str:
    """Return ``"timescale"`` when the extension can be used here, else ``"native"``."""
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    return "timescale" if row else "native"


def available_migrations(path: str) -> list[Migration]:
    """List the migrations for one storage path, in version order.

    Examples
    --------
    >>> [m.version for m in available_migrations("native")][:2]
    [1, 2]
    """
    parts: dict[int, dict[str | None, tuple[str, str]]] = {}
    folder = resources.files("dispatch_center.store") / "migrations"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        m = _NAME.match(entry.name)
        if not m:
            continue
        version, name, variant = int(m.group(1)), m.group(2), m.group(3)
        slot = parts.setdefault(version, {})
        others = {n for n, _ in slot.values()} - {name}
        if others:
            # Two branches that each took the next number: one file would silently win.
            raise RuntimeError(
                f"two migrations numbered {version:03d}: {sorted(others)} and {name!r}"
            )
        slot[variant] = (name, entry.read_text(encoding="utf-8"))
    out: list[Migration] = []
    for version in sorted(parts):
        found = parts[version]
        pieces = [found[v] for v in (None, path) if v in found]
        if not pieces:
            continue  # only the other path's variant: nothing to do here
        out.append(Migration(version, pieces[0][0], "\n".join(sql for _, sql in pieces)))
    return out


def migrate(url: str) -> tuple[str, list[int]]:
    """Apply pending migrations; return the storage path and the versions applied.

    Examples
    --------
    >>> migrate("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
    ('native', [1, 2, 3])
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, path text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            recorded = conn.execute("SELECT DISTINCT path FROM schema_migrations").fetchall()
            # The path chosen at first migration stays: a database that started
            # native keeps native tables even if the extension appears later.
            path = recorded[0][0] if recorded else storage_path(conn)
            applied: list[int] = []
            for mig in available_migrations(path):
                if mig.version in done:
                    continue
                with conn.transaction():
                    conn.execute(mig.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, path) VALUES (%s, %s, %s)",
                        (mig.version, mig.name, path),
                    )
                log.info("applied migration %03d_%s (%s)", mig.version, mig.name, path)
                applied.append(mig.version)
            return path, applied
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
