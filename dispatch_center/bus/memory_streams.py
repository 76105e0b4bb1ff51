"""In-process streams with consumer groups, behaving like the Redis Streams subset we use.

Entries get Redis-style ids (``"<unix ms>-<n>"``, strictly increasing); each group keeps
the last id it handed out and a pending list (who holds an entry, since when, how many
deliveries), so an entry held by a consumer that died can be claimed by another.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field

from dispatch_center.bus.base import StreamEntry

__all__ = ["MemoryStreams", "parse_stream_id"]

_Id = tuple[int, int]


def parse_stream_id(entry_id: str) -> _Id:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``, for ordering ids.

    Examples
    --------
    >>> parse_stream_id("1700000000000-3")
    (1700000000000, 3)
    >>> parse_stream_id("5") < parse_stream_id("5-1")
    True
    """
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class _Pending:
    consumer: str
    delivered_at: float  # time.monotonic()
    deliveries: int = 1


@dataclass
class _Group:
    last_delivered: _Id = (0, 0)
    pending: dict[str, _Pending] = field(default_factory=dict)


@dataclass
class _Stream:
    keys: list[_Id] = field(default_factory=list)  # sorted, parallel to ids
    ids: list[str] = field(default_factory=list)
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    last_id: _Id = (0, 0)
    groups: dict[str, _Group] = field(default_factory=dict)
    added: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryStreams:
    """Streams held in this process (lost on restart: use Redis for durable intake).

    Examples
    --------
    >>> import asyncio
    >>> async def demo():
    ...     streams = MemoryStreams()
    ...     await streams.add("intake", {"n": "1"})
    ...     [(entry_id, fields)] = await streams.read_group("intake", "g", "c1")
    ...     return fields, await streams.ack("intake", "g", entry_id)
    >>> asyncio.run(demo())
    ({'n': '1'}, 1)
    """

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}

    def _stream(self, name: str) -> _Stream:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream()
        return stream

    async def add(self, name: str, fields: dict[str, str], maxlen: int | None = None) -> str:
        """Append ``fields``; returns the new entry id."""
        stream = self._stream(name)
        now_ms = int(time.time() * 1000)
        last_ms, last_seq = stream.last_id
        # Same rule as Redis: ids never go backwards, even if the wall clock does.
        key = (now_ms, 0) if now_ms > last_ms else (last_ms, last_seq + 1)
        entry_id = f"{key[0]}-{key[1]}"
        stream.last_id = key
        stream.keys.append(key)
        stream.ids.append(entry_id)
        stream.entries[entry_id] = {str(k): str(v) for k, v in fields.items()}
        if maxlen is not None and len(stream.ids) > maxlen:
            excess = len(stream.ids) - maxlen
            for old in stream.ids[:excess]:
                del stream.entries[old]
            del stream.ids[:excess]
            del stream.keys[:excess]
        stream.added.set()
        stream.added = asyncio.Event()
        return entry_id

    def _take_new(
        self, stream: _Stream, group: _Group, consumer: str, count: int
    ) -> list[StreamEntry]:
        start = bisect.bisect_right(stream.keys, group.last_delivered)
        chosen = stream.ids[start : start + count]
        now = time.monotonic()
        for entry_id in chosen:
            group.pending[entry_id] = _Pending(consumer, now)
        if chosen:
            group.last_delivered = parse_stream_id(chosen[-1])
        return [(entry_id, dict(stream.entries[entry_id])) for entry_id in chosen]

    async def read_group(
        self,
        name: str,
        group_name: str,
        consumer: str,
        count: int = 10,
        block_ms: int | None = None,
    ) -> list[StreamEntry]:
        """New entries for ``group_name`` (created at the stream's start when missing)."""
        stream = self._stream(name)
        group = stream.groups.setdefault(group_name, _Group())
        deadline = None if not block_ms else time.monotonic() + block_ms / 1000
        while True:
            entries = self._take_new(stream, group, consumer, count)
            if entries or block_ms is None:
                return entries
            waiter = stream.added
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return []
            try:
                async with asyncio.timeout(remaining):
                    await waiter.wait()
            except TimeoutError:
                return []

    async def ack(self, name: str, group_name: str, *ids: str) -> int:
        """Drop ``ids`` from the group's pending list; returns how many were pending."""
        stream = self._streams.get(name)
        group = stream.groups.get(group_name) if stream else None
        if group is None:
            return 0
        return sum(1 for entry_id in ids if group.pending.pop(entry_id, None) is not None)

    async def claim_stale(
        self, name: str, group_name: str, consumer: str, min_idle_ms: int, count: int = 10
    ) -> list[StreamEntry]:
        """Move entries idle for ``min_idle_ms`` or more to ``consumer`` and return them."""
        stream = self._streams.get(name)
        group = stream.groups.get(group_name) if stream else None
        if stream is None or group is None:
            return []
        now = time.monotonic()
        claimed: list[StreamEntry] = []
        for entry_id in sorted(group.pending, key=parse_stream_id):
            if len(claimed) >= count:
                break
            pending = group.pending[entry_id]
            if (now - pending.delivered_at) * 1000 < min_idle_ms:
                continue
            fields = stream.entries.get(entry_id)
            if fields is None:  # trimmed away while pending: Redis 7 forgets it too
                del group.pending[entry_id]
                continue
            pending.consumer = consumer
            pending.delivered_at = now
            pending.deliveries += 1
            claimed.append((entry_id, dict(fields)))
        return claimed
