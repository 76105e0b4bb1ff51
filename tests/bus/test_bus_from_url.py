"""Choosing the backend from the URL scheme."""

from __future__ import annotations

import pytest

from dispatch_center.bus import MemoryBus, bus_from_url
from dispatch_center.bus.redis import RedisBus


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        (None, MemoryBus),
        ("", MemoryBus),
        ("memory://", MemoryBus),
        ("redis://127.0.0.1:6379/0", RedisBus),
        ("redis://:secret@cache.internal:6380/2", RedisBus),
        ("rediss://cache.example.org:6380", RedisBus),
        ("REDIS://127.0.0.1", RedisBus),
    ],
)
def test_scheme_picks_backend(url: str | None, backend: type) -> None:
    bus = bus_from_url(url)
    assert type(bus) is backend
    if url:
        assert bus.url == url


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("amqp://broker:5672", "'amqp'"),
        ("postgresql://localhost/test", "'postgresql'"),
        ("kafka://k:9092", "'kafka'"),
        ("127.0.0.1:6379", "no scheme"),
    ],
)
def test_unknown_scheme_is_named_in_the_error(url: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        bus_from_url(url)
