"""Feed health shared by every worker, and its announcement on the wall.

Each worker writes its runner's health to ``feed_health`` every
``DISPATCH_FEED_HEALTH_FLUSH_S`` seconds (only the feeds that changed, and all of them once a
minute as a sign of life), and :meth:`FeedHealth.view` merges every worker's rows
(:func:`feeds.health.merge`) with this worker's own, current state. Health changes go into
the change log as ``feed.health`` rows (one row per evaluation pass that changed something,
announced once across workers through ``feed_health_announced``, never one per arrival) so
the wall sees a feed go down without polling.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center, publish_changes
from dispatch_center.intake.ingest import Ingest
from dispatch_center.store import changes
from dispatch_center.store import intake as intake_store
from feeds.health import MergedHealth, WorkerHealth, merge, worker_row

# Every worker rewrites all its health rows this often even when nothing changed, so a row
# older than HEALTH_LIVE_FOR belongs to a worker that stopped.
HEALTH_HEARTBEAT_S = 60.0
HEALTH_LIVE_FOR = timedelta(seconds=3 * HEALTH_HEARTBEAT_S)
HEALTH_FORGET_AFTER = timedelta(days=7)


class FeedHealth:
    """This worker's part of the shared feed health: what it wrote and what it announced."""

    def __init__(self, center: Center, ingest: Ingest) -> None:
        self.center = center
        self.ingest = ingest
        # The status of each feed this worker last saw announced.
        self.published: dict[str, str] = {}
        # What this worker last wrote to feed_health: the runner's version per feed.
        self.written: dict[str, int] = {}
        self.written_all_at: datetime | None = None

    async def write(self, *, force: bool = False) -> int:
        """Write this worker's health rows that changed (all of them on a heartbeat); how
        many.
        """
        now = self.center.now()
        runner = self.ingest.runner
        beat = self.written_all_at is None or (now - self.written_all_at).total_seconds() >= (
            HEALTH_HEARTBEAT_S
        )
        todo = [
            h for s, h in runner.health.items() if force or beat or self.written.get(s) != h.version
        ]
        if not todo:
            return 0
        worker = self.ingest.consumer_name
        rows = [vars(worker_row(h, worker, now)) for h in todo]
        async with self.center.db.connection() as conn, conn.transaction():
            await intake_store.health_write(conn, rows)
            if beat:
                await intake_store.health_prune(conn, now - HEALTH_FORGET_AFTER)
        for h in todo:
            self.written[h.system] = h.version
        if beat or force:
            self.written_all_at = now
        return len(todo)

    async def merged(self) -> dict[str, MergedHealth]:
        """Every feed's health across all workers, with this worker's current state in it."""
        now = self.center.now()
        async with self.center.db.connection() as conn:
            stored = await intake_store.health_rows(conn)
        me = self.ingest.consumer_name
        runner = self.ingest.runner
        # This worker's own row may be a few seconds old in the table: use the live one.
        rows = [WorkerHealth(**r) for r in stored if r["worker"] != me]
        rows += [worker_row(h, me, now) for h in runner.health.values()]
        return merge(rows, now, runner.policy, now - HEALTH_LIVE_FOR)

    async def publish(self) -> int | None:
        """Write one ``feed.health`` change row when any feed's merged status changed; its
        seq.
        """
        center = self.center
        merged = await self.merged()
        runner = self.ingest.runner
        for system, m in merged.items():
            if m.last_seen is not None and system in runner.health:
                runner.seen_elsewhere(system, m.last_seen, m.lag_s)
        # Evaluate the local runner too: it logs "failed" for a push feed gone silent, now
        # judged against the arrivals of every worker.
        runner.snapshot(now=center.now())
        snap = [m.to_dict() for m in merged.values()]
        changed = [h for h in snap if self.published.get(h["system"]) != h["status"]]
        if not changed:
            return None
        async with center.db.connection() as conn, conn.transaction():
            # Every worker sees the same merged change; the shared record lets only the
            # first one announce it.
            fresh = set(
                await intake_store.announce_health(
                    conn, {h["system"]: h["status"] for h in changed}, center.now()
                )
            )
            news = [h for h in changed if h["system"] in fresh]
            change = (
                await changes.append_change(
                    conn, center.now(), "feed.health", "feeds", {"feeds": news}
                )
                if news
                else None
            )
        for h in changed:
            self.published[h["system"]] = h["status"]
        if change is None:
            return None
        await publish_changes(center, [change])
        return change.seq

    async def view(self) -> dict[str, Any]:
        """``GET /api/v1/feeds``: every connected system, its descriptor and health.

        The health is merged from every worker (see :meth:`merged`), so the answer does
        not depend on which worker serves the request.
        """
        ingest = self.ingest
        merged = await self.merged()
        health = {s: m.to_dict() for s, m in merged.items()}
        out = []
        for desc in ingest.catalogue.descriptors():
            h = health.get(desc.system, {})
            out.append(
                {
                    **desc.to_dict(),
                    "status": h.get("status", "unknown"),
                    "last_seen": h.get("last_seen"),
                    "last_seen_at": h.get("last_seen"),
                    "lag_s": h.get("lag_s"),
                    "error_rate": h.get("error_rate", 0.0),
                    "consecutive_failures": h.get("consecutive_failures", 0),
                    "last_error": h.get("last_error"),
                    "push_url": f"/api/v1/feeds/{desc.system}/events",
                    "polled": desc.system in ingest.runner.fetchers,
                    "interval_s": ingest.runner.interval(desc.system),
                    "workers": h.get("workers", 0),
                }
            )
        return {"feeds": out, "intake": intake_view(ingest)}


def intake_view(ingest: Ingest) -> dict[str, Any]:
    """Queue and processing counters of this process."""
    s = ingest.stats
    queue = ingest.queue
    return {
        "backend": queue.backend,
        "queued": queue.pending.qsize() + queue.in_flight + queue.retrying,
        "capacity": queue.size,
        "processed_payloads": s.payloads,
        "events_new": s.events_new,
        "events_duplicate": s.events_duplicate,
        "orders_created": s.orders_created,
        "orders_existing": s.orders_existing,
        "mode_triggers": s.triggers,
        "dead_letters": s.dead,
        "errors": s.errors,
    }


class HealthPublisher(BackgroundLoop):
    """Every ``every`` seconds: write this worker's health, then announce what changed."""

    name = "feeds-health"

    def __init__(self, health: FeedHealth, every: float) -> None:
        super().__init__()
        self.health = health
        self.every = every
        self.retry_after = every

    async def step(self) -> float:
        """One write and one announcement; the pause until the next."""
        await self.health.write()
        await self.health.publish()
        return self.every
