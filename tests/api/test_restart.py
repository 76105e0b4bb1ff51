"""``dispatch-center demo`` as a real process: it comes up, and a restart keeps the data.

How fast it comes up (target 10 s) is measured by ``benchmarks/demo_start.py``, not here:
as an assertion it failed whenever other work shared the machine.

The demo runs with its embedded PostgreSQL in a temporary data directory (no DATABASE_URL,
no REDIS_URL), exactly as a newcomer would start it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.api.conftest import new_order

DEMO_PASSWORD = "restart-test-password"


class Demo:
    """One ``dispatch-center demo`` process on a data directory."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"demo-{port}.log"
        self._log: IO[bytes] | None = None

    def start(self) -> float:
        """Start and wait for /healthz; return the seconds it took."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("DISPATCH_")
        }
        env["DISPATCH_DEMO_PASSWORD"] = DEMO_PASSWORD
        self._log = self.log_path.open("ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dispatch_center.cli.main",
                "demo",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=self.data_dir.parent,  # no stray .env from the working tree
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        while True:
            elapsed = time.monotonic() - started
            if self.proc.poll() is not None:
                pytest.fail(f"demo exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return elapsed
            except httpx.TransportError:
                pass
            if elapsed > 30:
                pytest.fail(f"demo did not answer /healthz in 30 s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM, as docker or systemd would send it; wait for the exit."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            if self._log:
                self._log.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    @property
    def postmaster_pid(self) -> Path:
        return self.data_dir / "pgdata" / "postmaster.pid"

    def token(self, username: str) -> str:
        r = httpx.post(
            f"{self.base}/api/v1/auth/token",
            data={"username": username, "password": DEMO_PASSWORD},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


def _stop_leftover_postgres(pid_file: Path) -> None:
    """Stop an embedded server this test started that outlived the demo."""
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # fast shutdown
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 10
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture
def demo(tmp_path: Path, free_port: Callable[[], int]) -> Iterator[Demo]:
    d = Demo(tmp_path / "data", free_port())
    yield d
    d.kill()
    _stop_leftover_postgres(d.postmaster_pid)


def _order(c: httpx.Client, order_id: str) -> dict[str, Any]:
    r = c.get(f"/api/v1/orders/{order_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_demo_restart_keeps_its_data(demo: Demo) -> None:
    demo.start()
    log = demo.log(tail=10**6)
    assert f"{demo.base}/docs" in log
    assert "h_511102" in log and "dispatcher" in log

    token = demo.token("dispatcher")
    with demo.client(token) as c:
        r = c.post("/api/v1/orders", json=new_order(source="restart-test", source_id="1"))
        assert r.status_code == 201, r.text
        made = r.json()
        r = c.post(f"/api/v1/orders/{made['id']}/actions/dispatch", json={"unit_code": "511102"})
        assert r.status_code == 200, r.text
        before = _order(c, made["id"])
    assert [t["action"] for t in before["timeline"]] == ["receive", "dispatch"]

    code = demo.stop()
    assert code in (0, 128 + signal.SIGTERM, -signal.SIGTERM), demo.log()
    # The embedded database went down with the demo, so the restart really reads the disk.
    deadline = time.monotonic() + 10
    while demo.postmaster_pid.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not demo.postmaster_pid.exists(), "embedded PostgreSQL outlived the demo"

    demo.start()
    # A token from before the restart still works: the signing key lives in the data dir.
    with demo.client(token) as c:
        after = _order(c, made["id"])
        assert after["number"] == before["number"]
        assert after["status"] == "dispatched"
        assert after["timeline"] == before["timeline"]
        assert after["deadlines"] == before["deadlines"]
        # Still idempotent on the source event across the restart.
        again = c.post("/api/v1/orders", json=new_order(source="restart-test", source_id="1"))
        assert again.status_code == 200
        assert again.json()["id"] == made["id"]
        # Numbering continues instead of starting over (the demo's own simulated
        # traffic may have taken numbers in between).
        nxt = c.post("/api/v1/orders", json=new_order()).json()
        assert nxt["number"][:10] == before["number"][:10]
        assert int(nxt["number"][-5:]) > int(before["number"][-5:])
    # Sign-in still works, for every kind of account.
    for username in ("admin", "h_511102", "leader"):
        with demo.client(demo.token(username)) as c:
            assert c.get("/api/v1/auth/me").json()["username"] == username
    with demo.client(demo.token("h_511102")) as c:
        r = c.post(f"/api/v1/orders/{made['id']}/actions/accept")
        assert r.status_code == 200, r.text
    demo.stop()
