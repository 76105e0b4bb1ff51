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
    with pytest.raises(BusError):
        await bus.stream_add(f"{prefix}s", {"a": "1"})
    assert await bus.ping() is False
    assert bus.heartbeat()["connected"] is False


# -- streams ---------------------------------------------------------------------------


async def test_stream_dead_consumers_entry_is_claimed_and_delivered_once(
    bus: Bus, prefix: str
) -> None:
    stream, group = f"{prefix}intake", "ingest"
    first = await bus.stream_add(stream, {"source": "wechat", "source_id": "A1"})
    second = await bus.stream_add(stream, {"source": "sms", "source_id": "B2"})
    # The consumer "dead" takes the first entry and never acknowledges it.
    assert await bus.stream_read_group(stream, group, "dead", count=1) == [
        (first, {"source": "wechat", "source_id": "A1"})
    ]
    # New reads only hand out what nobody got yet.
    assert await bus.stream_read_group(stream, group, "alive", count=10) == [
        (second, {"source": "sms", "source_id": "B2"})
    ]
    assert await bus.stream_ack(stream, group, second) == 1
    # Not idle long enough: stays with the dead consumer.
    assert await bus.stream_claim_stale(stream, group, "alive", min_idle_ms=60_000) == []
    await asyncio.sleep(0.03)
    claimed = await bus.stream_claim_stale(stream, group, "alive", min_idle_ms=20)
    assert claimed == [(first, {"source": "wechat", "source_id": "A1"})]
    assert await bus.stream_ack(stream, group, first) == 1
    # Acknowledged: never delivered again, by any path.
    assert await bus.stream_claim_stale(stream, group, "alive", min_idle_ms=0) == []
    assert await bus.stream_read_group(stream, group, "alive") == []
    assert await bus.stream_ack(stream, group, first) == 0


async def test_stream_ids_increase_and_groups_read_from_the_start(bus: Bus, prefix: str) -> None:
    stream = f"{prefix}ids"
    ids = [await bus.stream_add(stream, {"n": str(n)}) for n in range(5)]
    keys = [tuple(int(part) for part in i.split("-")) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == 5
    # A group created after the entries were added still gets all of them.
    got = await bus.stream_read_group(stream, "late-group", "c", count=10)
    assert [fields["n"] for _, fields in got] == ["0", "1", "2", "3", "4"]
    # Independent groups each get every entry.
    other = await bus.stream_read_group(stream, "other-group", "c", count=2)
    assert [fields["n"] for _, fields in other] == ["0", "1"]


async def test_stream_maxlen_trims_oldest(bus: Bus, prefix: str) -> None:
    stream = f"{prefix}trim"
    for n in range(6):
        await bus.stream_add(stream, {"n": str(n)}, maxlen=3)
    got = await bus.stream_read_group(stream, "g", "c", count=10)
    assert [fields["n"] for _, fields in got] == ["3", "4", "5"]


async def test_stream_read_group_blocks_until_an_entry_arrives(bus: Bus, prefix: str) -> None:
    stream = f"{prefix}block"
    assert await bus.stream_read_group(stream, "g", "c", block_ms=30) == []

    async def add_soon() -> str:
        await asyncio.sleep(0.05)
        return await bus.stream_add(stream, {"n": "late"})

    adder = asyncio.create_task(add_soon())
    got = await bus.stream_read_group(stream, "g", "c", block_ms=2000)
    assert got == [(await adder, {"n": "late"})]


async def test_stream_ack_and_claim_on_unknown_group_are_empty(bus: Bus, prefix: str) -> None:
    assert await bus.stream_ack(f"{prefix}none", "g", "1-0") == 0
    assert await bus.stream_claim_stale(f"{prefix}none", "g", "c", min_idle_ms=0) == []
