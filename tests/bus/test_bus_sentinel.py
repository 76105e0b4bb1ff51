"""The Redis bus behind Sentinel (``redis+sentinel://``), with a real failover.

A master, a replica and one Sentinel on loopback ports of their own (skipped without
``redis-sentinel`` on PATH: ``apt-get install redis-sentinel``). After ``SENTINEL
FAILOVER`` the Sentinel demotes the old master and closes its clients; the bus's
subscriptions are lost (walls resync from the change log) and its reconnect asks the
Sentinel again, landing on the new master, where publishing and subscribing work.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from dispatch_center.bus.base import SubscriptionLost
from dispatch_center.bus.redis import RedisBus

pytestmark = pytest.mark.anyio


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_timeout=0.5).ping():
                return
        except redis.RedisError:
            time.sleep(0.05)
    raise TimeoutError(port)


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[tuple[str, int, list[int]]]:
    if not (shutil.which("redis-sentinel") and shutil.which("redis-server")):
        pytest.skip("redis-sentinel not on PATH (Debian: apt-get install redis-sentinel)")
    master, replica, sentinel = _port(), _port(), _port()
    procs = []
    base = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    for port, extra in ((master, []), (replica, ["--replicaof", "127.0.0.1", str(master)])):
        procs.append(subprocess.Popen([*base, "--port", str(port), *extra], cwd=tmp_path))
        _wait(port)
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor t 127.0.0.1 {master} 1\n"
        "sentinel down-after-milliseconds t 1000\nsentinel failover-timeout t 5000\n"
    )
    procs.append(subprocess.Popen(["redis-sentinel", str(conf)], stdout=subprocess.DEVNULL))
    _wait(sentinel)
    try:
        # The replica has synced before a failover is asked for.
        deadline = time.monotonic() + 15
        while redis.Redis(port=replica).info("replication")["master_link_status"] != "up":
            assert time.monotonic() < deadline, "replica did not sync"
            time.sleep(0.1)
        yield f"redis+sentinel://127.0.0.1:{sentinel}/t/2", sentinel, [master, replica]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


async def test_publish_subscribe_and_streams_through_sentinel(
    sentinel_set: tuple[str, int, list[int]],
) -> None:
    url, _, (master, _) = sentinel_set
    bus = RedisBus(url, client_name="sentinel-test", op_timeout=2.0)
    await bus.connect()
    try:
        async with bus.subscribe("wake") as sub:
            await bus.publish("wake", {"seq": 1})
            assert await sub.get(timeout=2) == {"seq": 1}
        assert await bus.ping()
        # It really is the master it talks to, db 2 of the URL.
        names = [c["name"] for c in redis.Redis(port=master).client_list()]
        assert "sentinel-test" in names
    finally:
        await bus.disconnect()


async def test_a_failover_ends_subscriptions_and_the_bus_follows_the_new_master(
    sentinel_set: tuple[str, int, list[int]],
) -> None:
    url, sentinel, (_master, replica) = sentinel_set
    bus = RedisBus(url, client_name="sentinel-failover", op_timeout=2.0, backoff=(0.05, 0.5))
    await bus.connect()
    try:
        async with bus.subscribe("wake") as sub:
            redis.Redis(port=sentinel).execute_command("SENTINEL", "FAILOVER", "t")
            with pytest.raises(SubscriptionLost):
                await sub.get(timeout=15)
        deadline = time.monotonic() + 15
        while redis.Redis(port=replica).info("replication")["role"] != "master":
            assert time.monotonic() < deadline, "no promotion"
            await asyncio.sleep(0.1)
        async with bus.subscribe("wake") as again:
            await bus.publish("wake", {"seq": 2})
            assert await again.get(timeout=5) == {"seq": 2}
        names = [c["name"] for c in redis.Redis(port=replica).client_list()]
        assert "sentinel-failover" in names, "the listener is on the new master"
        assert bus.heartbeat()["reconnects"] >= 1
    finally:
        await bus.disconnect()
