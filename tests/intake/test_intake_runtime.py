"""The intake's runtime on the center: found by its class, and on /readyz a consumer task
that is not running makes the process unready."""

from __future__ import annotations

import asyncio
import time

import httpx

from dispatch_center.intake.runtime import IntakeRuntime
from tests.api.conftest import LiveCenter
from tests.intake.conftest import running_ingest


def _readyz(live: LiveCenter) -> httpx.Response:
    return httpx.get(live.base_url + "/readyz", timeout=10)


def test_the_running_intake_is_found_on_the_center(fresh_live: LiveCenter) -> None:
    runtime = fresh_live.center.runtimes.get(IntakeRuntime)
    assert runtime.ingest is running_ingest(fresh_live)
    assert runtime.center is fresh_live.center


def test_readyz_is_down_when_a_consumer_task_dies(fresh_live: LiveCenter) -> None:
    r = _readyz(fresh_live)
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert checks["intake"] == "ok"
    consumers = checks["intake_consumers"]
    assert consumers["backend"] == "postgres-queue"
    assert consumers["tasks"] == {
        "ingest-0": "running",
        "ingest-1": "running",
        "ingest-sweep": "running",
    }

    ingest = running_ingest(fresh_live)
    assert ingest.loop is not None

    async def kill_one() -> None:
        task = ingest.queue.consumers[0]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(kill_one(), ingest.loop).result(10)
    deadline = time.monotonic() + 5
    while (r := _readyz(fresh_live)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.status_code == 503, r.text
    report = r.json()
    assert "intake" in report["down"]
    assert report["checks"]["intake_consumers"]["tasks"]["ingest-0"] == "cancelled"
    assert report["checks"]["intake_consumers"]["tasks"]["ingest-1"] == "running"
