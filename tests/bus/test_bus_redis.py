"""What only the Redis backend can do or suffer: several workers, a dropped connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from dispatch_center.bus.base import BusError, SubscriptionLost
from dispatch_center.bus.redis import RedisBus

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A second, plain client, playing the operator (or another process)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def bus(redis_url: str, prefix: str) -> AsyncIterator[RedisBus]:
    b = RedisBus(redis_url, client_name=f"{prefix}listener", op_timeout=2.0)
    await b.connect()
    try:
        yield b
    finally:
        await b.disconnect()


async def _kill_listener(admin: aioredis.Redis, name: str) -> None:
    ids = [c["id"] for c in await admin.client_list() if c["name"] == name]
    assert len(ids) == 1, f"expected one connection named {name}, found {len(ids)}"
    assert await admin.client_kill_filter(_id=ids[0]) == 1


async def test_killed_connection_loses_subscribers_then_recovers(
    bus: RedisBus, admin: aioredis.Redis, prefix: str
) -> None:
    async with bus.subscribe(f"{prefix}a") as a, bus.subscribe(f"{prefix}b") as b:
        await _kill_listener(admin, bus.client_name)
        with pytest.raises(SubscriptionLost, match="connection lost"):
            await a.get(timeout=3)
        with pytest.raises(SubscriptionLost):
            await b.get(timeout=3)
    # A fresh subscription waits for the reconnect, then works.
    async with bus.subscribe(f"{prefix}a") as again:
        await bus.publish(f"{prefix}a", {"seq": 42})
        assert await again.get(timeout=2) == {"seq": 42}
    beat = bus.heartbeat()
    assert beat["reconnects"] == 1
    assert beat["connected"] is True
    assert beat["reader_alive"] is True
    assert "ConnectionError" in beat["last_error"]
    assert await bus.ping() is True


async def test_two_workers_share_messages(redis_url: str, prefix: str) -> None:
    one = RedisBus(redis_url, client_name=f"{prefix}one")
    two = RedisBus(redis_url, client_name=f"{prefix}two")
    await one.connect()
    await two.connect()
    try:
        async with (
            one.subscribe(f"{prefix}wall") as on_one,
            two.subscribe(f"{prefix}wall") as on_two,
        ):
            await one.publish(f"{prefix}wall", {"seq": 1})
            await two.publish(f"{prefix}wall", {"seq": 2})
            for sub in (on_one, on_two):
                assert [await sub.get(timeout=2), await sub.get(timeout=2)] == [
                    {"seq": 1},
                    {"seq": 2},
                ]
    finally:
        await one.disconnect()
        await two.disconnect()


async def test_foreign_non_json_message_is_counted_not_fatal(
    bus: RedisBus, admin: aioredis.Redis, prefix: str
) -> None:
    channel = f"{prefix}mixed"
    async with bus.subscribe(channel) as sub:
        await admin.publish(channel, "not json")
        await admin.publish(channel, "[1, 2]")
        await bus.publish(channel, {"seq": 1})
        assert await sub.get(timeout=2) == {"seq": 1}
    assert bus.heartbeat()["malformed"] == 2
    assert bus.heartbeat()["connected"] is True


async def test_unreachable_redis_is_a_bus_error_without_the_password() -> None:
    bus = RedisBus("redis://:hunter2@127.0.0.1:1/0", op_timeout=1.0)
    with pytest.raises(BusError) as caught:
        await bus.connect()
    assert "hunter2" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)
    assert bus.heartbeat()["connected"] is False


async def test_entering_returns_only_after_the_subscribe_reply(bus: RedisBus, prefix: str) -> None:
    # Redis happens to run the SUBSCRIBE before a PUBLISH sent later on another socket, so
    # the ordering tests would pass even without waiting; check the wait itself.
    for n in range(5):
        async with bus.subscribe(f"{prefix}c{n}"):
            assert bus._confirmations[f"{prefix}c{n}"].done()
            assert not bus._replies, "the SUBSCRIBE reply has not been read yet"
