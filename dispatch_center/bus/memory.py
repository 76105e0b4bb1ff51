"""In-process bus: the default when ``REDIS_URL`` is unset (one worker, no extra server).

A real backend, not a test fake: it has the same bounded queues, the same loss signal
and the same stream semantics as :class:`~dispatch_center.bus.redis.RedisBus`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dispatch_center.bus.base import Bus, BusClosed, BusError, StreamEntry, Subscription
from dispatch_center.bus.fanout import LocalFanout, LocalSubscription
from dispatch_center.bus.memory_streams import MemoryStreams

__all__ = ["MemoryBus"]


class MemoryBus(Bus):
    """Publish/subscribe and streams inside one asyncio process.

    Examples
    --------
    >>> import asyncio
    >>> async def demo():
    ...     bus = MemoryBus()
    ...     await bus.connect()
    ...     async with bus.subscribe("wallboard") as sub:
    ...         await bus.publish("wallboard", {"type": "order.created", "seq": 7})
    ...         message = await sub.get(timeout=1)
    ...     await bus.disconnect()
    ...     return message
    >>> asyncio.run(demo())
    {'type': 'order.created', 'seq': 7}
    """

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._connected = False
        self._fanout = LocalFanout()
        self._streams = MemoryStreams()

    async def connect(self) -> None:
        """Mark the bus open (nothing to reach)."""
        self._connected = True

    async def disconnect(self) -> None:
        """Close the bus; open subscriptions end."""
        self._connected = False
        self._fanout.fail_all(BusClosed("bus disconnected"))

    def _require_connected(self) -> None:
        if not self._connected:
            raise BusError("memory bus is not connected: call connect() first")

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to the local subscribers of ``channel``.

        The message goes through JSON like on Redis, so a non-serialisable message fails
        here too (``TypeError``) and subscribers never share the publisher's dict.
        """
        self._require_connected()
        decoded = json.loads(json.dumps(message))
        self._fanout.deliver(channel, decoded)

    @asynccontextmanager
    async def _subscription(self, channel: str, max_queue: int) -> AsyncIterator[Subscription]:
        self._require_connected()
        sub = LocalSubscription(channel, max_queue)
        self._fanout.add(sub)
        try:
            yield sub
        finally:
            self._fanout.remove(sub)

    def subscribe(self, channel: str, *, max_queue: int = 1000) -> Any:
        """Subscribe to ``channel`` (confirmed at once: there is no server)."""
        return self._subscription(channel, max_queue)

    async def ping(self) -> bool:
        """True while connected."""
        return self._connected

    def heartbeat(self) -> dict[str, Any]:
        """Subscription state of this process."""
        return {"backend": "memory", "connected": self._connected, "reconnects": 0} | (
            self._fanout.snapshot()
        )

    async def stream_add(
        self, stream: str, fields: dict[str, str], maxlen: int | None = None
    ) -> str:
        """Append an entry to an in-process stream; returns its id."""
        self._require_connected()
        return await self._streams.add(stream, fields, maxlen)

    async def stream_read_group(
        self,
        stream: str,
        group: str,
        consumer: str,
        count: int = 10,
        block_ms: int | None = None,
    ) -> list[StreamEntry]:
        """New entries for ``group``, now pending for ``consumer``."""
        self._require_connected()
        return await self._streams.read_group(stream, group, consumer, count, block_ms)

    async def stream_ack(self, stream: str, group: str, *ids: str) -> int:
        """Acknowledge entries; returns how many were pending."""
        self._require_connected()
        return await self._streams.ack(stream, group, *ids)

    async def stream_claim_stale(
        self, stream: str, group: str, consumer: str, min_idle_ms: int, count: int = 10
    ) -> list[StreamEntry]:
        """Take over entries pending for at least ``min_idle_ms``."""
        self._require_connected()
        return await self._streams.claim_stale(stream, group, consumer, min_idle_ms, count)
