"""One contract, run against every bus backend (in-memory and a real Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from dispatch_center.bus.base import Bus, BusError, Subscription, SubscriptionLost
from dispatch_center.bus.redis import RedisBus

pytestmark = pytest.mark.anyio


async def _drain(sub: Subscription, n: int, timeout: float = 2.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(n):
        message = await sub.get(timeout=timeout)
        assert message is not None, f"timed out after {len(out)} of {n} messages"
        out.append(message)
    return out


# -- pub/sub ---------------------------------------------------------------------------


async def test_publish_right_after_subscribe_is_received_in_order(bus: Bus, prefix: str) -> None:
    channel = f"{prefix}orders"
    async with bus.subscribe(channel) as sub:
        # No sleep: entering waited for the subscribe confirmation.
        for seq in range(1, 21):
            await bus.publish(channel, {"type": "order.changed", "seq": seq})
        received = await _drain(sub, 20)
    assert [m["seq"] for m in received] == list(range(1, 21))
    assert received[0] == {"type": "order.changed", "seq": 1}


async def test_every_subscriber_of_a_channel_receives(bus: Bus, prefix: str) -> None:
    channel = f"{prefix}wall"
    async with bus.subscribe(channel) as a, bus.subscribe(channel) as b:
        await bus.publish(channel, {"seq": 1})
        await bus.publish(channel, {"seq": 2})
        assert [m["seq"] for m in await _drain(a, 2)] == [1, 2]
        assert [m["seq"] for m in await _drain(b, 2)] == [1, 2]


async def test_channels_are_isolated(bus: Bus, prefix: str) -> None:
    async with bus.subscribe(f"{prefix}a") as a, bus.subscribe(f"{prefix}b") as b:
        await bus.publish(f"{prefix}a", {"for": "a"})
        await bus.publish(f"{prefix}b", {"for": "b"})
        # Published after the message for a, so anything leaking to b would come first.
        assert await b.get(timeout=2) == {"for": "b"}
        assert await a.get(timeout=2) == {"for": "a"}
        assert await a.get(timeout=0.05) is None


async def test_slow_subscriber_overflow_is_lost_and_fast_one_unaffected(
    bus: Bus, prefix: str
) -> None:
    channel = f"{prefix}busy"
    async with (
        bus.subscribe(channel, max_queue=3) as slow,
        bus.subscribe(channel, max_queue=100) as fast,
    ):
        for seq in range(10):
            await bus.publish(channel, {"seq": seq})
        assert [m["seq"] for m in await _drain(fast, 10)] == list(range(10))
        with pytest.raises(SubscriptionLost, match="overflow"):
            await slow.get(timeout=2)
        with pytest.raises(SubscriptionLost):  # stays lost: no silent recovery
            await slow.get(timeout=0)
        beat = bus.heartbeat()
        assert beat["subscriptions"] == 1
        assert beat["overflowed"] == 1
        await bus.publish(channel, {"seq": 10})
        assert await fast.get(timeout=2) == {"seq": 10}


async def test_exiting_unsubscribes(bus: Bus, prefix: str) -> None:
    channel = f"{prefix}gone"
    async with bus.subscribe(channel):
        assert bus.heartbeat()["subscriptions"] == 1
    assert bus.heartbeat()["subscriptions"] == 0
    if isinstance(bus, RedisBus):
        assert bus._client is not None
        assert await bus._client.pubsub_numsub(channel) == [(channel, 0)]
    async with bus.subscribe(channel) as again:
        await bus.publish(channel, {"seq": 1})
        assert await again.get(timeout=2) == {"seq": 1}


async def test_subscribe_unsubscribe_churn_keeps_the_channel_working(bus: Bus, prefix: str) -> None:
    channel = f"{prefix}churn"
    async with bus.subscribe(channel) as steady:
        for _ in range(15):
            async with bus.subscribe(channel):
                pass
        await asyncio.gather(*(_enter_exit(bus, channel) for _ in range(10)))
        async with bus.subscribe(channel) as late:
            await bus.publish(channel, {"seq": 1})
            assert await late.get(timeout=2) == {"seq": 1}
        assert await steady.get(timeout=2) == {"seq": 1}


async def _enter_exit(bus: Bus, channel: str) -> None:
    async with bus.subscribe(channel):
        await asyncio.sleep(0)


async def test_iteration_yields_messages_and_ends_on_disconnect(bus: Bus, prefix: str) -> None:
    channel = f"{prefix}iter"
    seen: list[int] = []
    async with bus.subscribe(channel) as sub:
        for seq in (1, 2, 3):
            await bus.publish(channel, {"seq": seq})
        async for message in sub:
            seen.append(message["seq"])
            if len(seen) == 3:
                break
        await bus.disconnect()
        async for _ in sub:
            pytest.fail("a closed bus must end iteration")
    assert seen == [1, 2, 3]
    assert await bus.ping() is False


async def test_ping(bus: Bus) -> None:
    assert await bus.ping() is True


async def test_heartbeat_fields(bus: Bus, prefix: str) -> None:
    beat = bus.heartbeat()
    assert beat["backend"] == ("redis" if isinstance(bus, RedisBus) else "memory")
    assert beat["connected"] is True
    assert beat["subscriptions"] == 0
    assert beat["last_message_at"] is None
    assert beat["reconnects"] == 0
    channel = f"{prefix}beat"
    async with bus.subscribe(channel) as sub:
        assert bus.heartbeat()["subscriptions"] == 1
        await bus.publish(channel, {"seq": 1})
        await sub.get(timeout=2)
        stamp = bus.heartbeat()["last_message_at"]
    assert datetime.fromisoformat(stamp).tzinfo is not None


async def test_publish_rejects_a_message_that_is_not_json(bus: Bus, prefix: str) -> None:
    with pytest.raises(TypeError):
        await bus.publish(f"{prefix}x", {"when": {1, 2}})


async def test_use_before_connect_is_a_bus_error(make_bus: Callable[[], Bus], prefix: str) -> None:
    bus = make_bus()
    with pytest.raises(BusError):
        await bus.publish(f"{prefix}x", {"seq": 1})
    with pytest.raises(BusError):
        async with bus.subscribe(f"{prefix}x"):
            pass
    assert await bus.ping() is False
    assert bus.heartbeat()["connected"] is False
