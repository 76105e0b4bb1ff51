"""One feed's health merged from every worker's runner (pure: rows in, a view out).

Each worker's :class:`~feeds.runner.FeedRunner` sees only the arrivals and polls of its own
process. The workers write their health rows to a shared place now and then; this module
merges them so that every worker answers ``GET /api/v1/feeds`` alike:

- ``last_seen`` is the newest arrival anywhere, and ``lag_s`` the lag of that arrival;
- the error rate is failures over attempts summed across the live workers' windows;
- the failure streak and last error are those of the worker that tried last;
- a worker that stopped writing (``updated_at`` before ``live_after``) still counts for
  ``last_seen`` (the data did arrive) but no longer for the error rate or the streak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from feeds.runner import FeedHealth, HealthPolicy, Status, assess

__all__ = ["MergedHealth", "WorkerHealth", "merge", "worker_row"]


@dataclass(frozen=True)
class WorkerHealth:
    """One worker's health of one feed, as written to the shared place."""

    system: str
    worker: str
    mode: str
    interval_s: float
    watched_since: datetime
    last_seen: datetime | None
    last_attempt: datetime | None
    lag_s: float | None
    last_error: str | None
    consecutive_failures: int
    attempts: int
    failures: int
    updated_at: datetime


@dataclass(frozen=True)
class MergedHealth:
    """The health of one feed across all workers (fits :class:`feeds.runner.HealthFacts`)."""

    system: str
    mode: str
    interval_s: float
    watched_since: datetime
    last_seen: datetime | None
    lag_s: float | None
    last_error: str | None
    consecutive_failures: int
    attempts: int
    failures: int
    workers: int
    status: Status = Status.unknown

    @property
    def error_rate(self) -> float:
        """Failed attempts over attempts, across the live workers (0 with no attempts)."""
        return self.failures / self.attempts if self.attempts else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``GET /api/v1/feeds`` (the keys of ``FeedHealth.to_dict``)."""
        return {
            "system": self.system,
            "mode": self.mode,
            "status": str(self.status),
            # In UTC like the runner's own view, whichever worker's clock or database
            # session time zone the instant came through.
            "last_seen": self.last_seen.astimezone(UTC).isoformat() if self.last_seen else None,
            "lag_s": None if self.lag_s is None else round(self.lag_s, 1),
            "error_rate": round(self.error_rate, 3),
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "workers": self.workers,
        }


def worker_row(h: FeedHealth, worker: str, now: datetime) -> WorkerHealth:
    """What one runner writes for one feed at ``now``."""
    return WorkerHealth(
        system=h.system,
        worker=worker,
        mode=h.mode,
        interval_s=h.interval_s,
        watched_since=h.watched_since,
        last_seen=h.last_seen,
        last_attempt=h.last_attempt,
        lag_s=h.lag_s,
        last_error=h.last_error,
        consecutive_failures=h.consecutive_failures,
        attempts=len(h.attempts),
        failures=h.failures_in_window,
        updated_at=now,
    )


def merge(
    rows: Iterable[WorkerHealth], now: datetime, policy: HealthPolicy, live_after: datetime
) -> dict[str, MergedHealth]:
    """Merge workers' rows into one health per system, evaluated at ``now``.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> t = datetime(2026, 11, 27, 8, tzinfo=UTC)
    >>> a = WorkerHealth("gas", "w1", "push", 600, t, t, t, 5.0, None, 0, 4, 0, t)
    >>> b = WorkerHealth("gas", "w2", "push", 600, t, t + timedelta(seconds=30),
    ...     t + timedelta(seconds=60), 9.0, "alarmType: ??", 0, 4, 2, t)
    >>> m = merge([a, b], t + timedelta(seconds=90), HealthPolicy(), t)["gas"]
    >>> m.last_seen == t + timedelta(seconds=30), m.lag_s, m.error_rate, str(m.status)
    (True, 9.0, 0.25, 'degraded')
    """
    by_system: dict[str, list[WorkerHealth]] = {}
    for r in rows:
        by_system.setdefault(r.system, []).append(r)
    out: dict[str, MergedHealth] = {}
    for system, group in by_system.items():
        live = [r for r in group if r.updated_at >= live_after]
        seen = [r for r in group if r.last_seen is not None]
        newest = max(seen, key=lambda r: r.last_seen or now) if seen else None
        tried = [r for r in live if r.last_attempt is not None]
        latest = max(tried, key=lambda r: r.last_attempt or now) if tried else None
        # Configuration is the same in every worker; the freshest row says it.
        config = max(group, key=lambda r: r.updated_at)
        merged = MergedHealth(
            system=system,
            mode=config.mode,
            interval_s=config.interval_s,
            watched_since=min(r.watched_since for r in (live or group)),
            last_seen=newest.last_seen if newest else None,
            lag_s=newest.lag_s if newest else None,
            last_error=latest.last_error if latest else None,
            consecutive_failures=latest.consecutive_failures if latest else 0,
            attempts=sum(r.attempts for r in live),
            failures=sum(r.failures for r in live),
            workers=len(live),
        )
        out[system] = replace(merged, status=assess(merged, now, policy))
    return out
