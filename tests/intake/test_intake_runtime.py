"""The intake's runtime on the center: found by its class."""

from __future__ import annotations

from dispatch_center.intake.runtime import IntakeRuntime
from tests.api.conftest import LiveCenter
from tests.intake.conftest import running_ingest


def test_the_running_intake_is_found_on_the_center(fresh_live: LiveCenter) -> None:
    runtime = fresh_live.center.runtimes.get(IntakeRuntime)
    assert runtime.ingest is running_ingest(fresh_live)
    assert runtime.center is fresh_live.center
