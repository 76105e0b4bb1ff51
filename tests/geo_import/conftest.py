"""A started center on a scratch database, driven from one event loop per module."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from dispatch_center.app import start_center, stop_center
from dispatch_center.center import Center
from dispatch_center.settings import Settings

T = TypeVar("T")
SECRET = "geo-import-test-key-Vd3qLw8ZrTn2Kp6yHs0Xc"


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the module (the center's pool belongs to it)."""
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="module")
def center(runner: asyncio.Runner, make_database: Callable[[], str]) -> Iterator[Center]:
    """A center with its own database: imports here touch no other test's routing."""
    c = runner.run(start_center(Settings(database_url=make_database(), secret_key=SECRET)))
    yield c
    runner.run(stop_center(c))


@pytest.fixture
def run(runner: asyncio.Runner) -> Callable[[Coroutine[Any, Any, T]], T]:
    """``run(coro)`` → its result, on the module's loop."""
    return runner.run
