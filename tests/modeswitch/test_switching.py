"""Switching: the change reaches the bus with its change-log row; a no-op writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dispatch_center.center import CHANGES_CHANNEL, Center
from dispatch_center.modeswitch import history, switching
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest
from tests.modeswitch.conftest import FLOOD_HQ, HOLIDAY_HQ

pytestmark = pytest.mark.anyio


async def _change_row(center: Center, seq: int) -> dict[str, Any]:
    async with center.db.connection() as conn:
        cur = await conn.execute("SELECT * FROM change_log WHERE seq = %s", (seq,))
        row = await cur.fetchone()
    assert row is not None
    return dict(row)


async def test_switch_reaches_a_bus_subscriber_within_a_second_with_its_change_log_row(
    world: Any,
) -> None:
    make, _clock, _ = world
    center = await make()
    async with center.bus.subscribe(CHANGES_CHANNEL) as sub:
        started = asyncio.get_running_loop().time()
        task = asyncio.create_task(
            switching.switch(
                center,
                FLOOD_HQ,
                SwitchRequest(
                    ModeName.emergency,
                    "暴雨红色预警",
                    EmergencyType.flood,
                    frozenset({"511111", "511132"}),
                ),
            )
        )
        message = await sub.get(timeout=1.0)
        elapsed = asyncio.get_running_loop().time() - started
        result = await task
    # The wake-up names the change as the log records it.
    assert message is not None and message["kind"] == "mode.changed", message
    assert elapsed < 1.0
    assert result["changed"] is True
    row = await _change_row(center, message["seq"])
    assert row["kind"] == "mode.changed"
    assert row["payload"]["mode"]["mode"] == "emergency"
    assert row["payload"]["mode"]["scope"] == ["511111", "511132"]
    # the sequence has no gap: the mode change took the next number after the last one
    async with center.db.connection() as conn:
        cur = await conn.execute("SELECT count(*) AS n, max(seq) AS top FROM change_log")
        counts = await cur.fetchone()
    assert counts is not None and counts["n"] == counts["top"]


async def test_noop_writes_nothing(world: Any) -> None:
    make, _clock, _ = world
    center = await make()
    req = SwitchRequest(ModeName.holiday, "国庆", None, None)
    first = await switching.switch(center, HOLIDAY_HQ, req)
    again = await switching.switch(center, HOLIDAY_HQ, req)
    assert first["changed"] is True and again["changed"] is False
    hist = await history.history(center)
    assert [h["action"] for h in hist["history"]] == ["declare"]
