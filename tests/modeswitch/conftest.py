"""Mode services on a real PostgreSQL and the in-process bus (no HTTP).

Each test gets a fresh database, a Center with a controllable clock, and the services
exactly as the app runs them: ``world`` makes centers (several: several workers) on it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dispatch_center.accounts.security import Principal
from dispatch_center.bus.memory import MemoryBus
from dispatch_center.center import Center
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.core.roles import Role
from dispatch_center.modeswitch.state import start_modes
from dispatch_center.reference.seed import seed_reference
from dispatch_center.settings import Settings
from dispatch_center.store.database import Database, prepare_database

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
    await start_modes(center)
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
