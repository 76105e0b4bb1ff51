"""Helpers shared by the benchmarks: machine description, scratch databases, a lean
HTTP/1.1 keep-alive client (so the client's own cost stays small next to the
server's) and the closing JSON line of contracts.md."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def machine() -> str:
    """'2 cores, 24 GiB' for the machine running the benchmark."""
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) // (1024 * 1024)
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {mem} GiB"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (0 < p <= 100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def server_url() -> str:
    """A PostgreSQL server to make scratch databases on (BENCH_DATABASE_URL, TEST_DATABASE_URL,
    the local server, else an embedded one)."""
    for key in ("BENCH_DATABASE_URL", "TEST_DATABASE_URL"):
        if os.environ.get(key):
            return os.environ[key]
    local = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        psycopg.connect(local, connect_timeout=2).close()
        return local
    except psycopg.Error:
        import tempfile
        from pathlib import Path

        from dispatch_center.store.embedded import start_embedded

        return start_embedded(Path(tempfile.mkdtemp(prefix="dc-bench-")) / "pgdata")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh database, dropped afterwards."""
    base = server_url()
    name = f"dc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(base)
    params["dbname"] = name
    try:
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_stat(pid: int | str) -> tuple[str, float]:
    """A process's command name and the CPU seconds (user + system) it has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        head, tail = f.read().rsplit(")", 1)
    fields = tail.split()
    return head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and its live descendants (Linux /proc)."""
    total, stack, seen = 0.0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += _proc_stat(pid)[1]
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                stack.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return total


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every live PostgreSQL process on this machine (the
    server's backends are not in its process tree)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            name, cpu = _proc_stat(pid)
        except OSError:
            continue
        if name == "postgres":
            total += cpu
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy (not idle or waiting) since boot."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / tick


def wait_until_idle(pid: int, *, below: float = 0.05, timeout: float = 60.0) -> float:
    """Wait until the server's process tree uses under ``below`` of a core for a second
    (start-up work such as the catch-up daily report is done); returns seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = tree_cpu_seconds(pid)
        time.sleep(1.0)
        if tree_cpu_seconds(pid) - before < below:
            break
    return time.monotonic() - started


#: Process id of each running server, by base URL (for wait_until_idle).
SERVER_PIDS: dict[str, int] = {}


@contextmanager
def run_server(env: dict[str, str], port: int, workers: int = 1) -> Iterator[str]:
    """``dispatch-center serve`` in a subprocess; yields its base URL once /readyz answers
    and its start-up work is done. Its log goes to a file: a pipe nobody reads would stall
    the server once full."""
    log_path = Path(tempfile.gettempdir()) / f"dc-bench-server-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dispatch_center.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env={**os.environ, "DISPATCH_LOG_LEVEL": "WARNING", **env},
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server died:\n{log_path.read_text()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pass
                status, _ = asyncio.run(_once(port, "GET", "/readyz", None, {}))
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready; see {log_path}")
            time.sleep(0.2)
        SERVER_PIDS[base] = proc.pid
        waited = wait_until_idle(proc.pid)
        print(f"  (server idle after {waited:.0f} s of start-up work)", flush=True)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for the benchmarks."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload

    def close(self) -> None:
        self.writer.close()


async def _once(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn = await HttpConnection.open(port)
    try:
        return await conn.request(method, path, body, headers)
    finally:
        conn.close()


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a production server (no demo story, no simulator) on ``database_url``."""
    import secrets as _secrets

    return {
        "DATABASE_URL": database_url,
        "DISPATCH_DEMO": "0",
        "DISPATCH_SECRET_KEY": _secrets.token_urlsafe(48),
        **extra,
    }


def create_user(
    env: dict[str, str], username: str, role: str, password: str, unit: str | None = None
) -> None:
    """Make an account with ``dispatch-center users create`` (migrates the database too)."""
    cmd = [
        sys.executable,
        "-m",
        "dispatch_center.cli.main",
        "users",
        "create",
        username,
        "--role",
        role,
        "--password",
        password,
    ]
    if unit:
        cmd += ["--unit", unit]
    subprocess.run(
        cmd,
        env={**os.environ, "DISPATCH_LOG_LEVEL": "WARNING", **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def sign_in(port: int, username: str, password: str) -> str:
    """A bearer token from the running server."""
    body = f"username={username}&password={password}".encode()
    status, payload = asyncio.run(
        _once(
            port,
            "POST",
            "/api/v1/auth/token",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    )
    if status != 200:
        raise RuntimeError(f"sign-in failed: {status} {payload[:200]!r}")
    return str(json.loads(payload)["access_token"])


def report(
    name: str,
    figures: dict[str, Any],
    baselines: dict[str, Any],
    ratios: dict[str, Any],
    targets: dict[str, Any],
) -> None:
    """Print the closing JSON line of contracts.md (a figure that could not be measured,
    NaN, is written as null: NaN is not JSON)."""
    print(
        json.dumps(
            {
                "benchmark": name,
                "machine": machine(),
                "figures": _no_nan(figures),
                "baselines": _no_nan(baselines),
                "ratios": _no_nan(ratios),
                "targets": targets,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def _no_nan(d: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and v != v else v for k, v in d.items()}
