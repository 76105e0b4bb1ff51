"""The mode service on a real PostgreSQL and the in-process bus (no HTTP).

Each test gets a fresh database, a Center with a controllable clock, and the services
exactly as the app runs them.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dispatch_center.accounts.security import Principal
from dispatch_center.bus.memory import MemoryBus
from dispatch_center.center import CHANGES_CHANNEL, Center
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Forbidden, Invalid
from dispatch_center.modeswitch import (
    history,
    policies,
    schedule,
    state,
    suggestions,
    switching,
)
from dispatch_center.reference.seed import seed_reference
from dispatch_center.settings import Settings
from dispatch_center.store.database import Database, prepare_database
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest
from modes.triggers import GaugeReading

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
FLOOD_HQ = Principal("flood_hq", Role.flood_hq)
HOLIDAY_HQ = Principal("holiday_hq", Role.holiday_hq)
ADMIN = Principal("admin", Role.admin)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@functools.lru_cache(maxsize=1)
def _geography() -> Any:
    from dispatch_center.geography.model import default_geography

    return default_geography()


async def _center(url: str, clock: Clock, policy_dir: Path | None = None) -> Center:
    settings = Settings(database_url=url, demo=True, policy_dir=policy_dir)
    db = Database(url, min_size=1, max_size=4)
    await db.open()
    bus = MemoryBus()
    await bus.connect()
    center = Center(
        settings=settings,
        db=db,
        bus=bus,
        storage_path="native",
        secret_key="x" * 40,
        geography=_geography(),
        clock=clock,
    )
    await seed_reference(center)
    await center.reload_reference()
    await state.start_modes(center)
    return center


@pytest.fixture
async def world(
    make_database: Callable[[], str], tmp_path: Path
) -> AsyncIterator[tuple[Callable[..., Any], Clock, Path]]:
    url = make_database()
    await asyncio.to_thread(prepare_database, url, T0.date(), 1)
    clock = Clock(T0)
    made: list[Center] = []

    async def make(policy_dir: Path | None = None) -> Center:
        c = await _center(url, clock, policy_dir)
        made.append(c)
        return c

    yield make, clock, tmp_path
    for c in made:
        await c.bus.disconnect()
        await c.db.close()


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


async def test_reload_refuses_a_bad_file_and_keeps_the_running_policy(world: Any) -> None:
    make, _clock, tmp = world
    policy_dir = tmp / "ops"
    policy_dir.mkdir()
    center = await make(policy_dir)
    running = center.modes.policies[ModeName.emergency]
    doc = json.loads(json.dumps(running.document))
    doc["co_dispatch"][0]["units"] = ["511100.nowhere"]
    (policy_dir / "emergency.json").write_text(json.dumps(doc))
    with pytest.raises(Invalid) as info:
        await policies.reload_policies(center, ADMIN)
    assert (
        "emergency.json" in info.value.message and "co_dispatch[0].units[0]" in info.value.message
    )
    assert center.modes.policies[ModeName.emergency] is running

    doc["co_dispatch"][0]["units"] = ["511100.flood_hq"]
    doc["version"] = "ops-2"
    (policy_dir / "emergency.json").write_text(json.dumps(doc))
    with pytest.raises(Forbidden):
        await policies.reload_policies(center, FLOOD_HQ)
    await policies.reload_policies(center, ADMIN)
    assert center.modes.policies[ModeName.emergency].version == "ops-2"
    assert center.modes.policies[ModeName.normal].source.endswith("modes/policies/normal.json")


async def test_a_bad_operator_file_at_start_runs_the_bundled_policy(world: Any) -> None:
    make, _clock, tmp = world
    policy_dir = tmp / "bad"
    policy_dir.mkdir()
    (policy_dir / "holiday.json").write_text("{oops")
    center = await make(policy_dir)
    assert center.modes.policies[ModeName.holiday].source == "modes/policies/holiday.json"


# -- a commit that fails leaves this worker's modes as they were ------------------------------


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
