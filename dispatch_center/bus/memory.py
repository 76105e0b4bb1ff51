"""In-process bus: the default when ``REDIS_URL`` is unset (one worker, no extra server).

A real backend, not a test fake: it has the same bounded queues, the same loss signal
and the same loss signal as :class:`~dispatch_center.bus.redis.RedisBus`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dispatch_center.bus.base import Bus, BusClosed, BusError, Subscription
from dispatch_center.bus.fanout import LocalFanout, LocalSubscription

__all__ = ["MemoryBus"]


class MemoryBus(Bus):
    """Publish/subscribe inside one asyncio process.

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
