"""Versioned SQL migrations, applied at start-up and by ``dispatch-center migrate``.

A migration is ``NNN_name.sql``, plus optionally ``NNN_name.timescale.sql`` /
``NNN_name.native.sql`` for what differs between a server with the ``timescaledb``
extension and plain PostgreSQL (the time-ordered tables). The shared file is applied
first, then the variant of the live path, in one transaction: what both paths share
is written once.
"""

from __future__ import annotations

import contextlib
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


class MigrationError(RuntimeError):
    """A migration could not be applied; the message is one line saying which and why."""


#: The server setting TimescaleDB must be named in before its extension can be used.
PRELOAD_SETTING = "shared_preload_libraries"


def _preloaded(conn: psycopg.Connection) -> bool | None:
    """Whether ``timescaledb`` is in the server's preload list; ``None`` when unreadable.

    The setting is readable by superusers and members of ``pg_read_all_settings`` only;
    ``pg_settings`` hides the row from others rather than raising.
    """
    row = conn.execute("SELECT setting FROM pg_settings WHERE name = %s", (PRELOAD_SETTING,))
    found = row.fetchone()
    if found is None:
        return None
    # Entries may be quoted or carry a directory ('$libdir/timescaledb').
    names = [e.strip().strip('"').rsplit("/", 1)[-1] for e in str(found[0]).split(",")]
    return any(n == "timescaledb" or n.startswith("timescaledb-") for n in names)


def _create_error(conn: psycopg.Connection) -> str | None:
    """Why the extension cannot be created here, or ``None`` when it can (probe, rolled back)."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def storage_path(conn: psycopg.Connection) -> str:
    """Return ``"timescale"`` when TimescaleDB is preloaded on this server, else ``"native"``.

    Installed is not enough: without ``timescaledb`` in ``shared_preload_libraries`` the
    extension cannot be created (``extension "timescaledb" must be preloaded``), so such a
    half-configured server takes the native path, and a log line names the missing setting.
    A role that may not read that setting (neither superuser nor ``pg_read_all_settings``)
    finds out by creating the extension in a transaction it rolls back.

    Examples
    --------
    >>> with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as c:  # doctest: +SKIP
    ...     storage_path(c)
    'native'
    """
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if not row:
        return "native"
    preloaded = _preloaded(conn)
    if preloaded is False:
        log.warning(
            "storage: timescaledb is installed but not in %s; taking the native path"
            " (to use it, add it there and restart PostgreSQL before the first migration)",
            PRELOAD_SETTING,
        )
        return "native"
    if preloaded is None and (why := _create_error(conn)) is not None:
        log.warning(
            "storage: timescaledb is installed but cannot be used by this role (%s);"
            " taking the native path (is it in %s? may this role create it?)",
            why,
            PRELOAD_SETTING,
        )
        return "native"
    return "timescale"


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


def _variant_versions(path: str) -> set[int]:
    """Versions that have a file of their own for ``path`` (tables that differ by path)."""
    folder = resources.files("dispatch_center.store") / "migrations"
    out = set()
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m and m.group(3) == path:
            out.add(int(m.group(1)))
    return out


def _choose_path(conn: psycopg.Connection, done: set[int]) -> str:
    """The storage path of this database: the recorded one once it has shaped a table.

    A database that took a path keeps it (native tables stay native if the extension
    appears later). But the path is only fixed by a migration that had a variant for it:
    a database whose recorded path shaped nothing yet (001 recorded as ``timescale`` on a
    server where 002 then failed) is detected again, and its records follow.
    """
    recorded = [r[0] for r in conn.execute("SELECT DISTINCT path FROM schema_migrations")]
    if recorded and len(recorded) == 1 and _variant_versions(recorded[0]) & done:
        path = str(recorded[0])
        if path == "timescale" and _preloaded(conn) is False:
            raise MigrationError(
                "this database was migrated on the TimescaleDB path, but timescaledb is not in"
                f" {PRELOAD_SETTING} of this server: add it there and restart PostgreSQL"
            )
        return path
    path = storage_path(conn)
    if recorded and recorded != [path]:
        log.warning("storage: re-recording migrations %s as %s", sorted(done), path)
        conn.execute("UPDATE schema_migrations SET path = %s", (path,))
    return path


def migrate(url: str) -> tuple[str, list[int]]:
    """Apply pending migrations; return the storage path and the versions applied.

    Raises
    ------
    MigrationError
        When a migration fails: the message names it and gives the server's reason. What
        was applied before it stays applied; the failed one is rolled back.

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
            path = _choose_path(conn, done)
            applied: list[int] = []
            for mig in available_migrations(path):
                if mig.version in done:
                    continue
                try:
                    with conn.transaction():
                        conn.execute(mig.sql.encode())
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, path)"
                            " VALUES (%s, %s, %s)",
                            (mig.version, mig.name, path),
                        )
                except psycopg.Error as exc:
                    reason = " ".join(str(exc).split()) or type(exc).__name__
                    raise MigrationError(
                        f"migration {mig.version:03d}_{mig.name} ({path}) failed: {reason}"
                    ) from exc
                log.info("applied migration %03d_%s (%s)", mig.version, mig.name, path)
                applied.append(mig.version)
            return path, applied
        finally:
            # The lock is the session's: a closed connection has released it already, and
            # an error here must not replace the one that brought us here.
            if not conn.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
