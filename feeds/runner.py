"""One shared runner for every feed: scheduling, timeouts, backoff and health.

Poll feeds are fetched by the runner through a fetch callable per system (an ``async`` function
returning the outside system's payload or payloads — the HTTP GET of
:func:`dispatch_center.intake.poll.http_fetcher` or a test fake), added with
:meth:`FeedRunner.add_poll`; with several workers a ``claim`` callable (a lease in the
database) lets one worker at a time poll a system. Push feeds report their arrivals with
:meth:`FeedRunner.record_arrival`. Either way the payload is
normalized (pure) and handed to a :class:`Sink` (the ingest: durable intake, dead letters).

Health per feed: last seen, lag (how old the newest data was when it arrived), error rate
over the last attempts; ``up``/``degraded``/``down`` (``unknown`` before anything happened).
Like Home Assistant, "failed" is logged once when a feed starts failing and "recovered" once
when it comes back, however many attempts fail in between.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from feeds.base import FeedAdapter, FeedEvent, Normalized, PayloadError

log = logging.getLogger("feeds.runner")

Payload = bytes | dict[str, Any]
FetchFn = Callable[[], Awaitable[Payload | Sequence[Payload]]]
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
# claim(system, seconds) → True when this worker may poll ``system`` for the next ``seconds``.
Claim = Callable[[str, float], Awaitable[bool]]


class Status(StrEnum):
    """A feed's health."""

    unknown = "unknown"
    up = "up"
    degraded = "degraded"
    down = "down"


class Sink(Protocol):
    """Where the runner delivers (the ingest)."""

    async def deliver(
        self, system: str, payload: Payload, items: Normalized, received_at: datetime
    ) -> None:
        """Accept a good payload and what it normalized to."""

    async def reject(
        self, system: str, payload: Payload, error: PayloadError, received_at: datetime
    ) -> None:
        """Keep a bad payload as a dead letter."""


@dataclass(frozen=True)
class HealthPolicy:
    """Thresholds, in multiples of a feed's interval and in attempts."""

    window: int = 20  # attempts the error rate is computed over
    degraded_error_rate: float = 0.2
    down_failures: int = 3  # consecutive failed polls
    stale_degraded: float = 2.0  # no data for 2 intervals → degraded
    stale_down: float = 5.0  # no data for 5 intervals → down
    lag_degraded: float = 2.0


@dataclass
class FeedHealth:
    """What the runner knows about one feed."""

    system: str
    mode: str
    interval_s: float
    watched_since: datetime
    last_seen: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    lag_s: float | None = None
    consecutive_failures: int = 0
    attempts: deque[bool] = field(default_factory=lambda: deque(maxlen=20))
    status: Status = Status.unknown
    failing: bool = False  # inside a run of failures ("failed" already logged)
    version: int = 0  # bumped on every attempt, so a writer can tell what changed

    @property
    def failures_in_window(self) -> int:
        """Failed attempts among the last ``window``."""
        return self.attempts.count(False)

    @property
    def error_rate(self) -> float:
        """Share of failed attempts in the window (0 with no attempts)."""
        return self.attempts.count(False) / len(self.attempts) if self.attempts else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``GET /api/v1/feeds``."""
        return {
            "system": self.system,
            "mode": self.mode,
            "status": str(self.status),
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "lag_s": None if self.lag_s is None else round(self.lag_s, 1),
            "error_rate": round(self.error_rate, 3),
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Backoff:
    """Retry delays after consecutive failures: ``base * 2**(n-1)``, capped, with jitter."""

    base_s: float = 5.0
    max_s: float = 900.0
    jitter: float = 0.1

    def delay(self, failures: int, interval_s: float, rng: random.Random) -> float:
        """Seconds to wait: the interval after a success, the backoff after failures.

        Examples
        --------
        >>> b = Backoff(jitter=0)
        >>> [b.delay(n, 300, random.Random(1)) for n in (0, 1, 2, 3, 10)]
        [300, 5.0, 10.0, 20.0, 300]
        """
        if failures <= 0:
            return interval_s
        raw = min(self.max_s, self.base_s * 2 ** (failures - 1), interval_s)
        return raw * (1 + rng.uniform(-self.jitter, self.jitter)) if self.jitter else raw


class HealthFacts(Protocol):
    """What a status is computed from: one runner's :class:`FeedHealth` or a merged view."""

    @property
    def mode(self) -> str:
        """``push`` or ``poll``."""

    @property
    def interval_s(self) -> float:
        """Seconds between the system's reports (or polls)."""

    @property
    def watched_since(self) -> datetime:
        """When the runner started watching the system."""

    @property
    def last_seen(self) -> datetime | None:
        """When the system last delivered a payload."""

    @property
    def lag_s(self) -> float | None:
        """Seconds since ``last_seen``."""

    @property
    def consecutive_failures(self) -> int:
        """Failed polls (or refused payloads) in a row."""

    @property
    def error_rate(self) -> float:
        """Share of recent attempts that failed."""


