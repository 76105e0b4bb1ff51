"""The report renderer's process stops with the server instead of outliving it."""

from __future__ import annotations

import os

from dispatch_center.reporting import reports


def test_stop_renderer_ends_its_process() -> None:
    pool = reports._render_pool()
    child_pid = pool.submit(os.getpid).result(timeout=60)
    assert child_pid != os.getpid()
    procs = list(pool._processes.values())
    assert any(p.pid == child_pid and p.is_alive() for p in procs)
    reports.stop_renderer()
    assert all(not p.is_alive() for p in procs)
    assert reports._renderer is None
    reports.stop_renderer()  # twice is harmless
