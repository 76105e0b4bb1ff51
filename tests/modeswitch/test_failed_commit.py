"""A commit that fails leaves this worker's modes as they were and announces nothing.

The commits fail for real: a deferred constraint trigger on ``change_log`` raises when
the transaction commits, after every statement of the service has run.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from dispatch_center.center import CHANGES_CHANNEL, Center
from dispatch_center.modeswitch import (
    history,
    policies,
    schedule,
    state,
    suggestions,
    switching,
)
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest
from modes.triggers import GaugeReading
from tests.modeswitch.conftest import ADMIN, FLOOD_HQ, HOLIDAY_HQ, T0

pytestmark = pytest.mark.anyio


async def _refuse_commits_of_changes(center: Center) -> None:
    """Make every later commit that wrote a change-log row fail, the way a real commit fails:
    a deferred constraint trigger that raises when the transaction commits."""
    async with center.db.connection() as conn:
        await conn.execute(
            "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$"
        )
        await conn.execute(
            "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON change_log"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"
        )


async def _fails_quietly(center: Center, action: Callable[[], Awaitable[Any]]) -> None:
    """Run ``action`` with commits refused: it raises the commit's error, ``center.modes``
    stays the very object it was, and nothing is announced."""
    await _refuse_commits_of_changes(center)
    before = center.modes
    async with center.bus.subscribe(CHANGES_CHANNEL) as sub:
        with pytest.raises(psycopg.errors.RaiseException, match="commit refused"):
            await action()
        assert await sub.get(timeout=0.3) is None
    assert center.modes is before


async def test_a_switch_whose_commit_fails_changes_nothing_in_memory(world: Any) -> None:
    make, clock, _ = world
    center = await make()
    req = SwitchRequest(ModeName.emergency, "暴雨", EmergencyType.flood, frozenset({"511111"}))
    await _fails_quietly(center, lambda: switching.switch(center, FLOOD_HQ, req))
    assert center.modes.active("511111", clock()).mode is ModeName.normal
    assert state.mode_view(center)["mode"] == "normal"
    assert (await history.history(center))["history"] == []


async def test_accepting_a_suggestion_whose_commit_fails_changes_nothing_in_memory(
    world: Any,
) -> None:
    make, _clock, _ = world
    center = await make()
    reading = GaugeReading("wtq-1", "五通桥水文站", "511112", 362.4, 361.0)
    raised = await suggestions.submit_trigger(center, reading)
    assert raised is not None
    await _fails_quietly(
        center, lambda: suggestions.accept_suggestion(center, FLOOD_HQ, raised["id"])
    )
    open_ = (await suggestions.list_suggestions(center, "open"))["suggestions"]
    assert [s["id"] for s in open_] == [raised["id"]]


async def test_cancelling_whose_commit_fails_changes_nothing_in_memory(world: Any) -> None:
    make, _clock, _ = world
    center = await make()
    start = T0 + timedelta(hours=1)
    done = await switching.switch(
        center, HOLIDAY_HQ, SwitchRequest(ModeName.holiday, "元旦", None, None, start)
    )
    declaration_id = done["mode"]["scheduled"][0]["id"]
    await _fails_quietly(
        center, lambda: switching.cancel_scheduled(center, HOLIDAY_HQ, declaration_id)
    )
    assert [d["id"] for d in schedule.schedule_view(center)["scheduled"]] == [declaration_id]


async def test_a_due_start_whose_commit_fails_changes_nothing_in_memory(world: Any) -> None:
    make, clock, _ = world
    center = await make()
    start = T0 + timedelta(hours=1)
    await switching.switch(
        center, HOLIDAY_HQ, SwitchRequest(ModeName.holiday, "元旦", None, None, start)
    )
    clock.now = start + timedelta(seconds=1)
    await _fails_quietly(center, lambda: schedule.run_due(center))
    assert not center.modes.declarations[0].start_applied


async def test_a_reload_whose_commit_fails_keeps_the_running_policies(world: Any) -> None:
    make, _clock, tmp = world
    policy_dir = tmp / "ops"
    policy_dir.mkdir()
    center = await make(policy_dir)
    doc = json.loads(json.dumps(center.modes.policies[ModeName.emergency].document))
    doc["version"] = "ops-2"
    (policy_dir / "emergency.json").write_text(json.dumps(doc))
    await _fails_quietly(center, lambda: policies.reload_policies(center, ADMIN))
    assert center.modes.policies[ModeName.emergency].version != "ops-2"


async def test_a_dismissal_whose_commit_fails_changes_nothing_in_memory(world: Any) -> None:
    make, _clock, _ = world
    center = await make()
    reading = GaugeReading("wtq-1", "五通桥水文站", "511112", 362.4, 361.0)
    raised = await suggestions.submit_trigger(center, reading)
    assert raised is not None
    await _fails_quietly(
        center, lambda: suggestions.dismiss_suggestion(center, FLOOD_HQ, raised["id"])
    )
    assert (await suggestions.list_suggestions(center, "open"))["suggestions"][0]["id"] == raised[
        "id"
    ]
