"""Fan-out to the local subscribers of one worker, shared by every bus backend.

Each subscriber owns a bounded queue. A full queue never drops a message quietly (the
channels_redis / python-socketio failure mode): the subscriber is marked lost, removed,
and its next read raises :class:`SubscriptionLost` so it resyncs from the change log.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from dispatch_center.bus.base import BusClosed, BusError, SubscriptionLost

__all__ = ["LocalFanout", "LocalSubscription"]


class _Failed:
    """Queue marker that carries why the subscription ended."""

    __slots__ = ("error",)

    def __init__(self, error: BusError) -> None:
        self.error = error


class LocalSubscription:
    """One consumer's bounded queue of messages from one channel.

    Examples
    --------
    >>> import asyncio
    >>> async def demo():
    ...     sub = LocalSubscription("orders", max_queue=2)
    ...     sub.deliver({"seq": 1})
    ...     return await sub.get(timeout=0)
    >>> asyncio.run(demo())
    {'seq': 1}
    """

    def __init__(self, channel: str, max_queue: int = 1000) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.channel = channel
        self.max_queue = max_queue
        self._queue: asyncio.Queue[dict[str, Any] | _Failed] = asyncio.Queue(max_queue)
        self.error: BusError | None = None

    @property
    def failed(self) -> bool:
        """Whether the subscription has ended (lost or closed)."""
        return self.error is not None

    def deliver(self, message: dict[str, Any]) -> bool:
        """Queue ``message``; on a full queue mark the subscription lost. False if not queued."""
        if self.error is not None:
            return False
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.fail(
                SubscriptionLost(
                    f"subscriber queue on {self.channel!r} overflowed ({self.max_queue} unread)"
                )
            )
            return False
        return True

    def fail(self, error: BusError) -> None:
        """End the subscription; the next read raises ``error`` (queued messages discarded)."""
        if self.error is not None:
            return
        self.error = error
        # Queued messages are discarded on purpose: the consumer resyncs from the log
        # anyway, and the marker must fit even when the queue is full.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_Failed(error))

    async def get(self, timeout: float | None = None) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Next message, ``None`` after ``timeout`` seconds; raises once the subscription ended."""
        try:
            async with asyncio.timeout(timeout):
                item = await self._queue.get()
        except TimeoutError:
            return None
        if isinstance(item, _Failed):
            # Put the marker back so every later read raises too.
            self._queue.put_nowait(item)
            raise item.error
        return item

    def __aiter__(self) -> LocalSubscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        try:
            message = await self.get()
        except BusClosed:
            raise StopAsyncIteration from None
        assert message is not None  # get() without a timeout never returns None
        return message


class LocalFanout:
    """Channel -> local subscriptions, with the counters a heartbeat reports."""

    def __init__(self) -> None:
        self._channels: dict[str, set[LocalSubscription]] = {}
        self.last_message_at: datetime | None = None
        self.delivered = 0
        self.overflowed = 0

    @property
    def subscriptions(self) -> int:
        """Number of live local subscriptions."""
        return sum(len(subs) for subs in self._channels.values())

    @property
    def channels(self) -> list[str]:
        """Channels that have at least one local subscriber."""
        return list(self._channels)

    def has(self, channel: str) -> bool:
        """Whether ``channel`` has a local subscriber."""
        return channel in self._channels

    def add(self, sub: LocalSubscription) -> bool:
        """Register ``sub``; True when it is the channel's first local subscriber."""
        subs = self._channels.setdefault(sub.channel, set())
        first = not subs
        subs.add(sub)
        return first

    def remove(self, sub: LocalSubscription) -> bool:
        """Unregister ``sub``; True when that left its channel without subscribers."""
        subs = self._channels.get(sub.channel)
        if subs is None or sub not in subs:
            return False
        subs.discard(sub)
        if subs:
            return False
        del self._channels[sub.channel]
        return True

    def deliver(self, channel: str, message: dict[str, Any]) -> bool:
        """Hand ``message`` to every subscriber of ``channel``.

        Returns True when an overflow just left the channel without subscribers.
        """
        self.last_message_at = datetime.now(UTC)
        subs = self._channels.get(channel)
        if not subs:
            return False
        for sub in list(subs):
            if sub.deliver(message):
                self.delivered += 1
            else:
                self.overflowed += 1
                subs.discard(sub)
        if subs:
            return False
        del self._channels[channel]
        return True

    def fail_all(self, error: BusError) -> int:
        """End every subscription with ``error`` and forget them; returns how many."""
        failed = 0
        for subs in self._channels.values():
            for sub in subs:
                sub.fail(error)
                failed += 1
        self._channels.clear()
        return failed

    def snapshot(self) -> dict[str, Any]:
        """Counters for a heartbeat."""
        return {
            "subscriptions": self.subscriptions,
            "channels": len(self._channels),
            "last_message_at": (self.last_message_at.isoformat() if self.last_message_at else None),
            "delivered": self.delivered,
            "overflowed": self.overflowed,
        }
