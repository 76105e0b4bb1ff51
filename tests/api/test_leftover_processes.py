"""No process outlives the server that started it (issue 15, "leftover processes").

Real processes each: ``dispatch-center demo`` on its embedded PostgreSQL (no DATABASE_URL),
and ``dispatch-center serve --workers 2`` on the test PostgreSQL and Redis (without a
DATABASE_URL it refuses to start: issue 16), stopped with SIGTERM or killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.api.test_restart import Demo, _stop_leftover_postgres

pytestmark = pytest.mark.slow


def _gone(pid: int) -> bool:
    try:
        # A zombie has exited; only its parent (PID 1 here) has yet to reap it.
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    return _gone(pid)


def _postgres_of(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


@pytest.fixture
def demo(tmp_path: Path, free_port: Callable[[], int]) -> Iterator[Demo]:
    d = Demo(tmp_path / "data", free_port())
    yield d
    d.kill()
    _stop_leftover_postgres(d.postmaster_pid)


def test_the_embedded_postgres_stops_with_the_demo_after_an_earlier_crash(demo: Demo) -> None:
    demo.start()
    assert demo.proc is not None
    demo.proc.kill()  # the crash: no shutdown, no atexit
    demo.proc.wait(10)
    postgres = _postgres_of(demo.data_dir / "pgdata")
    assert postgres is not None and not _gone(postgres)  # left running, to be reused

    demo.start()
    assert _postgres_of(demo.data_dir / "pgdata") == postgres  # reused, not a second one
    code = demo.stop()
    assert code in (0, 128 + signal.SIGTERM, -signal.SIGTERM), demo.log()
    assert _wait_gone(postgres, 15), (
        f"embedded PostgreSQL {postgres} outlived the stop after a crash:\n{demo.log()}"
    )
    assert not demo.postmaster_pid.exists()


def test_a_killed_server_leaves_no_report_renderer(demo: Demo) -> None:
    demo.start()
    assert demo.proc is not None
    with demo.client(demo.token("admin")) as c:
        r = c.post("/api/v1/reports/daily", json={"formats": ["csv"]}, timeout=120)
        assert r.status_code == 201, r.text
    server = psutil.Process(demo.proc.pid)
    renderers = [p for p in server.children() if "multiprocessing.spawn" in " ".join(p.cmdline())]
    assert len(renderers) == 1, [p.cmdline() for p in server.children()]
    renderer = renderers[0].pid

    demo.proc.kill()
    demo.proc.wait(10)
    assert _wait_gone(renderer, 10), f"report renderer {renderer} outlived its server"


class Serve:
    """``dispatch-center serve --workers 2`` on a database and a Redis of the tests."""

    def __init__(self, data_dir: Path, port: int, database_url: str, redis_url: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.redis_url = redis_url
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.log_path = data_dir.parent / f"serve-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("DISPATCH_")
        }
        env["DISPATCH_DATA_DIR"] = str(self.data_dir)
        env["DISPATCH_SECRET_KEY"] = secrets.token_urlsafe(48)
        env["DATABASE_URL"] = self.database_url
        env["REDIS_URL"] = self.redis_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "dispatch_center.cli.main", "serve"),
                    *("--workers", "2", "--port", str(self.port)),
                ],
                env=env,
                cwd=self.data_dir.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"serve was not ready in 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def workers(self) -> list[psutil.Process]:
        assert self.proc is not None
        return [
            p
            for p in psutil.Process(self.proc.pid).children()
            if "multiprocessing.spawn" in " ".join(p.cmdline()) and not _gone(p.pid)
        ]


@pytest.fixture
def serve(
    tmp_path: Path,
    free_port: Callable[[], int],
    make_database: Callable[[], str],
    redis_url: str,
) -> Iterator[Serve]:
    s = Serve(tmp_path / "data", free_port(), make_database(), redis_url)
    yield s
    # Whatever the test left (a failed one included): serve and its workers.
    left: list[psutil.Process] = []
    if s.proc is not None and s.proc.poll() is None:
        left = psutil.Process(s.proc.pid).children(recursive=True)
        s.proc.kill()
        s.proc.wait(10)
    for p in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def test_serve_without_a_database_url_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    """It used to start an embedded PostgreSQL of its own (the demo's way) for its workers;
    a production server refuses instead, before it has started anything."""
    data = tmp_path / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("DISPATCH_")
    }
    env["DISPATCH_DATA_DIR"] = str(data)
    env["DISPATCH_SECRET_KEY"] = secrets.token_urlsafe(48)
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # never reached: only DATABASE_URL is missing
    done = subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", "serve", "--workers", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done
    assert done.stderr.strip().startswith("dispatch-center serve: DATABASE_URL is not set")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (data / "pgdata").exists()


def test_serve_stopped_with_sigterm_leaves_no_worker(serve: Serve) -> None:
    serve.start()
    time.sleep(2)  # the slower worker finishes its start (or dies on it)
    assert "Application startup failed" not in serve.log(), serve.log()
    workers = serve.workers()
    assert len(workers) == 2, serve.log()

    assert serve.proc is not None
    serve.proc.send_signal(signal.SIGTERM)
    serve.proc.wait(60)
    for w in workers:
        assert _wait_gone(w.pid, 10), f"worker {w.pid} outlived serve"


def test_serve_workers_stop_when_serve_itself_is_killed(serve: Serve) -> None:
    serve.start()
    time.sleep(2)
    workers = serve.workers()
    assert len(workers) == 2, serve.log()
    assert serve.proc is not None
    serve.proc.kill()  # the supervisor dies without telling its workers anything
    serve.proc.wait(10)
    for w in workers:
        assert _wait_gone(w.pid, 15), f"worker {w.pid} outlived its killed supervisor"
