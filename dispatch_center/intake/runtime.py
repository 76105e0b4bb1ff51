"""The running intake of one process, held on the center as :class:`IntakeRuntime`.

:func:`start_intake` (called by the app's lifespan) builds the
:class:`~dispatch_center.intake.ingest.Ingest` with the channels, the systems' hooks and
prechecks and the live layers, starts its consumers and the background loops (health,
layers, SMS sweep) and attaches the runtime: ``center.runtimes.get(IntakeRuntime)`` finds it
(503 when the intake is not running here). :func:`stop_intake` stops and detaches it.

Poll systems with a URL in the settings (``DISPATCH_FEED_POLL__<SYSTEM>__URL``) are fetched
by the ingest's runner, one worker at a time (a lease in the database); their answers take
the same path as pushed payloads.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center
from dispatch_center.command import tracking
from dispatch_center.intake import cap, police110
from dispatch_center.intake.channels import CHANNELS, SmsSweep
from dispatch_center.intake.feed_health import FeedHealth, HealthPublisher
from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.layers import LayerRefresh, LiveLayers
from dispatch_center.intake.poll import http_fetcher
from dispatch_center.store import intake as intake_store

log = logging.getLogger(__name__)

Row = dict[str, Any]


class IntakeRuntime:
    """The intake of one process: the running ingest, its live layers, its share of the
    feed health, its background loops and the HTTP client of its polls.

    Reports on ``/readyz`` (a :class:`~dispatch_center.health.ReadinessProbe`): ``intake``
    is ``down`` when any consumer task of the queue is not running, or cannot work (its
    last try met the database away; it retries by itself).
    """

    def __init__(
        self,
        center: Center,
        ingest: Ingest,
        layers: LiveLayers,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.center = center
        self.ingest = ingest
        self.layers = layers
        self.health = FeedHealth(center, ingest)
        self.http = http
        self.loops: list[BackgroundLoop] = [
            HealthPublisher(self.health, center.settings.feed_health_flush_s),
            LayerRefresh(center, layers),
            SmsSweep(center, ingest.create_order),
        ]
        self._poll: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the ingest, load the live layers, start the loops and the polls."""
        await self.ingest.start()
        await self.layers.refresh(self.center)
        for loop in self.loops:
            loop.start()
        if self.ingest.runner.fetchers:
            self._poll = asyncio.create_task(self.ingest.runner.run(), name="feeds-poll")

    async def stop(self) -> None:
        """Stop everything :meth:`start` started; write this worker's health a last time."""
        for loop in self.loops:
            await loop.stop()
        if self._poll is not None:
            self._poll.cancel()
            await asyncio.gather(self._poll, return_exceptions=True)
            self._poll = None
        try:
            await self.health.write(force=True)
            if self.ingest.runner.fetchers:
                async with self.center.db.connection() as conn:
                    await intake_store.poll_release(conn, self.ingest.consumer_name)
        except Exception as exc:  # stopping must finish even with the database gone
            log.warning("feed health not written at stop: %s", exc)
        if self.http is not None:
            await self.http.aclose()
        await self.ingest.stop()

    def live_layers(self) -> dict[str, list[Row]]:
        """The live layers (gauges, rain, cameras, crowds, CAP warnings ...) by layer name."""
        return self.layers.live(self.center.now())

    def readiness_checks(self) -> dict[str, Any]:
        """``/readyz``: ``intake`` is ``ok`` while every consumer task of the queue runs and
        none of them is failing.
        """
        queue = self.ingest.queue
        tasks = {t.get_name(): task_state(t) for t in queue.consumers}
        failing = dict(queue.failing)
        up = bool(tasks) and all(state == "running" for state in tasks.values()) and not failing
        return {
            "intake": "ok" if up else "down",
            "intake_consumers": {"backend": queue.backend, "tasks": tasks, "failing": failing},
        }


def task_state(task: asyncio.Task[None]) -> str:
    """How a task stands: ``running``, ``cancelled``, ``finished`` or ``failed: <error>``.

    Examples
    --------
    >>> async def broken() -> None:
    ...     raise OSError("connection lost")
    >>> async def main() -> str:
    ...     task = asyncio.create_task(broken())
    ...     await asyncio.gather(task, return_exceptions=True)
    ...     return task_state(task)
    >>> asyncio.run(main())
    'failed: OSError: connection lost'
    """
    if not task.done():
        return "running"
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    return f"failed: {type(exc).__name__}: {exc}" if exc is not None else "finished"


def configure_polls(center: Center, ingest: Ingest) -> httpx.AsyncClient | None:
    """Give the runner an HTTP fetcher for every system with a poll URL in the settings;
    the client they share (None when nothing is polled).

    A system id that is not in the catalogue stops the start-up: a typo in the
    configuration must not leave a system silently unpolled.
    """
    polls = center.settings.feed_poll
    if not polls:
        return None
    runner = ingest.runner
    unknown = sorted(set(polls) - set(ingest.catalogue))
    if unknown:
        raise ValueError(f"DISPATCH_FEED_POLL names systems not in the catalogue: {unknown}")
    # No client-wide timeout: each system's own applies (the runner's asyncio.timeout).
    http = httpx.AsyncClient(timeout=None, follow_redirects=True)
    for system, poll in polls.items():
        runner.add_poll(
            system,
            http_fetcher(http, poll.url, poll.headers()),
            interval_s=poll.interval_s,
            timeout_s=poll.timeout_s,
        )
        log.info("feed %s: polling %s every %g s", system, poll.url, runner.interval(system))
    worker = ingest.consumer_name

    async def claim(system: str, seconds: float) -> bool:
        now = center.now()
        async with center.db.connection() as conn:
            return await intake_store.poll_claim(
                conn, system, worker, now, now + timedelta(seconds=seconds)
            )

    runner.claim = claim
    return http


async def start_intake(center: Center) -> IntakeRuntime:
    """Start this process's intake and attach it to ``center``."""
    layers = LiveLayers()
    ingest = Ingest(
        center,
        channels=CHANNELS,
        hooks={
            cap.SYSTEM: cap.after_cap,
            "police110": police110.after_incoming,
            # Rescue teams' positions: arrivals and warning areas (the command console).
            "emergency_mgmt": tracking.after_positions,
        },
        prechecks={"police110": police110.check_incoming},
        layers=layers,
    )
    runtime = IntakeRuntime(center, ingest, layers, configure_polls(center, ingest))
    center.runtimes.attach(runtime)
    await runtime.start()
    return runtime


async def stop_intake(center: Center) -> None:
    """Stop and detach what :func:`start_intake` started (nothing if it did not)."""
    runtime = center.runtimes.detach(IntakeRuntime)
    if runtime is not None:
        await runtime.stop()


async def feeds_view(center: Center) -> dict[str, Any]:
    """``GET /api/v1/feeds``: every connected system, its descriptor and merged health
    (no feeds when the intake is not running in this process).
    """
    runtime = center.runtimes.find(IntakeRuntime)
    if runtime is None:
        return {"feeds": []}
    return await runtime.health.view()


def live_layers(center: Center) -> dict[str, list[Row]]:
    """The live layers by layer name (none when the intake is not running here).

    In memory: the wall's snapshot must not take a pool connection for it.
    """
    runtime = center.runtimes.find(IntakeRuntime)
    return runtime.live_layers() if runtime is not None else {}
