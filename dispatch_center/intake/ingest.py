"""Ingest: every outside payload arrives here, is checked, made durable, then processed once.

Accepting (the HTTP answer) and processing are separate:

1. **Accept**: the source authenticates (its API key in ``X-Api-Key``, an HMAC-SHA256 of the
   raw body in ``X-Signature: sha256=<hex>``, or an admin's bearer token); its size limit
   (413) and token-bucket rate limit (429 + ``Retry-After``) apply; the payload is
   normalized (pure) so a bad one is answered 422 naming the field and kept as a dead letter.
   A good payload is made durable *before* the 202: with ``REDIS_URL`` an ``XADD`` to the
   intake stream (consumer group), without it a row in the ``intake`` table. A full queue
   answers 429 with ``Retry-After``; nothing is ever dropped silently.
2. **Process** (a consumer task, in batches): normalize → :func:`feeds.rules.apply_rules` →
   one transaction storing the new events (deduplicated on (system, source_id) through
   ``feed_dedupe``), the live layer state and one change-log row per system → orders from the
   drafts through :func:`dispatch_center.orders.service.create_order` (idempotent on
   source + source_id) → mode triggers. Only then is the entry acknowledged (``XACK`` / the
   intake row marked done). A crash in between means a redelivery, which the dedupe table and
   the orders' unique index turn into "nothing new": exactly-once in effect.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import dataclasses
import hashlib
import hmac
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Invalid, ServiceError, Unauthorized
from dispatch_center.intake.group_commit import GroupCommit
from dispatch_center.models import OrderCreate
from dispatch_center.modeswitch import service as modes
from dispatch_center.orders import service as order_service
from dispatch_center.store import changes, feed_events
from dispatch_center.store import channels as channel_store
from dispatch_center.store import intake as intake_store
from dispatch_center.store.changes import Change
from feeds.base import FeedEvent, Layer, Normalized, OrderDraft, PayloadError
from feeds.registry import Catalogue
from feeds.rules import TriggerInput, apply_rules
from feeds.runner import FeedRunner, Payload

log = logging.getLogger(__name__)

STREAM = "dc:intake"
GROUP = "ingest"
CLAIM_IDLE_MS = 60_000
PROCESS_BATCH = 200
# Sources that hold a key but post through their own route (Open311 answers synchronously).
KEY_ONLY_SOURCES = ("open311",)
MAX_ATTEMPTS = 5
# Payloads decoded between two yields to the event loop while processing a batch.
YIELD_EVERY = 8
# The most events one feed.event change lists (a batch of more makes several changes).
CHANGE_EVENTS = 100
# Layers whose entries are "the current value of a thing" (a gauge, a camera, a crowd count):
# the live layer keeps one entry per thing, keyed by these values.
STATE_KEYS = (
    "station_code",
    "scenic_code",
    "camera_code",
    "point_code",
    "chain_key",
    "site_code",
    "unit_code",
)

# A field unit's position report: one change per unit, which the wall's outbox may coalesce.
MOVE = "unit.position"

Row = dict[str, Any]


class TooLarge(ServiceError):
    """The payload is over the source's size limit."""

    status = 413
    code = "payload_too_large"


class RateLimited(ServiceError):
    """The source sends faster than its limit, or the intake queue is full."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class BadPayload(ServiceError):
    """The payload cannot be understood; it is kept as a dead letter."""

    status = 422
    code = "invalid_payload"


@dataclass
class TokenBucket:
    """``rate`` tokens a second up to ``burst``; each payload takes one.

    Examples
    --------
    >>> b = TokenBucket(rate=1.0, burst=2, tokens=2.0, updated=0.0)
    >>> b.take(0.0), b.take(0.0), round(b.take(0.0), 2)
    (0.0, 0.0, 1.0)
    """

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else 3600.0


@dataclass
class Source:
    """One source's credentials and limits (the ``feed_sources`` row)."""

    system: str
    key_hash: str | None
    hmac_secret: str | None
    rate_per_s: float
    burst: int
    max_bytes: int
    bucket: TokenBucket | None = None