def assess(h: HealthFacts, now: datetime, policy: HealthPolicy) -> Status:
    """A feed's status at ``now`` (silence counts: a quiet push feed goes down too).

    Pure, so that one worker's health and the merged health of all workers agree on what
    ``up``, ``degraded`` and ``down`` mean.

    Examples
    --------
    >>> t = datetime(2026, 11, 27, tzinfo=UTC)
    >>> h = FeedHealth("hydrology", "poll", 300, t, last_seen=t, lag_s=10.0)
    >>> str(assess(h, t + timedelta(seconds=60), HealthPolicy()))
    'up'
    >>> str(assess(h, t + timedelta(seconds=1800), HealthPolicy()))
    'down'
    """
    p = policy
    since = h.last_seen or h.watched_since
    quiet = (now - since) / timedelta(seconds=h.interval_s)
    if h.consecutive_failures >= p.down_failures or quiet >= p.stale_down:
        return Status.down
    if h.last_seen is None and h.consecutive_failures == 0 and quiet < p.stale_degraded:
        return Status.unknown
    if (
        h.consecutive_failures > 0
        or quiet >= p.stale_degraded
        or h.error_rate > p.degraded_error_rate
        or (h.lag_s is not None and h.lag_s > p.lag_degraded * h.interval_s)
    ):
        return Status.degraded
    return Status.up


