"""Message bus: wake-ups and fan-out for live updates; the change log in PostgreSQL is the truth.

Pick a backend with :func:`bus_from_url` (``memory://`` by default, ``redis://`` for
several workers). See :mod:`dispatch_center.bus.base` for the contract and
:mod:`dispatch_center.bus.factory` for the choice.
"""

from dispatch_center.bus.base import (
    Bus,
    BusClosed,
    BusError,
    Subscription,
    SubscriptionLost,
)
from dispatch_center.bus.factory import bus_from_url
from dispatch_center.bus.memory import MemoryBus

__all__ = [
    "Bus",
    "BusClosed",
    "BusError",
    "MemoryBus",
    "Subscription",
    "SubscriptionLost",
    "bus_from_url",
]
