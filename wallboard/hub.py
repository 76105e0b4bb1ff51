"""The per-process live hub: ONE bus subscriber that reads the change log forward and fans
each change out to this worker's WebSocket connections.

The bus message is only a wake-up ("something up to seq N happened"). On each wake-up
the hub reads ``change_log`` after the last seq it delivered, in batches, so a lost or
late wake-up (a Redis reconnect, an overflow) costs a moment, never a change: a timer
re-reads the log every ``poll_s`` seconds too. Several workers each run a hub against
the same shared log.

Each connection has an :class:`Outbox`: a bounded queue that coalesces position and
count updates (latest value per key) and marks itself overflowed when the client cannot
keep up; the connection is then closed with 4008 and the client resumes with ``since``.

Under load the hub reads and fans out at most once per ``tick_s`` (the first change after a
quiet spell goes out at once): a connection then gets one frame per tick, not one per
change, which is what keeps a hundred screens cheap when a thousand events a second arrive.
The deltas of one read are encoded once, and a ``?batch=1`` frame of them is built once and
sent as is by every connection that is exactly in step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from dispatch_center.bus.base import BusClosed, SubscriptionLost
from dispatch_center.center import CHANGES_CHANNEL, Center
from dispatch_center.store import changes as change_store
from wallboard.protocol import coalesce_key, delta

log = logging.getLogger(__name__)


class SharedFrames:
    """The deltas of one hub read, and their batched frames built once for every connection.

    Examples
    --------
    >>> items = [Pending(s, {}, f'{{"seq":{s}}}') for s in (4, 5)]
    >>> shared = SharedFrames(items)
    >>> shared.frames(500), shared.frames(500) is shared.frames(500)
    (['[{"seq":4},{"seq":5}]'], True)
    """

    def __init__(self, items: list[Pending]) -> None:
        self.items = items
        self.first = items[0].seq if items else 0
        self.last = items[-1].seq if items else 0
        self._frames: list[str] | None = None

    def frames(self, per_frame: int) -> list[str]:
        """JSON-array frames of at most ``per_frame`` deltas (built on first use)."""
        if self._frames is None:
            texts = [i.encoded() for i in self.items]
            self._frames = [
                "[" + ",".join(texts[i : i + per_frame]) + "]"
                for i in range(0, len(texts), per_frame)
            ]
        return self._frames


@dataclass
class Pending:
    """One delta waiting in an outbox; ``text`` is shared by every connection until merged.

    ``shared`` is the hub read it came from, while it still stands for that read unchanged
    (an outbox that merges into it, or holds a copy of it, has none).
    """

    seq: int
    msg: dict[str, Any]
    text: str | None
    key: tuple[str, str] | None = None
    merged: list[int] = field(default_factory=list)
    shared: SharedFrames | None = None

    def encoded(self) -> str:
        """The JSON text to send (built once, rebuilt only after a merge)."""
        if self.text is None:
            body = dict(self.msg, seq=self.seq)
            if self.merged:
                body["merged"] = list(self.merged)
            self.text = orjson.dumps(body).decode()
        return self.text


class Outbox:
    """A connection's bounded, coalescing queue of deltas.

    Examples
    --------
    >>> box = Outbox(limit=2)
    >>> key = ("unit.position", "U1")
    >>> box.offer(Pending(1, {"type": "unit.position", "id": "U1", "lon": 1}, None, key))
    True
    >>> box.offer(Pending(2, {"type": "unit.position", "id": "U1", "lon": 2}, None, key))
    True
    >>> [(p.seq, p.msg["lon"], p.merged) for p in box.drain()]
    [(1, 2, [2])]
    >>> all(box.offer(Pending(s, {"type": "order.created"}, "{}")) for s in (3, 4, 5))
    False
    >>> box.overflowed
    True
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[Pending] = deque()
        self.by_key: dict[tuple[str, str], Pending] = {}
        self.ready = asyncio.Event()
        self.overflowed = False
        self.registered_at_seq = 0
        # When the connection's current send began (monotonic), 0 while not sending: the
        # hub's watchdog stops a connection whose send has been stuck too long.
        self.sending_since = 0.0
        # Called once on overflow: the connection stops its writer, which may be blocked
        # on a full socket, and closes with 4008.
        self.on_overflow: Callable[[], Any] | None = None

    def offer(self, item: Pending) -> bool:
        """Queue ``item``; ``False`` (and overflowed) when the client is too far behind."""
        if self.overflowed:
            return False
        if item.key is not None:
            older = self.by_key.get(item.key)
            if older is not None:
                # The newer value takes the older one's place in the order; its own seq
                # is listed as merged so the client counts it as received.
                older.msg = item.msg
                older.merged.append(item.seq)
                older.text = None
                older.shared = None  # no longer what the hub read
                return True
        if len(self.items) >= self.limit:
            self.give_up()
            return False
        self.items.append(item)
        if item.key is not None:
            self.by_key[item.key] = item
        self.ready.set()
        return True

    def offer_all(self, items: list[Pending]) -> bool:
        """Queue deltas none of which coalesce, at once; ``False`` (and overflowed) when
        they would take the client past its bound.

        Examples
        --------
        >>> box = Outbox(limit=3)
        >>> box.offer_all([Pending(s, {}, "{}") for s in (1, 2)]), len(box.items)
        (True, 2)
        >>> box.offer_all([Pending(s, {}, "{}") for s in (3, 4)]), box.overflowed
        (False, True)
        """
        if self.overflowed:
            return False
        if len(self.items) + len(items) > self.limit:
            self.give_up()
            return False
        self.items.extend(items)
        self.ready.set()
        return True

    def give_up(self) -> None:
        """Mark the client as too slow (once) and stop its writer."""
        if self.overflowed:
            return
        self.overflowed = True
        self.ready.set()
        if self.on_overflow is not None:
            self.on_overflow()

    def drain(self) -> list[Pending]:
        """Everything queued, oldest first; the queue is empty afterwards."""
        out = list(self.items)
        self.items.clear()
        self.by_key.clear()
        self.ready.clear()
        return out

    async def take(self) -> list[Pending]:
        """Wait for deltas (or the hub's nudge, which brings none), then drain them.

        No timer per wait: the hub nudges every outbox about once a second instead, so a
        hundred screens at 25 frames a second do not each arm and cancel a timeout.
        """
        if not self.items and not self.overflowed:
            await self.ready.wait()
        return self.drain()