class FeedRunner:
    """Runs poll feeds and tracks the health of every feed."""

    def __init__(
        self,
        adapters: Mapping[str, FeedAdapter],
        sink: Sink,
        *,
        fetchers: Mapping[str, FetchFn] | None = None,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        timeout_s: float = 20.0,
        backoff: Backoff = Backoff(),
        policy: HealthPolicy = HealthPolicy(),
        rng: random.Random | None = None,
        claim: Claim | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.sink = sink
        self.fetchers = dict(fetchers or {})
        self.clock = clock
        self.sleep = sleep
        self.timeout_s = timeout_s
        self.backoff = backoff
        self.policy = policy
        self.rng = rng or random.Random()
        self.claim = claim
        self.intervals: dict[str, float] = {}
        self.timeouts: dict[str, float] = {}
        now = clock()
        self.health: dict[str, FeedHealth] = {
            s: FeedHealth(
                s,
                a.DESCRIPTOR.mode,
                a.DESCRIPTOR.interval_s,
                now,
                attempts=deque(maxlen=policy.window),
            )
            for s, a in self.adapters.items()
        }

    def add_poll(
        self,
        system: str,
        fetch: FetchFn,
        *,
        interval_s: float | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """Poll ``system`` with ``fetch`` every ``interval_s`` (default: its descriptor's).

        Examples
        --------
        >>> from feeds.registry import Catalogue
        >>> class Nowhere:
        ...     async def deliver(self, *a): ...
        ...     async def reject(self, *a): ...
        >>> r = FeedRunner(Catalogue.default().only(["hydrology"]).adapters, Nowhere())
        >>> async def fetch(): return {"code": 0, "data": []}
        >>> r.add_poll("hydrology", fetch, interval_s=60)
        >>> r.interval("hydrology"), r.health["hydrology"].mode
        (60, 'poll')
        """
        if system not in self.adapters:
            raise KeyError(f"not in the catalogue: {system!r}")
        self.fetchers[system] = fetch
        if interval_s is not None:
            self.intervals[system] = interval_s
        if timeout_s is not None:
            self.timeouts[system] = timeout_s
        h = self.health[system]
        # Health judges silence against the interval the system is actually polled at.
        h.interval_s = self.interval(system)
        h.mode = "poll"

    def interval(self, system: str) -> float:
        """Seconds between polls of ``system`` (the configured override or its descriptor's)."""
        return self.intervals.get(system, self.adapters[system].DESCRIPTOR.interval_s)

    # -- recording ---------------------------------------------------------------------
    def _success(self, system: str, items: Normalized, received_at: datetime) -> None:
        h = self.health[system]
        h.version += 1
        h.last_attempt = h.last_seen = received_at
        h.attempts.append(True)
        h.consecutive_failures = 0
        h.last_error = None
        times = [i.occurred_at for i in items if isinstance(i, FeedEvent)]
        if times:
            h.lag_s = max(0.0, (received_at - max(times)).total_seconds())
        if h.failing:
            h.failing = False
            log.info("feed %s recovered", system)
        self.evaluate(system)

    def _failure(self, system: str, error: str, at: datetime, *, transport: bool) -> None:
        h = self.health[system]
        h.version += 1
        h.last_attempt = at
        h.attempts.append(False)
        h.last_error = error
        if transport:
            h.consecutive_failures += 1
            if not h.failing:
                h.failing = True
                log.warning("feed %s failed: %s", system, error)
        self.evaluate(system)

    async def record_arrival(self, system: str, payload: Payload) -> Normalized:
        """A push feed's payload arrived: normalize, deliver or dead-letter, update health.

        Raises the :class:`PayloadError` after dead-lettering, so the route can answer 4xx.
        """
        received_at = self.clock()
        adapter = self.adapters[system]
        try:
            items = adapter.normalize(payload, received_at=received_at)
        except PayloadError as exc:
            await self.sink.reject(system, payload, exc, received_at)
            self._failure(system, str(exc), received_at, transport=False)
            raise
        await self.sink.deliver(system, payload, items, received_at)
        self._success(system, items, received_at)
        return items

    # -- polling -----------------------------------------------------------------------
    async def poll_once(self, system: str) -> bool:
        """Fetch once (with the timeout), normalize, deliver; True on success."""
        fetch = self.fetchers.get(system)
        if fetch is None:
            raise KeyError(f"no fetch callable for poll feed {system!r}")
        timeout_s = self.timeouts.get(system, self.timeout_s)
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # races with the fetch finishing, and the runner would then never stop.
            async with asyncio.timeout(timeout_s):
                got = await fetch()
        except TimeoutError:
            self._failure(system, f"timed out after {timeout_s:g} s", self.clock(), transport=True)
            return False
        except Exception as exc:  # the outside system's failure must not stop the runner
            self._failure(system, f"{type(exc).__name__}: {exc}", self.clock(), transport=True)
            return False
        received_at = self.clock()
        payloads: list[Payload] = (
            list(cast(Sequence[Payload], got))
            if isinstance(got, list | tuple)
            else [cast(Payload, got)]
        )
        adapter = self.adapters[system]
        all_items: Normalized = []
        bad: PayloadError | None = None
        for payload in payloads:
            try:
                items = adapter.normalize(payload, received_at=received_at)
            except PayloadError as exc:
                await self.sink.reject(system, payload, exc, received_at)
                bad = exc
                continue
            await self.sink.deliver(system, payload, items, received_at)
            all_items.extend(items)
        if bad is not None and not all_items:
            # The system answers but with nonsense: that is a failing feed too.
            self._failure(system, str(bad), received_at, transport=True)
            return False
        self._success(system, all_items, received_at)
        return True

    async def run_feed(self, system: str, *, max_polls: int | None = None) -> None:
        """Poll one feed forever (or ``max_polls`` times), sleeping interval or backoff."""
        n = 0
        interval = self.interval(system)
        # The lease outlives one poll plus its timeout, so a live holder never loses it
        # between polls, and a dead one's lapses after about two intervals.
        lease_s = 1.5 * interval + self.timeouts.get(system, self.timeout_s)
        while max_polls is None or n < max_polls:
            n += 1
            try:
                if self.claim is not None and not await self.claim(system, lease_s):
                    await self.sleep(interval)  # another worker polls it; check again later
                    continue
                await self.poll_once(system)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Our side failed (the database under the sink, the lease): the outside
                # system is not to blame, but the loop must live on to poll again.
                log.warning("feed %s: poll not delivered: %s", system, exc)
            failures = self.health[system].consecutive_failures
            await self.sleep(self.backoff.delay(failures, interval, self.rng))

    async def run(self) -> None:
        """Poll every feed that has a fetch callable, concurrently, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for system in self.adapters:
                if system in self.fetchers:
                    tg.create_task(self.run_feed(system), name=f"feed:{system}")

    # -- health ------------------------------------------------------------------------
    def seen_elsewhere(self, system: str, at: datetime, lag_s: float | None = None) -> None:
        """Another worker received ``system`` at ``at``: its silence is judged center-wide.

        Behind a load balancer each worker gets only some of a push feed's arrivals; judged
        alone, a worker would call a feed silent (and log "failed") while the others are
        receiving it. Nothing is counted as an attempt here: only ``last_seen`` and that
        arrival's ``lag_s`` move (so this worker's row and the receiver's agree when the
        health is merged), and a silence-only failure ends without a second "recovered"
        (the worker that received the data logged that).
        """
        h = self.health[system]
        if h.last_seen is not None and at <= h.last_seen:
            return
        h.last_seen = at
        h.lag_s = lag_s
        h.version += 1
        if h.failing and h.mode == "push" and h.consecutive_failures == 0:
            h.failing = False

    def evaluate(self, system: str, now: datetime | None = None) -> Status:
        """Recompute one feed's status (silence counts: a quiet push feed goes down too)."""
        h = self.health[system]
        now = now or self.clock()
        since = h.last_seen or h.watched_since
        status = assess(h, now, self.policy)
        if status is Status.down and h.mode == "push" and not h.failing:
            h.failing = True
            log.warning(
                "feed %s failed: nothing received for %.0f s", system, (now - since).total_seconds()
            )
        h.status = status
        return status

    def snapshot(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every feed's health, evaluated at ``now``, in catalogue order."""
        for s in self.health:
            self.evaluate(s, now)
        return [h.to_dict() for h in self.health.values()]
