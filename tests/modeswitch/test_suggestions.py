"""Suggestions from feed triggers: one per condition, accepted by the right HQ, auto-switch
only where the policy says.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from dispatch_center.errors import Conflict, Forbidden
from dispatch_center.modeswitch import state, suggestions, switching
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest
from modes.triggers import GaugeReading
from tests.modeswitch.conftest import FLOOD_HQ, HOLIDAY_HQ

pytestmark = pytest.mark.anyio


async def test_a_trigger_raises_exactly_one_open_suggestion(world: Any) -> None:
    make, _clock, _ = world
    center = await make()
    reading = GaugeReading("wtq-1", "五通桥水文站", "511112", 362.4, 361.0)
    results = await asyncio.gather(*(suggestions.submit_trigger(center, reading) for _ in range(5)))
    assert all(r is not None for r in results)
    ids = {r["id"] for r in results if r}
    assert len(ids) == 1
    assert sum(1 for r in results if r and r["created"]) == 1
    open_ = (await suggestions.list_suggestions(center, "open"))["suggestions"]
    assert [s["dedupe_key"] for s in open_] == ["river_gauge:wtq-1"]
    assert open_[0]["seen_count"] == 5

    with pytest.raises(Forbidden):
        await suggestions.accept_suggestion(center, HOLIDAY_HQ, open_[0]["id"])
    done = await suggestions.accept_suggestion(center, FLOOD_HQ, open_[0]["id"])
    assert (
        done["suggestion"]["status"] == "accepted"
        and done["suggestion"]["decided_by"] == "flood_hq"
    )
    assert center.modes.active("511112", center.now()).mode is ModeName.emergency
    with pytest.raises(Conflict):
        await suggestions.dismiss_suggestion(center, FLOOD_HQ, open_[0]["id"])
    # the condition holds but the mode is already in force: nothing new to suggest
    assert await suggestions.submit_trigger(center, reading) is None


async def test_auto_switch_only_where_the_policy_says(world: Any) -> None:
    make, _clock, tmp = world
    policy_dir = tmp / "policies"
    policy_dir.mkdir()
    normal = json.loads(
        (Path(state.__file__).parents[2] / "modes/policies/normal.json").read_text()
    )
    normal["auto_switch"] = ["scenic_capacity"]
    (policy_dir / "normal.json").write_text(json.dumps(normal))
    center = await make(policy_dir)
    crowd = {
        "kind": "scenic_capacity",
        "area_id": "emei",
        "area_name": "峨眉山",
        "county": "511181",
        "count": 60_000,
        "capacity": 50_000,
    }
    view = await suggestions.submit_trigger(center, crowd)
    assert view is not None and view["status"] == "accepted" and view["decided_by"] == "system"
    assert center.modes.active("511181", center.now()).mode is ModeName.holiday
    gauge = GaugeReading("g", "沙湾", "511111", 11, 10)
    flood = await suggestions.submit_trigger(center, gauge)
    assert flood is not None and flood["status"] == "open"  # not listed: people decide


async def test_a_worker_that_records_history_still_loads_a_switch_it_has_not_seen(
    world: Any,
) -> None:
    # Worker A raises a suggestion; worker B switches a county to emergency (a history
    # entry A has not loaded); then A dismisses the suggestion, writing a newer entry.
    # A's next refresh must still load B's switch, not take its own entry as "up to date".
    make, _clock, _ = world
    a, b = await make(), await make()
    reading = GaugeReading("wtq-1", "五通桥水文站", "511112", 362.4, 361.0)
    raised = await suggestions.submit_trigger(a, reading)
    assert raised is not None
    await switching.switch(
        b,
        FLOOD_HQ,
        SwitchRequest(
            ModeName.emergency, "暴雨红色预警", EmergencyType.flood, frozenset({"511111"})
        ),
    )
    await suggestions.dismiss_suggestion(a, FLOOD_HQ, raised["id"], note="水位已回落")
    await state.refresh(a)
    assert a.modes.active("511111", a.now()).mode is ModeName.emergency
    assert b.modes.active("511111", b.now()).mode is ModeName.emergency
    # and the refreshed state keeps the counties' names for the views
    assert a.modes.county_names["511111"] == "沙湾区"
