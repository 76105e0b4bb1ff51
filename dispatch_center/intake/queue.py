"""The durable intake queue: an accepted payload is committed to PostgreSQL before its
202, processed by this process's consumers, and only then marked done.

The ``intake`` table is the queue with or without ``REDIS_URL``: Redis keeps nothing on
disk in every deployment we test, so an ``XADD`` is not "accepted". Each row is claimed by
the worker that accepted it (group commit: one transaction for everyone who arrived
during the previous flush), which processes it from memory with the payload already
normalized. A sweeper per worker keeps the worker's heartbeat (``intake_workers``) and
claims rows nobody is processing: released at a clean stop, from before a restart, or of
a worker whose heartbeat ran out (``kill -9``, a lost host) after
``DISPATCH_INTAKE_LEASE_S``. A row processed twice (a takeover of a worker that was only
slow) creates nothing new: the feed dedupe table and the orders' unique index on source +
source id make redelivery a no-op.

No error of a dependency stops a consumer: a batch that meets the database down is kept,
retried with backoff and finished once the database answers; until then ``failing``
names the consumers that cannot work, and ``/readyz`` says the intake is down. A payload
whose processing itself fails is retried with backoff, then kept as a dead letter after
:data:`MAX_ATTEMPTS`; a failing batch is retried one payload at a time to find the one at
fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dispatch_center.center import Center, unavailable
from dispatch_center.intake.errors import RateLimited
from dispatch_center.intake.group_commit import GroupCommit
from dispatch_center.intake.payloads import DeadLetter, ProcessStats, QueueItem
from dispatch_center.store import intake as intake_store
from feeds.base import PayloadError

log = logging.getLogger(__name__)

T = TypeVar("T")

PROCESS_BATCH = 200
MAX_ATTEMPTS = 5
#: Seconds between two sweeps (heartbeat, takeover of orphaned rows).
SWEEP_S = 1.0
#: The longest wait between two tries while a dependency is down.
MAX_BACKOFF_S = 5.0

#: Process a batch of queued payloads (raises when any of them fails).
Process = Callable[[Sequence[QueueItem]], Awaitable[None]]


class IntakeQueue:
    """The durable queue of one process and its consumers.

    Parameters
    ----------
    center
        The running center (its database holds the ``intake`` table).
    process
        Processes a batch of payloads; called by the consumers.
    dead_letter
        Keeps a payload whose processing failed :data:`MAX_ATTEMPTS` times.
    stats
        Counts the failures.
    consumer_name
        This process's name on its claims and heartbeat (unique per start).
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
        self.lease_s = center.settings.intake_lease_s
        # This process's claimed payloads, in the order they were accepted or claimed.
        self.pending: asyncio.Queue[QueueItem] = asyncio.Queue()
        self.in_flight = 0
        self.retrying = 0
        self.idle = asyncio.Event()
        self.idle.set()
        #: Ids of the rows this process holds in memory (queued, in flight or retrying).
        self.held: set[int] = set()
        #: The consumer tasks and the sweeper.
        self.consumers: list[asyncio.Task[None]] = []
        #: Task name → the kind of error that keeps it from working (cleared on its next
        #: success). Only the kind: ``/readyz`` is public, the log has the whole message.
        self.failing: dict[str, str] = {}
        self._intake_log: GroupCommit[QueueItem, int] = GroupCommit(self._write_intake)

    @property
    def backend(self) -> str:
        """Where accepted payloads are kept: always ``postgres-queue``."""
        return "postgres-queue"

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the consumers and the sweeper (which also takes over what is pending)."""
        for n in range(self.workers):
            self.consumers.append(
                asyncio.create_task(self._queue_consumer(f"ingest-{n}"), name=f"ingest-{n}")
            )
        self.consumers.append(asyncio.create_task(self._sweeper(), name="ingest-sweep"))

    async def pause(self) -> None:
        """Stop consuming, keep accepting (tests: consumers that died)."""
        tasks = list(self.consumers)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.consumers.clear()
        self.failing.clear()

    async def stop(self) -> None:
        """Stop the consumers and release this process's unfinished rows, so another
        worker (or the next start) takes them over at once.
        """
        await self.pause()
        try:
            async with self.center.db.connection() as conn:
                released = await intake_store.intake_release(conn, self.consumer_name)
            if released:
                log.info("intake: %d unfinished payloads released at stop", released)
        except Exception as exc:  # the database is gone: they are taken over after a lease
            log.warning("intake: claims not released at stop: %s", exc)

    # -- accept ----------------------------------------------------------------------------
    async def check_room(self) -> None:
        """429 with ``Retry-After`` when this process's queue is full."""
        backlog = await self.backlog()
        if backlog >= self.size:
            raise RateLimited(
                f"the intake queue is full ({backlog} waiting); retry shortly", 2, queued=backlog
            )

    async def backlog(self) -> int:
        """Payloads this process accepted or claimed and has not processed yet."""
        return self.pending.qsize() + self.in_flight + self.retrying

    async def enqueue(self, item: QueueItem) -> int:
        """Commit ``item`` (claimed by this process) and queue it; its ``intake`` row id."""
        item.intake_id = await self._intake_log.submit(item)
        self._queue(item)
        return item.intake_id

    def _queue(self, item: QueueItem) -> None:
        if item.intake_id is not None:
            self.held.add(item.intake_id)
        self.idle.clear()
        self.pending.put_nowait(item)

    async def _write_intake(self, items: Sequence[QueueItem]) -> list[int]:
        """Make a group of accepted payloads durable in one transaction (group commit)."""
        async with self.center.db.connection() as conn, conn.transaction():
            return await intake_store.intake_insert_many(
                conn,
                [(i.system, i.received_at, i.content_type, i.payload) for i in items],
                self.consumer_name,
            )

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until everything queued in this process is processed (tests, benchmark)."""
        async with asyncio.timeout(timeout):
            while True:
                await self.idle.wait()
                if self.is_idle():
                    return
                await asyncio.sleep(0.01)

    def is_idle(self) -> bool:
        """Nothing queued, in flight or waiting for a retry in this process."""
        return self.pending.empty() and self.in_flight == 0 and self.retrying == 0

    # -- health ----------------------------------------------------------------------------
    def _failed(self, task: str, exc: BaseException) -> None:
        if task not in self.failing:  # logged once per outage, not once per try
            log.error(
                "intake %s cannot work (retrying with backoff): %s: %s",
                task,
                type(exc).__name__,
                exc,
            )
        self.failing[task] = unavailable(exc) or type(exc).__name__

    def _recovered(self, task: str) -> None:
        if self.failing.pop(task, None) is not None:
            log.warning("intake %s works again", task)

    # -- consumers -------------------------------------------------------------------------
    async def _queue_consumer(self, name: str) -> None:
        while True:
            first = await self.pending.get()
            batch = [first]
            while len(batch) < PROCESS_BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            self.in_flight += len(batch)
            try:
                await self._run_batch(name, batch)
            finally:
                self.in_flight -= len(batch)
                if self.is_idle():
                    self.idle.set()

    async def _run_batch(self, name: str, batch: list[QueueItem]) -> None:
        """Process a batch and mark it done, however long the database is away."""
        done = await self._until_it_works(name, lambda: self._process_guarded(batch))
        finished = [
            (item.intake_id, error)
            for item, error in done
            if item.intake_id is not None and error != "retry"
        ]

        async def finish() -> None:
            async with self.center.db.connection() as conn, conn.transaction():
                await intake_store.intake_finish_many(conn, finished)

        await self._until_it_works(name, finish)
        for item, error in done:
            if error == "retry":
                self._retry_later(item, min(30.0, 0.5 * 2**item.attempts))
            elif item.intake_id is not None:
                self.held.discard(item.intake_id)

    async def _until_it_works(self, name: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` until it succeeds; any failure is logged, backed off and retried.

        Failures of a payload itself are handled inside ``work`` (retries, dead
        letters); what reaches here is the database or the bus being away, or a bug:
        neither may end the consumer.
        """
        delay = 0.2
        while True:
            try:
                result = await work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(name, exc)
                if unavailable(exc) is None:
                    log.exception("intake %s failed", name)
                await asyncio.sleep(delay)
                delay = min(MAX_BACKOFF_S, delay * 2)
                continue
            self._recovered(name)
            return result

    def _retry_later(self, item: QueueItem, delay: float) -> None:
        self.retrying += 1

        def again() -> None:
            self.retrying -= 1
            self._queue(item)

        asyncio.get_running_loop().call_later(delay, again)

    async def _sweeper(self) -> None:
        """Keep this worker's heartbeat; claim rows nobody is processing; never die."""
        delay = SWEEP_S
        sweeps = 0
        while True:
            try:
                # Its own lost rows are rare (a commit whose answer never came back):
                # looked for twice a lease, not every second.
                own = sweeps % max(1, int(self.lease_s / 2 / SWEEP_S)) == 0
                claimed = await self.sweep(own=own)
                self._recovered("ingest-sweep")
                delay = 0.0 if claimed >= PROCESS_BATCH else SWEEP_S
                sweeps += 1
                if sweeps % 3600 == 0:
                    async with self.center.db.connection() as conn:
                        await intake_store.intake_prune_workers(conn, 86_400)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed("ingest-sweep", exc)
                if unavailable(exc) is None:
                    log.exception("intake sweep failed")
                delay = min(MAX_BACKOFF_S, max(SWEEP_S, delay * 2))
            await asyncio.sleep(delay)

    async def sweep(self, *, own: bool = False) -> int:
        """Renew this worker's heartbeat and claim what nobody is processing (while there
        is room here); how many payloads were claimed.

        ``own``: also take back this worker's own rows older than a lease that it does
        not hold in memory (accepted, but the commit's answer was lost on the way back).
        """
        room = min(PROCESS_BATCH, self.size - await self.backlog())
        async with self.center.db.connection() as conn:
            await intake_store.intake_heartbeat(conn, self.consumer_name, self.lease_s)
            if room <= 0:
                return 0
            async with conn.transaction():
                rows = await intake_store.intake_claim(conn, self.consumer_name, room)
            if own:
                stale = await intake_store.intake_own_stale(conn, self.consumer_name, self.lease_s)
                lost = sorted(set(stale) - self.held)[:room]
                if lost:
                    rows += await intake_store.intake_claim_ids(conn, self.consumer_name, lost)
        fresh = [r for r in rows if int(r["id"]) not in self.held]
        for r in fresh:
            self._queue(
                QueueItem(
                    r["system"],
                    bytes(r["payload"]),
                    r["content_type"],
                    r["received_at"],
                    intake_id=int(r["id"]),
                )
            )
        if fresh:
            log.info("intake: took over %d payloads nobody was processing", len(fresh))
        return len(fresh)

    # -- failures --------------------------------------------------------------------------
    async def _process_guarded(self, batch: list[QueueItem]) -> list[tuple[QueueItem, str | None]]:
        try:
            await self.process(batch)
            return [(i, None) for i in batch]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if unavailable(exc) is not None:  # not the payload's fault: retry the batch
                raise
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
            why = PayloadError("body", "processing failed repeatedly; see the server log")
            await self.dead_letter(
                item.system, item.payload, item.content_type, item.received_at, why
            )
            return [(item, str(why))]