def key_hash(key: str) -> str:
    """How an API key is stored (SHA-256 hex; keys are long random strings, not passwords).

    Examples
    --------
    >>> key_hash("k")[:12]
    '8254c329a928'
    """
    return hashlib.sha256(key.encode()).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` header value for ``body``.

    Examples
    --------
    >>> sign("s", b"{}")[:14]
    'sha256=143ca8d'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Decoded:
    """What a channel decoder made of a payload, plus work to do after the orders exist."""

    items: Normalized
    after: Callable[[list[tuple[OrderDraft, Row | None]]], Awaitable[None]] | None = None


Validate = Callable[[bytes, datetime], Normalized | None]
Decode = Callable[[Center, bytes, datetime], Awaitable[Decoded]]
Hook = Callable[[Center, bytes, Normalized, list[tuple[OrderDraft, Row | None]]], Awaitable[None]]
# A check of a catalogue payload against what the center holds, run before the 202 (the
# adapters are pure and cannot tell whether a message names one of our orders).
Precheck = Callable[[Center, bytes], Awaitable[None]]


@dataclass(frozen=True)
class ChannelSource:
    """An intake channel that is not a catalogue system (voice, e-mail, SMS, ...)."""

    name: str
    validate: Validate
    decode: Decode


@dataclass
class QueueItem:
    """One accepted payload waiting to be processed."""

    system: str
    payload: bytes
    content_type: str
    received_at: datetime
    intake_id: int | None = None
    stream_id: str | None = None
    items: Normalized | None = None
    attempts: int = 0


_accepted: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "ingest_accepted", default=None
)
# Set while an admin replays a dead letter: a payload still bad keeps its one letter.
_replaying: contextvars.ContextVar[bool] = contextvars.ContextVar("ingest_replaying", default=False)


@dataclass
class ProcessStats:
    """Counters of what processing did (for the health page and the benchmark)."""

    payloads: int = 0
    events_new: int = 0
    events_duplicate: int = 0
    orders_created: int = 0
    orders_existing: int = 0
    triggers: int = 0
    dead: int = 0
    errors: int = 0


class Ingest:
    """The intake of one process: sources, limits, durable queue, consumer and health runner."""

    def __init__(
        self,
        center: Center,
        catalogue: Catalogue | None = None,
        *,
        channels: Mapping[str, ChannelSource] | None = None,
        hooks: Mapping[str, Hook] | None = None,
        prechecks: Mapping[str, Precheck] | None = None,
        workers: int = 2,
    ) -> None:
        self.center = center
        self.settings = center.settings
        self.catalogue = catalogue or Catalogue.default()
        self.channels = dict(channels or {})
        self.hooks = dict(hooks or {})
        self.prechecks = dict(prechecks or {})
        self.runner = FeedRunner(self.catalogue.adapters, self)
        self.sources: dict[str, Source] = {}
        self._by_hash: dict[str, str] = {}
        self.queue_size = self.settings.intake_queue_size
        self.queue: asyncio.Queue[QueueItem] = asyncio.Queue()
        self.in_flight = 0
        self.workers = workers
        self.redis_url = self.settings.redis_url
        self.consumer_name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._redis: Any = None
        self._stream_len: tuple[float, int] = (0.0, 0)
        self._tasks: list[asyncio.Task[None]] = []
        self.stats = ProcessStats()
        self.demo_api_key: str | None = None
        self.idle = asyncio.Event()
        self.idle.set()
        self._recover_upto = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._intake_log: GroupCommit[QueueItem, int] = GroupCommit(self._write_intake)

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Seed the sources, open the queue and start the consumers."""
        self.loop = asyncio.get_running_loop()
        await self.seed_sources()
        if self.redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.redis_url)
            for n in range(self.workers):
                self._tasks.append(
                    asyncio.create_task(self._stream_consumer(n), name=f"ingest-{n}")
                )
            self._tasks.append(asyncio.create_task(self._claim_loop(), name="ingest-claim"))
        else:
            async with self.center.db.connection() as conn:
                self._recover_upto = await intake_store.intake_max_id(conn)
            for n in range(self.workers):
                self._tasks.append(asyncio.create_task(self._queue_consumer(), name=f"ingest-{n}"))
            self._tasks.append(asyncio.create_task(self._recover(), name="ingest-recover"))

    async def pause(self) -> None:
        """Stop consuming, keep accepting (tests: a consumer that died mid-stream)."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def stop(self) -> None:
        """Stop the consumers; anything unfinished stays pending and is redone at start."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def all_sources(self) -> list[str]:
        """Catalogue systems and intake channels that authenticate as sources."""
        return [*self.catalogue, *self.channels, *KEY_ONLY_SOURCES]

    async def seed_sources(self) -> None:
        """Write each source's key hash, secret and limits from the settings; load them."""
        s = self.settings
        keys = parse_pairs(s.feed_keys)
        secrets_ = parse_pairs(s.feed_hmac_secrets)
        limits = parse_pairs(s.feed_limits)
        if s.demo:
            self.demo_api_key = demo_api_key(s.demo_api_key, s.data_dir)
        async with self.center.db.connection() as conn:
            for system in self.all_sources():
                key = keys.get(system) or (self.demo_api_key if s.demo else None)
                rate, burst, max_bytes = s.feed_rate_per_s, s.feed_burst, s.feed_max_bytes
                if system in limits:
                    rate, burst, max_bytes = parse_limit(limits[system], rate, burst, max_bytes)
                await intake_store.upsert_source(
                    conn,
                    system,
                    key_hash=key_hash(key) if key else None,
                    hmac_secret=secrets_.get(system),
                    rate_per_s=rate,
                    burst=burst,
                    max_bytes=min(max_bytes, s.max_body_bytes),
                )
            rows = await intake_store.list_sources(conn)
        self.sources = {
            r["system"]: Source(
                r["system"],
                r["key_hash"],
                r["hmac_secret"],
                r["rate_per_s"],
                r["burst"],
                r["max_bytes"],
            )
            for r in rows
            if r["enabled"]
        }
        self._by_hash = {}
        for src in self.sources.values():
            if src.key_hash:
                # In the demo every source shares one key: it then names no single source.
                self._by_hash[src.key_hash] = "*" if src.key_hash in self._by_hash else src.system

    # -- accept ----------------------------------------------------------------------------
    def source(self, system: str) -> Source:
        """The source named ``system`` (404 when not connected)."""
        from dispatch_center.errors import NotFound

        src = self.sources.get(system)
        if src is None:
            raise NotFound(f"no connected system {system!r}")
        return src

    def authenticate(
        self,
        system: str,
        headers: Mapping[str, str],
        body: bytes,
        principal: Principal | None,
        staff: frozenset[Role] = frozenset(),
    ) -> str:
        """Check the source's credentials; returns how it authenticated.

        401 without credentials or with a wrong key or signature, 403 for a valid key of
        another source or a signed-in user who is not an admin (or one of ``staff``, for
        channels staff feed by hand: the seat's call form, letters).
        """
        signature = headers.get("x-signature")
        if not (signature or headers.get("x-api-key") or principal):
            raise Unauthorized(
                "a source authenticates with X-Api-Key, X-Signature: sha256=<hmac>"
                " or an admin's bearer token"
            )
        src = self.source(system)
        if signature:
            if not src.hmac_secret:
                raise Unauthorized(f"{system} has no signing secret: use X-Api-Key")
            if not hmac.compare_digest(sign(src.hmac_secret, body), signature.strip().lower()):
                raise Unauthorized("X-Signature does not match the body")
            return "signature"
        key = headers.get("x-api-key")
        if key:
            h = key_hash(key)
            if src.key_hash and hmac.compare_digest(src.key_hash, h):
                return "api_key"
            owner = self._by_hash.get(h)
            if owner is not None:
                raise Forbidden(f"this key belongs to another source, not {system}")
            raise Unauthorized("unknown API key")
        if principal is not None:
            if principal.role is not Role.admin and principal.role not in staff:
                raise Forbidden("only an admin may post for a source; sources use their key")
            return "admin"
        raise Unauthorized(
            "a source authenticates with X-Api-Key, X-Signature: sha256=<hmac> or an admin token"
        )

    def check_limits(self, system: str, size: int) -> None:
        """Size (413) and rate (429) limits of the source."""
        src = self.source(system)
        if size > src.max_bytes:
            raise TooLarge(f"{system}: payload of {size} bytes is over its {src.max_bytes} limit")
        now = time.monotonic()
        if src.bucket is None:
            src.bucket = TokenBucket(src.rate_per_s, src.burst, float(src.burst), now)
        wait = src.bucket.take(now)
        if wait > 0:
            raise RateLimited(
                f"{system} sends faster than {src.rate_per_s:g}/s", max(1, math.ceil(wait))
            )

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
        await self._check_room()
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
                        dead = await self._dead_letter(system, payload, content_type, at, exc)
                        raise _bad(system, exc, dead) from exc
                try:
                    await self.runner.record_arrival(system, payload)
                except PayloadError as exc:
                    got = _accepted.get() or {}
                    raise _bad(system, exc, got.get("dead_letter_id")) from exc
            else:
                channel = self.channels[system]
                at = received_at or self.center.now()
                try:
                    items = channel.validate(payload, at)
                except PayloadError as exc:
                    dead = await self._dead_letter(system, payload, content_type, at, exc)
                    raise _bad(system, exc, dead) from exc
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
        await self._enqueue(QueueItem(system, _bytes(payload), "", received_at, items=items))

    async def reject(
        self, system: str, payload: Payload, error: PayloadError, received_at: datetime
    ) -> None:
        """Keep a payload the adapter could not understand."""
        await self._dead_letter(system, _bytes(payload), "", received_at, error)

    async def _dead_letter(
        self, system: str, payload: bytes, content_type: str, at: datetime, exc: PayloadError
    ) -> int | None:
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

    async def _check_room(self) -> None:
        backlog = await self.backlog()
        if backlog >= self.queue_size:
            raise RateLimited(
                f"the intake queue is full ({backlog} waiting); retry shortly", 2, queued=backlog
            )

    async def backlog(self) -> int:
        """Payloads accepted and not yet processed (this worker's view; the stream's length)."""
        if self._redis is None:
            return self.queue.qsize() + self.in_flight
        at, n = self._stream_len
        now = time.monotonic()
        if now - at > 0.2:
            n = int(await self._redis.xlen(STREAM))
            self._stream_len = (now, n)
        return n

    async def _enqueue(self, item: QueueItem) -> None:
        got = _accepted.get()
        if self._redis is not None:
            fields = {
                "system": item.system,
                "content_type": item.content_type,
                "received_at": item.received_at.isoformat(),
                "payload": base64.b64encode(item.payload).decode(),
            }
            entry = await self.center.bus.stream_add(STREAM, fields)
            if got is not None:
                got["intake_id"] = entry
            return
        item.intake_id = await self._intake_log.submit(item)
        if got is not None:
            got["intake_id"] = item.intake_id
        self.idle.clear()
        self.queue.put_nowait(item)

    async def _write_intake(self, items: Sequence[QueueItem]) -> list[int]:
        """Make a group of accepted payloads durable in one transaction (group commit)."""
        async with self.center.db.connection() as conn, conn.transaction():
            return await intake_store.intake_insert_many(
                conn, [(i.system, i.received_at, i.content_type, i.payload) for i in items]
            )

    # -- consumers ---------------------------------------------------------------------------
    async def _queue_consumer(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            while len(batch) < PROCESS_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
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
                        self.queue.put_nowait(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # the rows stay pending; the next start redoes them
                log.exception("intake batch failed; left pending")
            finally:
                self.in_flight -= len(batch)
                if self.queue.empty() and self.in_flight == 0:
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
                self.queue.put_nowait(
                    QueueItem(
                        r["system"],
                        bytes(r["payload"]),
                        r["content_type"],
                        r["received_at"],
                        intake_id=int(r["id"]),
                    )
                )
            log.info("intake: %d payloads pending from before the start requeued", len(rows))

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

    async def _process_guarded(self, batch: list[QueueItem]) -> list[tuple[QueueItem, str | None]]:
        try:
            await self.process_batch(batch)
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
            await self._dead_letter(
                item.system, item.payload, item.content_type, item.received_at, exc
            )
            return [(item, str(exc))]

    # -- processing --------------------------------------------------------------------------
    async def decode(self, item: QueueItem) -> Decoded:
        """Normalize one queued payload (catalogue adapter or channel decoder)."""
        if item.system in self.catalogue:
            items = item.items
            if items is None:
                items = self.catalogue[item.system].normalize(
                    item.payload, received_at=item.received_at
                )
            return Decoded(items)
        return await self.channels[item.system].decode(self.center, item.payload, item.received_at)

    async def process_batch(self, batch: Sequence[QueueItem]) -> None:
        """Process queued payloads: events in one transaction, then orders and triggers."""
        outcomes = []
        rows: list[feed_events.EventRow] = []
        for n, item in enumerate(batch):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                # Decoding a batch is pure CPU; the same event loop sends the wall's deltas
                # and answers requests, so let them in between payloads.
                await asyncio.sleep(0)
            try:
                d = await self.decode(item)
            except PayloadError as exc:  # a replayed or reclaimed payload the adapter now refuses
                await self._dead_letter(
                    item.system, item.payload, item.content_type, item.received_at, exc
                )
                continue
            out = apply_rules([self._receded(e) for e in d.items])
            outcomes.append((item, d, out))
            rows.extend(event_row(e) for e in out.events)
        now = self.center.now()
        logged: list[Change] = []
        async with self.center.db.connection() as conn, conn.transaction():
            received = max((i.received_at for i in batch), default=now)
            fresh = await feed_events.record_events(conn, rows, received)
            self.stats.events_new += len(fresh)
            self.stats.events_duplicate += len(rows) - len(fresh)
            by_system: dict[str, list[feed_events.EventRow]] = {}
            for r in fresh:
                by_system.setdefault(r.system, []).append(r)
            for system, evs in by_system.items():
                # A moving unit's position goes out as its own change, keyed by the unit,
                # so a slow wall's outbox replaces an unsent older position of that unit
                # (protocol.coalesce_key) instead of queueing every report.
                moves = {e.key: e for e in sorted(evs, key=lambda e: e.at) if e.kind == MOVE}
                evs = [e for e in evs if e.kind != MOVE]
                for key, e in moves.items():
                    payload = {"system": system, "count": 1, "events": [change_view(e)]}
                    logged.append(await changes.append_change(conn, now, MOVE, key, payload))
                # Every new event is listed in some change: the wall draws what the deltas
                # carry, so an event left out of a change would only appear at the next
                # snapshot. Chunks keep each delta a reasonable size for the wall.
                for start in range(0, len(evs), CHANGE_EVENTS):
                    chunk = evs[start : start + CHANGE_EVENTS]
                    kind = (
                        "cap.alert" if any(e.kind == "cap.alert" for e in chunk) else "feed.event"
                    )
                    payload = {
                        "system": system,
                        "count": len(chunk),
                        "events": [change_view(e) for e in chunk],
                    }
                    logged.append(await changes.append_change(conn, now, kind, system, payload))
        await publish_changes(self.center, logged)
        from dispatch_center.intake import runtime as feed_service

        feed_service.layers_changed(self.center, fresh)
        for item, d, out in outcomes:
            made: list[tuple[OrderDraft, Row | None]] = []
            for draft in out.drafts:
                made.append((draft, await self.create_order(item.system, draft)))
            for trig in out.triggers:
                await self.submit_trigger(trig, item.system)
            if d.after is not None:
                await d.after(made)
            hook = self.hooks.get(item.system)
            if hook is not None:
                await hook(self.center, item.payload, d.items, made)
            self.stats.payloads += 1

    def _receded(self, item: FeedEvent | OrderDraft) -> FeedEvent | OrderDraft:
        """A gauge reading under its warning level while the station's flood alert still
        stands, marked ``below_after_above`` so the rules end the alert and its condition."""
        if not isinstance(item, FeedEvent) or item.kind != "gauge.reading":
            return item
        v = item.values
        level, warning, station = v.get("level_m"), v.get("warning_level_m"), v.get("station_code")
        if level is None or warning is None or not station or level >= warning:
            return item
        from dispatch_center.intake import runtime as feed_service

        if not feed_service.flood_alert_standing(self.center, item.system, str(station)):
            return item
        return dataclasses.replace(item, values={**v, "below_after_above": True})

    async def create_order(self, system: str, draft: OrderDraft) -> Row | None:
        """Make the order of a draft (idempotent on source + source_id); None if refused."""
        who = Principal(f"feed:{system}", Role.dispatcher)
        body = draft.to_order_body()
        for attempt in range(2):
            try:
                view, created = await order_service.create_order(
                    self.center, who, OrderCreate.model_validate(body)
                )
            except (Invalid, ValidationError) as exc:
                if attempt == 0:
                    # A code our taxonomy lacks or a reporter number the form refuses must
                    # not lose the citizen's request: route it by type alone, unnamed.
                    log.info("draft from %s adjusted: %s", system, exc)
                    body = {**body, "category": {"type": body["category"]["type"]}}
                    body.pop("reporter", None)
                    continue
                log.warning("draft from %s refused: %s", system, exc)
                return None
            if created:
                self.stats.orders_created += 1
            else:
                self.stats.orders_existing += 1
            await self._attachments(draft, view)
            return view
        return None

    async def _attachments(self, draft: OrderDraft, view: Row) -> None:
        if not draft.attachments and not draft.extra.get("recording_url"):
            return
        folder = Path(self.settings.data_dir) / "attachments"
        order_id = int(view["id"])
        source = draft.source or draft.channel
        source_id = draft.source_id or str(order_id)
        async with self.center.db.connection() as conn:
            for att in draft.attachments:
                path = None
                size = None
                if att.content:
                    digest = hashlib.sha256(att.content).hexdigest()
                    folder.mkdir(parents=True, exist_ok=True)
                    target = folder / f"{digest}{Path(att.filename).suffix[:10]}"
                    if not target.exists():
                        await asyncio.to_thread(target.write_bytes, att.content)
                    path, size = str(target), len(att.content)
                await channel_store.attachment_insert(
                    conn,
                    source=source,
                    source_id=source_id,
                    order_id=order_id,
                    filename=att.filename,
                    content_type=att.content_type,
                    path=path,
                    url=att.url,
                    size=size,
                )
            rec = draft.extra.get("recording_url")
            if rec:
                await channel_store.attachment_insert(
                    conn,
                    source=source,
                    source_id=source_id,
                    order_id=order_id,
                    filename="recording",
                    content_type="audio/*",
                    path=None,
                    url=str(rec),
                    size=None,
                )

    async def submit_trigger(self, trig: TriggerInput, system: str = "weather_cap") -> None:
        """Hand a feed condition to the mode triggers (they suggest; people decide).

        A CAP warning that ended (Cancel, or an Update below the threshold), or a river back
        under its warning level, withdraws the open suggestion it held up, with the feed as
        the one who withdrew it.
        """
        if trig.kind == "cap" and trig.active and _expired(trig, self.center.now()):
            # A warning that arrives already expired (a late delivery, a replayed dead
            # letter) must not put a suggestion in front of the HQ for the sweep to take
            # back seconds later: it is treated as ended.
            trig = dataclasses.replace(trig, active=False, detail={**trig.detail, "expired": True})
        if trig.kind in ("cap", "gauge") and not trig.active:
            try:
                await modes.end_condition(
                    self.center, condition_source(trig), by=f"feed:{system}", why=ended_why(trig)
                )
            except Exception as exc:  # must never block the intake; the sweep retries
                log.warning("mode trigger %s (ended) failed: %s", trig.key, exc)
            return
        event = trigger_event(trig)
        if event is None:
            return
        try:
            got = await modes.submit_trigger(self.center, event)
        except Exception as exc:  # a suggestion must never block the intake
            log.warning("mode trigger %s failed: %s", trig.key, exc)
            return
        if got is not None:
            self.stats.triggers += 1

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything queued in this process is processed (tests, benchmark)."""
        async with asyncio.timeout(timeout):
            while True:
                await self.idle.wait()
                if self.queue.empty() and self.in_flight == 0:
                    return
                await asyncio.sleep(0.01)


# -- helpers ------------------------------------------------------------------------------------


def _bytes(payload: Payload) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    import orjson

    return orjson.dumps(payload)


def _bad(system: str, exc: PayloadError, dead_letter_id: Any) -> BadPayload:
    return BadPayload(
        f"{system}: {exc}",
        fields={exc.field: exc.message},
        dead_letter_id=str(dead_letter_id) if dead_letter_id is not None else None,
    )


def parse_pairs(raw: str | None) -> dict[str, str]:
    """``"a=1,b=2"`` → ``{"a": "1", "b": "2"}`` (the settings' per-source lists).

    Examples
    --------
    >>> parse_pairs("hydrology=k1, skynet=k2")
    {'hydrology': 'k1', 'skynet': 'k2'}
    """
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() and v.strip():
                out[k.strip()] = v.strip()
    return out


def parse_limit(raw: str, rate: float, burst: int, max_bytes: int) -> tuple[float, int, int]:
    """``"rate/burst/max_bytes"`` with any part left empty keeping the default.

    Examples
    --------
    >>> parse_limit("50/200/", 20.0, 100, 262144)
    (50.0, 200, 262144)
    """
    parts = [*raw.split("/"), "", "", ""][:3]
    return (
        float(parts[0]) if parts[0] else rate,
        int(parts[1]) if parts[1] else burst,
        int(parts[2]) if parts[2] else max_bytes,
    )


def demo_api_key(configured: str | None, data_dir: Path) -> str:
    """The demo's key of every source: configured, else made once per data directory.

    The demo command writes the same file (``demo-api-key``), so both agree.
    """
    if configured:
        return configured
    path = Path(data_dir) / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    path.write_text(value)
    path.chmod(0o600)
    return value


def state_key(event: FeedEvent) -> str:
    """The live-layer key of an event: the thing it measures, else the event itself.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from feeds.base import Layer
    >>> e = FeedEvent("hydrology", "S1@t", "gauge.reading", datetime.now(timezone.utc),
    ...     Layer.gauges, values={"station_code": "S1"})
    >>> state_key(e)
    'gauges:S1'
    """
    for k in STATE_KEYS:
        v = event.values.get(k)
        if v:
            return layer_key(event.layer, str(v))
    return layer_key(event.layer, event.source_id)


def layer_key(layer: Layer, thing: str) -> str:
    """The live-layer key of ``thing`` (a station, a camera, a team) on ``layer``.

    Examples
    --------
    >>> layer_key(Layer.warnings, "60705800")
    'warnings:60705800'
    """
    return f"{layer}:{thing}"


def event_row(event: FeedEvent) -> feed_events.EventRow:
    """A normalized event as a row."""
    area = event.area.to_geojson() if event.area is not None and event.area.polygons else None
    return feed_events.EventRow(
        system=event.system,
        source_id=event.source_id,
        key=state_key(event),
        at=event.occurred_at,
        kind=event.kind,
        layer=str(event.layer),
        severity=str(event.severity),
        title=event.title,
        lon=event.location.lon if event.location else None,
        lat=event.location.lat if event.location else None,
        area=area,
        data=_jsonable(dict(event.values)),
    )


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        # Readings are flat dicts of plain values: don't recurse into those.
        return {str(k): x if type(x) in _PLAIN else _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def change_view(r: feed_events.EventRow) -> dict[str, Any]:
    """The wall's view of a new event (change-log payload)."""
    return {
        "system": r.system,
        "source_id": r.source_id,
        "key": r.key,
        "kind": r.kind,
        "layer": r.layer,
        "severity": r.severity,
        "title": r.title,
        "at": r.at.isoformat(),
        "lon": r.lon,
        "lat": r.lat,
        "area": r.area,
        "values": r.data,
    }


def condition_source(trig: TriggerInput) -> str:
    """The source a suggestion records for the condition behind ``trig``: a CAP chain's
    key as is, a gauge by its station (the mode triggers' ``river_gauge:<station>``).

    Examples
    --------
    >>> from feeds.base import Severity
    >>> condition_source(TriggerInput("gauge", "gauge:60705800", Severity.minor, (), {},
    ...     active=False))
    'river_gauge:60705800'
    >>> condition_source(TriggerInput("cap", "cap:s,A1", Severity.minor, (), {}, active=False))
    'cap:s,A1'
    """
    if trig.kind == "gauge":
        return "river_gauge:" + trig.key.split(":", 1)[-1]
    return trig.key


def ended_why(trig: TriggerInput) -> str:
    """Why an ended condition (a CAP warning, a river back under its mark) withdraws its
    suggestion, in the wall's words.

    Examples
    --------
    >>> from feeds.base import Severity
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.minor, (),
    ...     {"msg_type": "Cancel", "headline": "暴雨红色预警"}, active=False))
    '预警已解除：暴雨红色预警'
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.moderate, (),
    ...     {"msg_type": "Update", "headline": "暴雨黄色预警"}, active=False))
    '预警降为中等级，低于触发阈值：暴雨黄色预警'
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.extreme, (),
    ...     {"msg_type": "Alert", "headline": "暴雨红色预警", "expired": True}, active=False))
    '预警到达时已过期：暴雨红色预警'
    >>> ended_why(TriggerInput("gauge", "gauge:60705800", Severity.minor, (),
    ...     {"station": "大渡河沙湾站"}, active=False))
    '水位回落至警戒水位以下：大渡河沙湾站'
    """
    d = trig.detail
    if trig.kind == "gauge":
        return f"水位回落至警戒水位以下：{d.get('station') or trig.key}"
    what = str(d.get("headline") or d.get("event") or trig.key)
    if d.get("expired"):
        return f"预警到达时已过期：{what}"
    if d.get("msg_type") == "Update":
        level = _SEVERITY_ZH.get(str(trig.severity), str(trig.severity))
        return f"预警降为{level}级，低于触发阈值：{what}"
    return f"预警已解除：{what}"


# CAP 1.2 severity in the words Chinese warning bulletins use.
_SEVERITY_ZH = {"extreme": "特别严重", "severe": "严重", "moderate": "中等", "minor": "轻微"}


def _expired(trig: TriggerInput, now: datetime) -> bool:
    raw = trig.detail.get("expires")
    if not raw:
        return False
    try:
        expires = datetime.fromisoformat(str(raw))
    except ValueError:
        return False
    return expires.tzinfo is not None and expires <= now


def trigger_event(trig: TriggerInput) -> dict[str, Any] | None:
    """A rules' :class:`TriggerInput` in the dict shape ``modes.submit_trigger`` reads.

    ``None`` for inputs the mode triggers have no form for (an ended condition, a gauge or
    crowd without a county).

    Examples
    --------
    >>> from feeds.base import Severity
    >>> t = TriggerInput("crowd", "crowd:emei", Severity.severe, ("511181",),
    ...     {"scenic_code": "emei", "scenic": "峨眉山", "count": 60000, "capacity": 50000})
    >>> trigger_event(t)["kind"], trigger_event(t)["count"]
    ('scenic_capacity', 60000)
    """
    d = trig.detail
    if not trig.active:
        return None
    county = trig.county_codes[0] if trig.county_codes else None
    if trig.kind == "cap":
        return {
            "kind": "cap_alert",
            "identifier": trig.key,
            "sender": str(d.get("sender") or ""),
            "event": str(d.get("event") or ""),
            "severity": str(trig.severity).capitalize(),
            "categories": list(d.get("categories") or ()),
            "counties": list(trig.county_codes),
            "headline": str(d.get("headline") or ""),
        }
    if county is None:
        return None
    if trig.kind == "gauge":
        return {
            "kind": "river_gauge",
            "station_id": str(d.get("station_code") or trig.key),
            "station_name": str(d.get("station") or d.get("station_code") or trig.key),
            "county": county,
            "level_m": float(d["level_m"]),
            "warning_level_m": float(d["warning_level_m"]),
        }
    return {
        "kind": "scenic_capacity",
        "area_id": str(d.get("scenic_code") or trig.key),
        "area_name": str(d.get("scenic") or d.get("scenic_code") or trig.key),
        "county": county,
        "count": int(d["count"]),
        "capacity": int(d["capacity"]),
    }


__all__ = [
    "BadPayload",
    "ChannelSource",
    "Decoded",
    "Ingest",
    "ProcessStats",
    "QueueItem",
    "RateLimited",
    "TokenBucket",
    "TooLarge",
    "event_row",
    "key_hash",
    "sign",
    "trigger_event",
]
