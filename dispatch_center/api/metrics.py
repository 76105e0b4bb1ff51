"""``/metrics``: the center's figures in Prometheus' text format.

Two kinds of figure:

- the center's, read from the database at each scrape (one for all workers): orders by
  status, the intake backlog and the age of its oldest payload per outside system (the
  intake lag), the outbox backlog and its oldest notification's age per channel, the
  change log's head, and whether this and next year's official holidays are loaded;
- each worker's own: the request latency histogram, wall screens connected to its live
  hub and the seq that hub has fanned out, and its database pool.

``dispatch-center serve`` with several workers sets ``PROMETHEUS_MULTIPROC_DIR`` (a fresh
directory under the data directory) before they start: each worker then writes its own
figures to a file there, and whichever worker answers a scrape adds them up (wall
clients and pool use summed, the hub seq the slowest worker's), so a scrape through the
proxy sees the whole host, not the worker it happened to reach.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center
from dispatch_center.reference.calendar import coverage
from dispatch_center.store import metrics as metric_store

#: Set (to an empty directory) before the workers start: their figures are then shared.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The exposition's content type (text format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Latency buckets (s): a command center's API answers in milliseconds; reports take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: How a gauge's per-worker values combine (live*: only running workers count).
Combine = Literal["livesum", "livemin"]

#: Per-worker gauges: name → (help, how workers' values combine).
PROCESS_GAUGES: dict[str, tuple[str, Combine]] = {
    "wall_clients": ("Wall screens connected to the live hubs", "livesum"),
    "wall_hub_seq": ("Last change-log seq fanned out to walls (the slowest worker's)", "livemin"),
    "wall_dropped_slow_clients": ("Wall connections dropped for not reading", "livesum"),
    "db_pool_size": ("Database connections the pools hold", "livesum"),
    "db_pool_in_use": ("Database connections lent out", "livesum"),
    "db_pool_max": ("Most connections the pools may hold", "livesum"),
    "db_pool_waiting": ("Requests waiting for a database connection", "livesum"),
}


@runtime_checkable
class MetricSource(Protocol):
    """A runtime on :attr:`Center.runtimes` (the wall's hub) that reports gauges by name
    (names of :data:`PROCESS_GAUGES`).
    """

    def metric_values(self) -> dict[str, float]:
        """Current values by gauge name."""


def share_between_workers(data_dir: Path) -> Path:
    """Make ``<data_dir>/metrics`` empty and name it in :data:`MULTIPROC_ENV` for the
    workers about to start (a figure left by an earlier run would be added in).

    Examples
    --------
    >>> import tempfile
    >>> d = share_between_workers(Path(tempfile.mkdtemp()))
    >>> os.environ[MULTIPROC_ENV] == str(d), list(d.iterdir())
    (True, [])
    >>> del os.environ[MULTIPROC_ENV]
    """
    shared = data_dir.resolve() / "metrics"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(shared)
    return shared


class _Families:
    """A collector that yields metric families made beforehand."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


class AppMetrics:
    """One app's request histogram and per-worker gauges.

    Examples
    --------
    >>> m = AppMetrics()
    >>> m.latency.labels("GET", "/healthz", "2xx").observe(0.002)
    >>> b"dispatch_http_request_duration_seconds_count" in generate_latest(m.registry)
    True
    """

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = CollectorRegistry()
        # Shared figures live in the directory's files, not in a registry of this process.
        owner = None if self.multiprocess else self.registry
        self.latency = Histogram(
            "dispatch_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=owner,
        )
        self.gauges = {
            name: Gauge(f"dispatch_{name}", text, multiprocess_mode=mode, registry=owner)
            for name, (text, mode) in PROCESS_GAUGES.items()
        }

    def sample(self, center: Center) -> None:
        """Set this worker's gauges from its pool and its runtimes."""
        stats = center.db.pool.get_stats()
        size = stats.get("pool_size", 0)
        values: dict[str, float] = {
            "db_pool_size": size,
            "db_pool_in_use": size - stats.get("pool_available", 0),
            "db_pool_max": stats.get("pool_max", 0),
            "db_pool_waiting": stats.get("requests_waiting", 0),
        }
        for runtime in center.runtimes:
            if isinstance(runtime, MetricSource):
                values.update(runtime.metric_values())
        for name, value in values.items():
            if name in self.gauges:
                self.gauges[name].set(value)


class RequestMetrics:
    """ASGI middleware timing each HTTP request into :attr:`AppMetrics.latency`.

    The route label is the matched route's template (``/api/v1/orders/{number}``), never
    the raw path, so the number of series stays bounded; an unmatched path is
    ``unmatched``.
    """

    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and observe how long it took."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.latency.labels(scope["method"], route, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )


def _gauge(name: str, text: str, label: str, rows: list[dict[str, Any]], key: str) -> Metric:
    family = GaugeMetricFamily(name, text, labels=[label])
    for row in rows:
        family.add_metric([str(row[label])], float(row[key] or 0))
    return family


async def center_families(center: Center) -> list[Metric]:
    """The center-wide figures, read from the database now."""
    async with center.db.connection() as conn:
        orders = await metric_store.orders_by_status(conn)
        intake = await metric_store.intake_backlog(conn)
        outbox = await metric_store.outbox_backlog(conn)
        head = await metric_store.change_log_head(conn)
    return [
        _gauge("dispatch_orders", "Work orders by status", "status", orders, "n"),
        _gauge(
            "dispatch_intake_pending",
            "Accepted intake payloads not yet processed, per outside system",
            "system",
            intake,
            "n",
        ),
        _gauge(
            "dispatch_intake_lag_seconds",
            "Age of the oldest unprocessed intake payload, per outside system",
            "system",
            intake,
            "oldest_s",
        ),
        _gauge(
            "dispatch_outbox_pending",
            "Notifications not yet sent, per channel",
            "channel",
            outbox,
            "n",
        ),
        _gauge(
            "dispatch_outbox_delay_seconds",
            "Age of the oldest unsent notification, per channel",
            "channel",
            outbox,
            "oldest_s",
        ),
        GaugeMetricFamily(
            "dispatch_change_log_seq", "Newest committed seq of the change log", value=head
        ),
        *calendar_families(center),
    ]


def calendar_families(center: Center) -> list[Metric]:
    """Whether this and next year's official holidays are loaded, and whether the
    headers warn about it (alert on ``dispatch_calendar_warning == 1``).
    """
    # The same reading as GET /api/v1/calendar/years, so the two never disagree.
    state = coverage(center)
    return [
        GaugeMetricFamily(
            "dispatch_calendar_current_year_covered",
            "1 if the current year's official holidays are loaded, else 0",
            value=float(state["current_year_covered"]),
        ),
        GaugeMetricFamily(
            "dispatch_calendar_next_year_covered",
            "1 if next year's official holidays are loaded, else 0 (deadlines reaching it"
            " are counted Monday-Friday and provisional)",
            value=float(state["next_year_covered"]),
        ),
        GaugeMetricFamily(
            "dispatch_calendar_warning",
            "1 while a year's holidays are missing within DISPATCH_CALENDAR_WARN_DAYS, else 0",
            value=float(state["warning"] is not None),
        ),
    ]


async def exposition(center: Center, metrics: AppMetrics) -> bytes:
    """The whole ``/metrics`` answer in Prometheus' text format.

    Examples
    --------
    >>> body = await exposition(center, app.state.metrics)  # doctest: +SKIP
    >>> b"dispatch_orders{status=" in body  # doctest: +SKIP
    True
    """
    families = await center_families(center)
    metrics.sample(center)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    if metrics.multiprocess:
        MultiProcessCollector(registry)
    else:
        registry.register(_Families(metrics.registry.collect()))
    return generate_latest(registry)


class MetricsSampler(BackgroundLoop):
    """With several workers: set this worker's gauges every few seconds, so a scrape
    answered by another worker adds up current values from every one.
    """

    name = "metrics sampler"

    def __init__(self, center: Center, metrics: AppMetrics, every_s: float = 5.0) -> None:
        super().__init__()
        self.center = center
        self.metrics = metrics
        self.every_s = every_s

    async def step(self) -> float:
        """Sample once."""
        self.metrics.sample(self.center)
        return self.every_s

    async def stop(self) -> None:
        """Stop sampling and take this worker's live gauges out of the shared figures."""
        await super().stop()
        mark_process_dead(os.getpid())
