"""The message bus contract: a wake-up and fan-out layer, never the source of truth.

The truth is the ordered change log in PostgreSQL, whose rows carry gap-free sequence
numbers (``seq``). The bus only tells each worker "something new happened, up to seq N"
and fans that out to the worker's local subscribers (WebSocket connections). Any
message the bus could not deliver is reported as :class:`SubscriptionLost`, so the
consumer resyncs from the log instead of silently missing a change.

Backends are one small module each, chosen by URL scheme in
:func:`dispatch_center.bus.factory.bus_from_url`:

========================  =========================================
URL                       backend
========================  =========================================
``None``, ``""``,         :class:`~dispatch_center.bus.memory.MemoryBus`
``memory://``             (in-process; the default for one worker)
``redis://``,             :class:`~dispatch_center.bus.redis.RedisBus`
``rediss://``             (pub/sub + Streams; several workers)
========================  =========================================
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Bus",
    "BusClosed",
    "BusError",
    "Subscription",
    "SubscriptionLost",
]


class BusError(Exception):
    """The bus could not do what was asked (not connected, server unreachable, ...)."""


class SubscriptionLost(BusError):
    """Messages may have been missed: resync from the change log, then subscribe again.

    Raised from a subscription's ``get()`` / iteration when its bounded queue overflowed
    (a slow consumer) or when the backend's connection dropped.
    """


class BusClosed(BusError):
    """The bus was disconnected on purpose (shutdown); iteration simply ends."""


@runtime_checkable
class Subscription(Protocol):
    """Messages published on one channel, in publish order, for one local consumer."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    # The timeout is part of the contract: each backend waits its own way (get(timeout=0)
    # polls), so callers need not wrap it in asyncio.timeout.
    async def get(self, timeout: float | None = None) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Next message, or ``None`` when ``timeout`` seconds pass without one.

        Raises :class:`SubscriptionLost` when messages may have been missed.
        """
        ...


class Bus(ABC):
    """A publish/subscribe bus (the intake's durable queue is PostgreSQL's, not the bus's).

    Messages are JSON-serialisable dicts. A received message dict may be shared by
    every local subscriber of the channel: treat it as read-only.
    """

    url: str

    @abstractmethod
    async def connect(self) -> None:
        """Open the backend; raises :class:`BusError` when it cannot be reached."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the backend; open subscriptions end (iteration stops)."""

    @abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every subscriber of ``channel`` in every worker."""

    @abstractmethod
    def subscribe(
        self, channel: str, *, max_queue: int = 1000
    ) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to ``channel``; entering returns once the subscription is confirmed.

        A message published after entering is received. At most ``max_queue`` messages
        wait unread; one more makes the subscription lost (never a silent drop).
        """

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the backend answers now (for ``/readyz``)."""

    @abstractmethod
    def heartbeat(self) -> dict[str, Any]:
        """State of this worker's subscription machinery, for health pages.

        Keys: ``backend`` (``"memory"`` or ``"redis"``), ``connected``, ``subscriptions``
        (local subscribers), ``last_message_at`` (ISO 8601 or ``None``), ``reconnects``,
        plus backend-specific extras.
        """
