"""Choosing the bus backend by URL scheme: the one place that knows every backend.

:mod:`dispatch_center.bus.base` holds the contract alone; each backend is one module that
implements it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dispatch_center.bus.base import Bus
from dispatch_center.bus.memory import MemoryBus
from dispatch_center.bus.redis import RedisBus
from dispatch_center.bus.sentinel import SCHEMES as SENTINEL_SCHEMES


def bus_from_url(url: str | None) -> Bus:
    """Build the bus backend named by ``url``'s scheme (not connected yet).

    Parameters
    ----------
    url : str or None
        ``None``, ``""`` or ``"memory://"`` for the in-process bus; ``"redis://..."`` or
        ``"rediss://..."`` for Redis; ``"redis+sentinel://..."`` for Redis behind Sentinel.

    Returns
    -------
    Bus
        A backend; call ``await bus.connect()`` before use.

    Raises
    ------
    ValueError
        For any other scheme, naming it.

    Examples
    --------
    >>> type(bus_from_url(None)).__name__
    'MemoryBus'
    >>> type(bus_from_url("redis://127.0.0.1:6379/0")).__name__
    'RedisBus'
    >>> type(bus_from_url("redis+sentinel://127.0.0.1:26379/dispatch/0")).__name__
    'RedisBus'
    >>> bus_from_url("amqp://broker")
    Traceback (most recent call last):
    ...
    ValueError: unsupported bus URL scheme 'amqp' (use memory://, redis://, rediss:// or redis+sentinel://)
    """
    if not url:
        return MemoryBus()
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise ValueError("bus URL has no scheme (use memory:// or redis://host:port/db)")
    if scheme == "memory":
        return MemoryBus(url)
    if scheme in ("redis", "rediss", *SENTINEL_SCHEMES):
        return RedisBus(url)
    raise ValueError(
        f"unsupported bus URL scheme {scheme!r} (use memory://, redis://, rediss:// or redis+sentinel://)"
    )
