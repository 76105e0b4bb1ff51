"""Fixtures for the bus contract: every backend, against a real Redis where needed.

Redis comes from ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); when that
does not answer and ``redis-server`` is on PATH, a throwaway server is started.
Each test works under its own key/channel prefix and deletes only its own keys.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import redis

from dispatch_center.bus.base import Bus
from dispatch_center.bus.memory import MemoryBus
from dispatch_center.bus.redis import RedisBus

BACKENDS = ["memory", "redis"]


def _answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5) as r:
            return bool(r.ping())
    except (redis.RedisError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if _answers(url):
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail(f"no Redis at {url} and no redis-server on PATH: Redis is required")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/15"
    try:
        deadline = time.monotonic() + 5
        while not _answers(url):
            if time.monotonic() > deadline:
                pytest.fail("started redis-server did not answer within 5 s")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def prefix() -> str:
    """Unique prefix for this test's channels, streams and client names."""
    return f"test-bus-{uuid.uuid4().hex[:10]}-"


@pytest.fixture(params=BACKENDS)
def make_bus(request: pytest.FixtureRequest, prefix: str) -> Iterator[Callable[[], Bus]]:
    """Factory for unconnected buses of one backend (parametrised over all backends)."""
    if request.param == "memory":
        yield MemoryBus
        return
    url: str = request.getfixturevalue("redis_url")
    made: list[RedisBus] = []

    def factory() -> Bus:
        bus = RedisBus(url, client_name=f"{prefix}worker{len(made)}", op_timeout=2.0)
        made.append(bus)
        return bus

    yield factory
    with redis.Redis.from_url(url) as r:
        keys = list(r.scan_iter(match=f"{prefix}*"))
        if keys:
            r.delete(*keys)


@pytest.fixture
async def bus(make_bus: Callable[[], Bus]) -> AsyncIterator[Bus]:
    """A connected bus of each backend."""
    b = make_bus()
    await b.connect()
    try:
        yield b
    finally:
        await b.disconnect()
