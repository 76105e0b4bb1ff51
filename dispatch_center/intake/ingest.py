"""Ingest: every outside payload arrives here, is checked, made durable, then processed once.

Accepting (the HTTP answer) and processing are separate:

1. **Accept** (:meth:`Ingest.accept`): the source authenticates and its size and rate limits
   apply (:mod:`.sources`); the payload is normalized (pure) so a bad one is answered 422
   naming the field and kept as a dead letter. A good payload is made durable *before* the
   202 (:mod:`.queue`: a row of the ``intake`` table, committed). A full queue answers 429
   with ``Retry-After``; nothing is ever dropped silently.
2. **Process** (:mod:`.processing`, run by the queue's consumers in batches): events, live
   layers and change log in one transaction, then orders from the drafts, then mode
   triggers. Only then is the entry acknowledged, so a crash in between means a
   redelivery, which the dedupe table and the orders' unique index turn into "nothing
   new": exactly-once in effect.

The channels, the systems' after-work hooks and prechecks, and the live layers are handed
in by whoever starts the intake (:mod:`.runtime`); this module knows none of them.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.intake.errors import BadPayload, bad_payload
from dispatch_center.intake.layers import LiveLayers
from dispatch_center.intake.payloads import (
    ChannelSource,
    Hook,
    Precheck,
    ProcessStats,
    QueueItem,
    Row,
    payload_bytes,
)
from dispatch_center.intake.processing import Processor
from dispatch_center.intake.queue import IntakeQueue
from dispatch_center.intake.sources import Sources
from dispatch_center.store import intake as intake_store
from feeds.base import Normalized, OrderDraft, PayloadError
from feeds.registry import Catalogue
from feeds.runner import FeedRunner, Payload

# Sources that hold a key but post through their own route (Open311 answers synchronously).
KEY_ONLY_SOURCES = ("open311",)

# What accepting one payload added to its answer (the intake id, a dead letter's id).
_accepted: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "ingest_accepted", default=None
)
# Set while an admin replays a dead letter: a payload still bad keeps its one letter.
_replaying: contextvars.ContextVar[bool] = contextvars.ContextVar("ingest_replaying", default=False)


class Ingest:
    """The intake of one process: its sources, durable queue, processing and feed runner.

    Parameters
    ----------
    center
        The running center.
    catalogue
        The connected systems (all of them by default).
    channels
        The intake channels that are not catalogue systems, by name.
    hooks
        A system's after-work once its payload's orders exist, by system.
    prechecks
        A system's check of a payload against what the center holds, before the 202.
    layers
        This process's live layers, kept current by processing (None: none are kept).
    workers
        Consumer tasks of this process.
    """

    def __init__(
        self,
        center: Center,
        catalogue: Catalogue | None = None,
        *,
        channels: Mapping[str, ChannelSource] | None = None,
        hooks: Mapping[str, Hook] | None = None,
        prechecks: Mapping[str, Precheck] | None = None,
        layers: LiveLayers | None = None,
        workers: int = 2,
    ) -> None:
        self.center = center
        self.catalogue = catalogue or Catalogue.default()
        self.channels = dict(channels or {})
        self.prechecks = dict(prechecks or {})
        self.stats = ProcessStats()
        self.sources = Sources()
        self.consumer_name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.processor = Processor(
            center,
            self.catalogue,
            channels=self.channels,
            hooks=dict(hooks or {}),
            layers=layers,
            stats=self.stats,
            dead_letter=self.dead_letter,
        )
        self.queue = IntakeQueue(
            center,
            process=self.processor.process_batch,
            dead_letter=self.dead_letter,
            stats=self.stats,
            consumer_name=self.consumer_name,
            workers=workers,
        )
        self.runner = FeedRunner(self.catalogue.adapters, self)
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Seed the sources, open the queue and start the consumers."""
        self.loop = asyncio.get_running_loop()
        await self.sources.seed(self.center, self.all_sources())
        await self.queue.start()

    async def pause(self) -> None:
        """Stop consuming, keep accepting (tests: consumers that died)."""
        await self.queue.pause()

    async def stop(self) -> None:
        """Stop the consumers; anything unfinished stays pending and is redone at start."""
        await self.queue.stop()

    # A deadline for tests and the benchmark; processing itself never waits on it.
    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until everything queued in this process is processed (tests, benchmark)."""
        await self.queue.drain(timeout)

    def all_sources(self) -> list[str]:
        """Catalogue systems and intake channels that authenticate as sources."""
        return [*self.catalogue, *self.channels, *KEY_ONLY_SOURCES]

    # -- accept ----------------------------------------------------------------------------
    def authenticate(
        self,
        system: str,
        headers: Mapping[str, str],
        body: bytes,
        principal: Principal | None,
        staff: frozenset[Role] = frozenset(),
    ) -> str:
        """Check the source's credentials; how it authenticated (see
        :meth:`~dispatch_center.intake.sources.Sources.authenticate`).
        """
        return self.sources.authenticate(system, headers, body, principal, staff)

    def check_limits(self, system: str, size: int) -> None:
        """Size (413) and rate (429) limits of the source."""
        self.sources.check_limits(system, size)

    async def accept(
        self,
        system: str,
        payload: bytes,
        content_type: str = "",
        *,
        received_at: datetime | None = None,
        replay: bool = False,
    ) -> dict[str, Any]:
        """Validate, make durable, queue; the 202 body. Raises BadPayload / RateLimited.

        ``replay`` (an admin replaying a dead letter): a payload still bad is refused
        without a second dead letter.
        """
        await self.queue.check_room()
        token = _accepted.set({})
        replay_token = _replaying.set(replay)
        try:
            if system in self.catalogue:
                check = self.prechecks.get(system)
                if check is not None:
                    try:
                        await check(self.center, payload)
                    except PayloadError as exc:
                        at = received_at or self.center.now()
                        raise await self.refuse(system, payload, content_type, exc, at) from exc
                try:
                    await self.runner.record_arrival(system, payload)
                except PayloadError as exc:
                    got = _accepted.get() or {}
                    raise bad_payload(system, exc, got.get("dead_letter_id")) from exc
            else:
                channel = self.channels[system]
                at = received_at or self.center.now()
                try:
                    items = channel.validate(payload, at)
                except PayloadError as exc:
                    raise await self.refuse(system, payload, content_type, exc, at) from exc
                await self._enqueue(QueueItem(system, payload, content_type, at, items=items))
            got = _accepted.get() or {}
        finally:
            _accepted.reset(token)
            _replaying.reset(replay_token)
        return {"accepted": True, "system": system, **got}

    # The runner's Sink: a good payload is queued durably, a bad one kept as a dead letter.
    async def deliver(
        self, system: str, payload: Payload, items: Normalized, received_at: datetime
    ) -> None:
        """Queue a payload the runner normalized (durable before this returns)."""
        await self._enqueue(QueueItem(system, payload_bytes(payload), "", received_at, items=items))

    async def reject(
        self, system: str, payload: Payload, error: PayloadError, received_at: datetime
    ) -> None:
        """Keep a payload the adapter could not understand."""
        await self.dead_letter(system, payload_bytes(payload), "", received_at, error)

    async def _enqueue(self, item: QueueItem) -> None:
        got = _accepted.get()
        intake_id = await self.queue.enqueue(item)
        if got is not None:
            got["intake_id"] = intake_id

    # -- refuse ----------------------------------------------------------------------------
    async def dead_letter(
        self, system: str, payload: bytes, content_type: str, at: datetime, exc: PayloadError
    ) -> int | None:
        """Keep a payload that cannot be understood; the dead letter's id.

        None while an admin replays a dead letter: the payload keeps its one letter.
        """
        if _replaying.get():
            return None
        async with self.center.db.connection() as conn:
            dead = await intake_store.dead_letter_insert(
                conn, system, at, content_type, payload, str(exc), exc.field
            )
        got = _accepted.get()
        if got is not None:
            got["dead_letter_id"] = dead
        self.stats.dead += 1
        return dead

    async def refuse(
        self,
        system: str,
        payload: bytes,
        content_type: str,
        exc: PayloadError,
        at: datetime | None = None,
    ) -> BadPayload:
        """Keep a payload refused before the queue as a dead letter; the 422 to raise.

        For routes that parse a payload themselves before accepting it (CAP answers with
        the alert's id), so the answer names the letter like any other refusal.
        """
        dead = await self.dead_letter(system, payload, content_type, at or self.center.now(), exc)
        return bad_payload(system, exc, dead)

    # -- orders ----------------------------------------------------------------------------
    async def create_order(self, system: str, draft: OrderDraft) -> Row | None:
        """Make the order of a draft (idempotent on source + source_id); None if refused."""
        return await self.processor.create_order(system, draft)


__all__ = ["KEY_ONLY_SOURCES", "Ingest"]
