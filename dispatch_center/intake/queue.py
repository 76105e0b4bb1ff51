"""The durable intake queue: an accepted payload is made durable before its 202, then
processed by this process's consumers and only then acknowledged.

With ``REDIS_URL`` the queue is a Redis stream read by a consumer group (``XADD`` on accept;
``XACK`` and ``XDEL`` once processed; a stopped consumer's pending entries are claimed by
another after :data:`CLAIM_IDLE_MS`). Without it, the queue is the ``intake`` table (rows
written by group commit, marked done once processed) plus an in-memory queue of this
process; rows still pending from before a restart are requeued at start. A crash between
processing and acknowledging means a redelivery, which the feed dedupe table and the orders'
unique index turn into "nothing new".

A payload whose processing fails is retried with backoff, then kept as a dead letter after
:data:`MAX_ATTEMPTS`; a failing batch is retried one payload at a time to find the one at
fault.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.center import Center
from dispatch_center.intake.errors import RateLimited
from dispatch_center.intake.group_commit import GroupCommit
from dispatch_center.intake.payloads import DeadLetter, ProcessStats, QueueItem
from dispatch_center.store import intake as intake_store
from feeds.base import PayloadError

log = logging.getLogger(__name__)

STREAM = "dc:intake"
GROUP = "ingest"
CLAIM_IDLE_MS = 60_000
PROCESS_BATCH = 200
MAX_ATTEMPTS = 5

#: Process a batch of queued payloads (raises when any of them fails).
Process = Callable[[Sequence[QueueItem]], Awaitable[None]]


class IntakeQueue:
    """The durable queue of one process and its consumers.

    Parameters
    ----------
    center
        The running center (its bus carries the stream; its database the ``intake`` table).
    process
        Processes a batch of payloads; called by the consumers.
    dead_letter
        Keeps a payload whose processing failed :data:`MAX_ATTEMPTS` times.
    stats
        Counts the failures.
    consumer_name
        This process's name in the stream's consumer group.
    workers
        Consumer tasks of this process.
    """

    def __init__(
        self,
        center: Center,
        *,
        process: Process,
        dead_letter: DeadLetter,
        stats: ProcessStats,
        consumer_name: str,
        workers: int = 2,
    ) -> None:
        self.center = center
        self.process = process
        self.dead_letter = dead_letter
        self.stats = stats
        self.consumer_name = consumer_name
        self.workers = workers
        self.size = center.settings.intake_queue_size
        self.redis_url = center.settings.redis_url
        # Without Redis: this process's accepted payloads, in the order they were accepted.
        self.pending: asyncio.Queue[QueueItem] = asyncio.Queue()
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        #: The consumer tasks (stream or queue consumers, and the stream's claim loop).
        self.consumers: list[asyncio.Task[None]] = []
        self._recovery: asyncio.Task[None] | None = None
        self._redis: Any = None
        self._stream_len: tuple[float, int] = (0.0, 0)
        self._recover_upto = 0
        self._intake_log: GroupCommit[QueueItem, int] = GroupCommit(self._write_intake)

    @property
    def backend(self) -> str:
        """``redis-streams`` or ``postgres-queue``."""
        return "redis-streams" if self.redis_url else "postgres-queue"

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the queue and start the consumers (and, without Redis, the recovery)."""
        if self.redis_url:
            # Only a stream-backed queue needs a client of its own (XLEN, XDEL).
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.redis_url)
            for n in range(self.workers):
                self.consumers.append(
                    asyncio.create_task(self._stream_consumer(n), name=f"ingest-{n}")
                )
            self.consumers.append(asyncio.create_task(self._claim_loop(), name="ingest-claim"))
        else:
            async with self.center.db.connection() as conn:
                self._recover_upto = await intake_store.intake_max_id(conn)
            for n in range(self.workers):
                self.consumers.append(
                    asyncio.create_task(self._queue_consumer(), name=f"ingest-{n}")
                )
            self._recovery = asyncio.create_task(self._recover(), name="ingest-recover")

    async def pause(self) -> None:
        """Stop consuming, keep accepting (tests: a consumer that died mid-stream)."""
        tasks = [*self.consumers, *([self._recovery] if self._recovery else [])]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.consumers.clear()
        self._recovery = None

    async def stop(self) -> None:
        """Stop the consumers; anything unfinished stays pending and is redone at start."""
        await self.pause()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    # -- accept ----------------------------------------------------------------------------
    async def check_room(self) -> None:
        """429 with ``Retry-After`` when the queue is full."""
        backlog = await self.backlog()
        if backlog >= self.size:
            raise RateLimited(
                f"the intake queue is full ({backlog} waiting); retry shortly", 2, queued=backlog
            )

    async def backlog(self) -> int:
        """Payloads accepted and not yet processed (this worker's view; the stream's length)."""
        if self._redis is None:
            return self.pending.qsize() + self.in_flight
        at, n = self._stream_len
        now = time.monotonic()
        if now - at > 0.2:
            n = int(await self._redis.xlen(STREAM))
            self._stream_len = (now, n)
        return n

    async def enqueue(self, item: QueueItem) -> int | str:
        """Make ``item`` durable and queue it; its id (stream entry or ``intake`` row)."""
        if self._redis is not None:
            fields = {
                "system": item.system,
                "content_type": item.content_type,
                "received_at": item.received_at.isoformat(),
                "payload": base64.b64encode(item.payload).decode(),
            }
            return await self.center.bus.stream_add(STREAM, fields)
        item.intake_id = await self._intake_log.submit(item)
        self.idle.clear()
        self.pending.put_nowait(item)
        return item.intake_id

    async def _write_intake(self, items: Sequence[QueueItem]) -> list[int]:
        """Make a group of accepted payloads durable in one transaction (group commit)."""
        async with self.center.db.connection() as conn, conn.transaction():
            return await intake_store.intake_insert_many(
                conn, [(i.system, i.received_at, i.content_type, i.payload) for i in items]
            )

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until everything queued in this process is processed (tests, benchmark)."""
        async with asyncio.timeout(timeout):
            while True:
                await self.idle.wait()
                if self.pending.empty() and self.in_flight == 0:
                    return
                await asyncio.sleep(0.01)

    # -- the table's consumers -------------------------------------------------------------
    async def _queue_consumer(self) -> None:
        while True:
            first = await self.pending.get()
            batch = [first]
            while len(batch) < PROCESS_BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            self.in_flight += len(batch)
            try:
                done = await self._process_guarded(batch)
                finished = [
                    (item.intake_id, error)
                    for item, error in done
                    if item.intake_id is not None and error != "retry"
                ]
                async with self.center.db.connection() as conn, conn.transaction():
                    await intake_store.intake_finish_many(conn, finished)
                for item, error in done:
                    if error == "retry":
                        await asyncio.sleep(min(30.0, 0.5 * 2**item.attempts))
                        self.pending.put_nowait(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # the rows stay pending; the next start redoes them
                log.exception("intake batch failed; left pending")
            finally:
                self.in_flight -= len(batch)
                if self.pending.empty() and self.in_flight == 0:
                    self.idle.set()

    async def _recover(self) -> None:
        """Process payloads accepted before a crash or restart (intake rows still pending)."""
        last = 0
        while True:
            async with self.center.db.connection() as conn:
                rows = await intake_store.intake_pending(conn, last, self._recover_upto, 500)
            if not rows:
                return
            for r in rows:
                last = max(last, int(r["id"]))
                self.idle.clear()
                self.pending.put_nowait(
                    QueueItem(
                        r["system"],
                        bytes(r["payload"]),
                        r["content_type"],
                        r["received_at"],
                        intake_id=int(r["id"]),
                    )
                )
            log.info("intake: %d payloads pending from before the start requeued", len(rows))

    # -- the stream's consumers ------------------------------------------------------------
    async def _stream_consumer(self, n: int) -> None:
        bus = self.center.bus
        name = f"{self.consumer_name}-{n}"
        while True:
            try:
                entries = await bus.stream_read_group(
                    STREAM, GROUP, name, count=PROCESS_BATCH, block_ms=1000
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("intake stream read failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            if entries:
                await self.process_entries(entries)

    async def _claim_loop(self) -> None:
        while True:
            await asyncio.sleep(CLAIM_IDLE_MS / 4000)
            try:
                await self.claim_stale(CLAIM_IDLE_MS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("intake reclaim failed: %s", exc)

    async def claim_stale(self, min_idle_ms: int) -> int:
        """Take over a dead consumer's pending entries and process them; how many."""
        entries = await self.center.bus.stream_claim_stale(
            STREAM, GROUP, f"{self.consumer_name}-claim", min_idle_ms, count=PROCESS_BATCH
        )
        if entries:
            log.info("intake: reclaimed %d entries of a stopped consumer", len(entries))
            await self.process_entries(entries)
        return len(entries)

    async def process_entries(self, entries: Sequence[tuple[str, dict[str, str]]]) -> None:
        """Process stream entries, then acknowledge (and delete) the finished ones."""
        batch = []
        for entry_id, f in entries:
            batch.append(
                QueueItem(
                    f.get("system", ""),
                    base64.b64decode(f.get("payload", "")),
                    f.get("content_type", ""),
                    datetime.fromisoformat(f["received_at"]),
                    stream_id=entry_id,
                )
            )
        self.in_flight += len(batch)
        try:
            done = await self._process_guarded(batch)
        finally:
            self.in_flight -= len(batch)
        ids = [i.stream_id for i, err in done if err != "retry" and i.stream_id]
        if ids:
            await self.center.bus.stream_ack(STREAM, GROUP, *ids)
            if self._redis is not None:
                await self._redis.xdel(STREAM, *ids)

    # -- failures --------------------------------------------------------------------------
    async def _process_guarded(self, batch: list[QueueItem]) -> list[tuple[QueueItem, str | None]]:
        try:
            await self.process(batch)
            return [(i, None) for i in batch]
        except asyncio.CancelledError:
            raise
        except Exception:
            if len(batch) > 1:  # find the one at fault: process one by one
                out: list[tuple[QueueItem, str | None]] = []
                for item in batch:
                    out.extend(await self._process_guarded([item]))
                return out
            item = batch[0]
            item.attempts += 1
            self.stats.errors += 1
            log.exception("processing %s payload failed (attempt %d)", item.system, item.attempts)
            if item.attempts < MAX_ATTEMPTS:
                return [(item, "retry")]
            exc = PayloadError("body", "processing failed repeatedly; see the server log")
            await self.dead_letter(
                item.system, item.payload, item.content_type, item.received_at, exc
            )
            return [(item, str(exc))]
