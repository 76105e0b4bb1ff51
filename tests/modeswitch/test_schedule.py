"""The schedule: starts and ends applied on time, once across workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from dispatch_center.modeswitch import history, schedule, state, switching
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest
from tests.modeswitch.conftest import FLOOD_HQ, HOLIDAY_HQ, T0

pytestmark = pytest.mark.anyio


async def test_scheduled_start_and_automatic_end_applied_once_across_two_workers(
    world: Any,
) -> None:
    make, clock, _ = world
    a = await make()
    b = await make()
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    await switching.switch(
        a, HOLIDAY_HQ, SwitchRequest(ModeName.holiday, "元旦", None, None, start, end)
    )
    await state.refresh(b)
    assert a.modes.active("511181", clock()).mode is ModeName.normal

    clock.now = start + timedelta(seconds=1)
    applied = await asyncio.gather(schedule.run_due(a), schedule.run_due(b))
    assert sorted(applied) == [0, 1]
    assert state.mode_view(b)["mode"] == "holiday"

    clock.now = end
    applied = await asyncio.gather(schedule.run_due(a), schedule.run_due(b))
    assert sorted(applied) == [0, 1]
    assert state.mode_view(a)["mode"] == "normal"
    actions = [h["action"] for h in (await history.history(a))["history"]]
    assert actions == ["end", "start", "schedule"]


async def test_scheduler_task_wakes_on_time(world: Any) -> None:
    make, clock, _ = world
    center = await make()
    start = T0 + timedelta(minutes=30)
    await switching.switch(
        center,
        FLOOD_HQ,
        SwitchRequest(
            ModeName.emergency, "预置", EmergencyType.other, frozenset({"511102"}), start
        ),
    )
    scheduler = schedule.ModeScheduler(center, tick=0.1)
    scheduler.start()
    try:
        clock.now = start
        for _ in range(30):
            await asyncio.sleep(0.05)
            hist = (await history.history(center))["history"]
            if hist[0]["action"] == "start":
                break
        assert hist[0]["action"] == "start" and hist[0]["by"] == "scheduler"
    finally:
        await scheduler.stop()
