"""Policies: a bad file is refused on reload and replaced by the bundled one at start."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dispatch_center.errors import Forbidden, Invalid
from dispatch_center.modeswitch import policies
from modes.policy import ModeName
from tests.modeswitch.conftest import ADMIN, FLOOD_HQ

pytestmark = pytest.mark.anyio


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