def pending_for(change: dict[str, Any]) -> Pending:
    """A change-log row as a queued delta (JSON encoded once)."""
    msg = delta(change)
    key = coalesce_key(msg["type"], msg.get("id"))
    text = orjson.dumps(msg).decode()
    return Pending(msg["seq"], msg, text, key)


class LiveHub:
    """Reads the change log forward for this process and fans out to the outboxes.

    Parameters
    ----------
    center : Center
        The running center (database and bus).
    max_queue : int
        Deltas one connection may have unsent before it is dropped as too slow.
    replay_window : int
        The longest ``since`` replay served; older resumes get a fresh snapshot.
    poll_s : float
        Re-read the log this often even without a wake-up (a lost wake-up is only late).
    tick_s : float
        Read and fan out at most this often: under load each connection gets one frame
        per tick instead of one per change. The first change after a quiet tick is not
        held back.

    Examples
    --------
    >>> hub = LiveHub(center)  # doctest: +SKIP
    >>> await hub.start()  # doctest: +SKIP
    """

    def __init__(
        self,
        center: Center,
        *,
        max_queue: int = 2000,
        replay_window: int = 10_000,
        poll_s: float = 2.0,
        batch: int = 1000,
        heartbeat_s: float = 5.0,
        send_timeout_s: float = 10.0,
        tick_s: float = 0.04,
    ) -> None:
        self.center = center
        self.tick_s = tick_s
        self._last_read = 0.0
        self.max_queue = max_queue
        self.replay_window = replay_window
        self.poll_s = poll_s
        self.batch = batch
        self.heartbeat_s = heartbeat_s
        self.send_timeout_s = send_timeout_s
        self.last_seq = 0
        self.outboxes: set[Outbox] = set()
        self._task: asyncio.Task[None] | None = None
        self._nudger: asyncio.Task[None] | None = None
        self._last_loop = 0.0
        self._last_delivery_at: datetime | None = None
        self._lost = 0
        self._errors = 0
        self._dropped_slow = 0
        self._delivered = 0
        self._last_error: str | None = None

    async def start(self) -> None:
        """Start at the newest committed seq and run the subscriber task."""
        async with self.center.db.connection() as conn:
            self.last_seq = await change_store.last_seq(conn)
        self._last_loop = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="wallboard-hub")
        self._nudger = asyncio.create_task(self._nudge_loop(), name="wallboard-nudge")

    async def stop(self) -> None:
        """Stop the subscriber and the nudge; connections end when the server shuts down."""
        for task in (self._task, self._nudger):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._nudger = None

    def nudge(self, now: float) -> None:
        """Wake every connection's writer once, so an idle one sends its heartbeat when
        due and notices a silent client; give up on a connection whose send has been
        stuck for more than ``send_timeout_s`` (the client stopped reading).
        """
        for box in list(self.outboxes):
            if box.overflowed:
                continue  # already being closed
            if box.sending_since and now - box.sending_since > self.send_timeout_s:
                self._dropped_slow += 1
                box.give_up()
            else:
                box.ready.set()

    async def _nudge_loop(self) -> None:
        # Its own task, not the bus loop's: heartbeats and the watchdog must go on while
        # the bus or the database is being retried.
        while True:
            await asyncio.sleep(min(1.0, self.heartbeat_s / 2))
            self.nudge(time.monotonic())

    def register(self) -> Outbox:
        """A new connection's outbox; it receives every change after ``last_seq`` from now."""
        box = Outbox(self.max_queue)
        box.registered_at_seq = self.last_seq
        self.outboxes.add(box)
        return box

    def unregister(self, box: Outbox) -> None:
        """Forget a closed connection."""
        self.outboxes.discard(box)

    def readiness_checks(self) -> dict[str, Any]:
        """``/readyz``: the hub is this worker's one bus listener; a dead one means stale walls."""
        beat = self.heartbeat()
        return {"wallboard_hub": beat, "wallboard": "ok" if beat["running"] else "down"}

    def metric_values(self) -> dict[str, float]:
        """``/metrics``: this worker's wall connections and the last seq it fanned out."""
        return {
            "wall_clients": len(self.outboxes),
            "wall_hub_seq": self.last_seq,
            "wall_dropped_slow_clients": self._dropped_slow,
        }

    def heartbeat(self) -> dict[str, Any]:
        """State of the hub for ``/readyz``: alive when its loop ran within a few polls."""
        age = time.monotonic() - self._last_loop if self._last_loop else None
        running = self._task is not None and not self._task.done()
        return {
            "running": running,
            "alive": running and age is not None and age < max(10.0, 5 * self.poll_s),
            "last_loop_age_s": round(age, 3) if age is not None else None,
            "last_seq": self.last_seq,
            "connections": len(self.outboxes),
            "delivered": self._delivered,
            "last_delivery_at": self._last_delivery_at.isoformat()
            if self._last_delivery_at
            else None,
            "subscription_lost": self._lost,
            "dropped_slow_clients": self._dropped_slow,
            "errors": self._errors,
            "last_error": self._last_error,
        }

    async def _run(self) -> None:
        bus = self.center.bus
        while True:
            try:
                async with bus.subscribe(CHANGES_CHANNEL, max_queue=10_000) as sub:
                    # Subscribed first, then read: nothing committed in between is missed.
                    await self.catch_up()
                    while True:
                        self._last_loop = time.monotonic()
                        msg = await sub.get(timeout=self.poll_s)
                        newest = _seq_of(msg)
                        # Batch: every wake-up already queued is served by one read.
                        while msg is not None:
                            msg = await sub.get(timeout=0)
                            newest = max(newest, _seq_of(msg))
                        if newest == 0 or newest > self.last_seq:
                            # One read per tick: what arrives meanwhile joins this read,
                            # so a busy second costs each connection ~1/tick_s frames.
                            wait = self._last_read + self.tick_s - time.monotonic()
                            if wait > 0:
                                await asyncio.sleep(wait)
                            self._last_read = time.monotonic()
                            await self.catch_up()
            except asyncio.CancelledError:
                raise
            except BusClosed:
                return
            except SubscriptionLost as exc:
                self._lost += 1
                log.warning("wallboard hub: subscription lost (%s); resyncing from the log", exc)
            except Exception as exc:  # the database or bus hiccuped: retry, stay visible
                self._errors += 1
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.warning("wallboard hub: %s; retrying", self._last_error)
                await asyncio.sleep(min(self.poll_s, 1.0))

    async def catch_up(self) -> int:
        """Read and fan out every change after ``last_seq``; returns how many."""
        if not self.outboxes:
            # Nobody is watching from this worker: move the mark, read nothing. A client
            # that connects later starts from a snapshot and fills any hole from the log.
            async with self.center.db.connection() as conn:
                newest = await change_store.last_seq(conn)
            if not self.outboxes:  # still nobody (no await since the check)
                self.last_seq = max(self.last_seq, newest)
                return 0
        total = 0
        while True:
            async with self.center.db.connection() as conn:
                rows = await change_store.changes_since(conn, self.last_seq, self.batch)
            if not rows:
                return total
            items = [pending_for(r) for r in rows]
            self.fan_out(items)
            total += len(items)
            if len(rows) < self.batch:
                return total

    def fan_out(self, items: list[Pending]) -> None:
        """Offer ``items`` (consecutive seqs) to every outbox; no await in here, so a
        connection registering meanwhile sees all or none of them.
        """
        shared = SharedFrames(items)
        for item in items:
            item.shared = shared
        # Most reads coalesce nothing (orders, feed batches): queued in one step per
        # connection instead of one offer per delta per connection.
        plain = all(item.key is None for item in items)
        for box in list(self.outboxes):
            if box.overflowed:
                continue  # already being closed
            if plain:
                if not box.offer_all(items):
                    self._dropped_slow += 1
                continue
            for item in items:
                # A coalescible delta gets a copy per outbox: merging mutates it (and then
                # unlinks it from the shared read). The rest are never mutated.
                one = (
                    item
                    if item.key is None
                    else Pending(item.seq, item.msg, item.text, item.key, shared=shared)
                )
                if not box.offer(one):
                    self._dropped_slow += 1
                    break
        self.last_seq = items[-1].seq
        self._delivered += len(items)
        self._last_delivery_at = datetime.now(UTC)


def _seq_of(msg: dict[str, Any] | None) -> int:
    if not msg:
        return 0
    try:
        return int(msg.get("seq") or 0)
    except (TypeError, ValueError):
        return 0
