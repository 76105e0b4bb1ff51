"""The shared background loop: steps repeat, a failure is logged once, the recovery once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dispatch_center.background import BackgroundLoop


class Scripted(BackgroundLoop):
    name = "scripted loop"
    retry_after = 0.0

    def __init__(self, outcomes: list[bool]) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.steps = 0
        self.prepared = False
        self.done = asyncio.Event()

    async def prepare(self) -> None:
        self.prepared = True

    async def step(self) -> float:
        self.steps += 1
        if self.steps >= len(self.outcomes):
            self.done.set()
        ok = self.outcomes[min(self.steps, len(self.outcomes)) - 1]
        if not ok:
            raise RuntimeError(f"step {self.steps} broke")
        return 0.0


def test_failure_and_recovery_are_each_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> Scripted:
        loop = Scripted([True, False, False, False, True, True, False, True])
        loop.start()
        loop.start()  # a second start does not make a second task
        await asyncio.wait_for(loop.done.wait(), 5)
        assert loop.alive
        await loop.stop()
        assert not loop.alive
        return loop

    with caplog.at_level(logging.INFO, logger="dispatch_center.background"):
        loop = asyncio.run(go())
    assert loop.prepared and loop.steps >= 8
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    # Two failure streaks (steps 2-4 and 7): each logged once, each recovery once.
    assert len(failed) == 2 and len(recovered) == 2
    assert "after 3 failure(s)" in recovered[0].getMessage()
    assert loop.failures == 0 and loop.last_ok_at is not None
