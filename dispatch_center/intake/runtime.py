"""The feeds as the rest of the center sees them: the running intake of this process, the
catalogue with each system's health, the live layers, and the dead letters.

One :class:`~dispatch_center.intake.ingest.Ingest` per process, started by the app's
lifespan with :func:`start_feeds`. Poll systems with a URL in the settings
(``DISPATCH_FEED_POLL__<SYSTEM>__URL``) are fetched by the ingest's runner, one worker at a
time (a lease in the database); their answers take the same path as pushed payloads.

Health is shared: each worker writes its runner's health to ``feed_health`` every
``DISPATCH_FEED_HEALTH_FLUSH_S`` seconds (only the feeds that changed, and all of them once a
minute as a sign of life), and :func:`feeds_view` merges every worker's rows
(:func:`feeds.health.merge`) with this worker's own, current state. Health changes go into
the change log as ``feed.health`` rows (one row per evaluation pass that changed something,
announced once across workers through ``feed_health_announced``,
never one per arrival) so the wall sees a feed go down without polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from dispatch_center.center import Center, publish_changes
from dispatch_center.errors import NotFound, Unavailable
from dispatch_center.intake import cap as cap_service
from dispatch_center.intake import police110 as linkage
from dispatch_center.intake.channels import CHANNELS, sms_sweep
from dispatch_center.intake.ingest import Ingest, layer_key
from dispatch_center.intake.poll import http_fetcher
from dispatch_center.store import changes, feed_events
from dispatch_center.store import intake as intake_store
from feeds.base import Layer
from feeds.health import MergedHealth, WorkerHealth, merge, worker_row

log = logging.getLogger(__name__)

# Every worker rewrites all its health rows this often even when nothing changed, so a row
# older than HEALTH_LIVE_FOR belongs to a worker that stopped.
HEALTH_HEARTBEAT_S = 60.0
HEALTH_LIVE_FOR = timedelta(seconds=3 * HEALTH_HEARTBEAT_S)
HEALTH_FORGET_AFTER = timedelta(days=7)
LAYER_REFRESH_S = 10.0
SWEEP_EVERY_S = 60.0
LAYER_WINDOW = timedelta(hours=24)
LAYER_LIMIT = 500  # entries per layer on the wall

Row = dict[str, Any]

_RUNNING: dict[int, _FeedState] = {}


class _FeedState:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest
        self.layers: dict[tuple[str, str], Row] = {}
        self.published: dict[str, str] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.http: httpx.AsyncClient | None = None
        # What this worker last wrote to feed_health: the runner's version per feed.
        self.written: dict[str, int] = {}
        self.written_all_at: datetime | None = None


def _state(center: Center) -> _FeedState:
    st = _RUNNING.get(id(center))
    if st is None:
        raise Unavailable("the feeds are not running in this process")
    return st


def ingest_of(center: Center) -> Ingest:
    """The running intake of ``center`` (503 when the feeds are not started)."""
    return _state(center).ingest


async def start_feeds(center: Center) -> Ingest:
    """Start the intake, its consumers and the health and layer tasks of this process."""
    ingest = Ingest(
        center,
        channels=CHANNELS,
        hooks={"weather_cap": cap_service.after_cap, "police110": linkage.after_incoming},
        prechecks={"police110": linkage.check_incoming},
    )
    st = _FeedState(ingest)
    configure_polls(center, st)
    _RUNNING[id(center)] = st
    await ingest.start()
    await _refresh_layers(center, st)
    st.tasks = [
        asyncio.create_task(_health_loop(center, st), name="feeds-health"),
        asyncio.create_task(_layer_loop(center, st), name="feeds-layers"),
        asyncio.create_task(_sweep_loop(center, st), name="feeds-sweep"),
    ]
    if ingest.runner.fetchers:
        st.tasks.append(asyncio.create_task(ingest.runner.run(), name="feeds-poll"))
    return ingest


def configure_polls(center: Center, st: _FeedState) -> None:
    """Give the runner an HTTP fetcher for every system with a poll URL in the settings.

    A system id that is not in the catalogue stops the start-up: a typo in the
    configuration must not leave a system silently unpolled.
    """
    polls = center.settings.feed_poll
    if not polls:
        return
    runner = st.ingest.runner
    unknown = sorted(set(polls) - set(st.ingest.catalogue))
    if unknown:
        raise ValueError(f"DISPATCH_FEED_POLL names systems not in the catalogue: {unknown}")
    # No client-wide timeout: each system's own applies (the runner's asyncio.timeout).
    st.http = httpx.AsyncClient(timeout=None, follow_redirects=True)
    for system, poll in polls.items():
        runner.add_poll(
            system,
            http_fetcher(st.http, poll.url, poll.headers()),
            interval_s=poll.interval_s,
            timeout_s=poll.timeout_s,
        )
        log.info("feed %s: polling %s every %g s", system, poll.url, runner.interval(system))
    worker = st.ingest.consumer_name

    async def claim(system: str, seconds: float) -> bool:
        now = center.now()
        async with center.db.connection() as conn:
            return await intake_store.poll_claim(
                conn, system, worker, now, now + timedelta(seconds=seconds)
            )

    runner.claim = claim


async def stop_feeds(center: Center) -> None:
    """Stop everything :func:`start_feeds` started."""
    st = _RUNNING.pop(id(center), None)
    if st is None:
        return
    for t in st.tasks:
        t.cancel()
    await asyncio.gather(*st.tasks, return_exceptions=True)
    try:
        await write_health(center, st, force=True)
        if st.ingest.runner.fetchers:
            async with center.db.connection() as conn:
                await intake_store.poll_release(conn, st.ingest.consumer_name)
    except Exception as exc:  # stopping must finish even with the database gone
        log.warning("feed health not written at stop: %s", exc)
    if st.http is not None:
        await st.http.aclose()
    await st.ingest.stop()


# -- catalogue and health -------------------------------------------------------------------


async def write_health(center: Center, st: _FeedState, *, force: bool = False) -> int:
    """Write this worker's health rows that changed (all of them on a heartbeat); how many."""
    now = center.now()
    runner = st.ingest.runner
    beat = st.written_all_at is None or (now - st.written_all_at).total_seconds() >= (
        HEALTH_HEARTBEAT_S
    )
    todo = [h for s, h in runner.health.items() if force or beat or st.written.get(s) != h.version]
    if not todo:
        return 0
    worker = st.ingest.consumer_name
    rows = [vars(worker_row(h, worker, now)) for h in todo]
    async with center.db.connection() as conn, conn.transaction():
        await intake_store.health_write(conn, rows)
        if beat:
            await intake_store.health_prune(conn, now - HEALTH_FORGET_AFTER)
    for h in todo:
        st.written[h.system] = h.version
    if beat or force:
        st.written_all_at = now
    return len(todo)


async def merged_health(center: Center, st: _FeedState) -> dict[str, MergedHealth]:
    """Every feed's health across all workers, with this worker's current state in it."""
    now = center.now()
    async with center.db.connection() as conn:
        stored = await intake_store.health_rows(conn)
    me = st.ingest.consumer_name
    runner = st.ingest.runner
    # This worker's own row may be a few seconds old in the table: use the live one.
    rows = [WorkerHealth(**r) for r in stored if r["worker"] != me]
    rows += [worker_row(h, me, now) for h in runner.health.values()]
    return merge(rows, now, runner.policy, now - HEALTH_LIVE_FOR)


async def feeds_view(center: Center) -> dict[str, Any]:
    """``GET /api/v1/feeds``: every connected system, its descriptor and health.

    The health is merged from every worker (see :func:`merged_health`), so the answer does
    not depend on which worker serves the request.
    """
    st = _RUNNING.get(id(center))
    if st is None:
        return {"feeds": []}
    ingest = st.ingest
    merged = await merged_health(center, st)
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
    return {
        "backend": "redis-streams" if ingest.redis_url else "postgres-queue",
        "queued": ingest.queue.qsize() + ingest.in_flight,
        "capacity": ingest.queue_size,
        "processed_payloads": s.payloads,
        "events_new": s.events_new,
        "events_duplicate": s.events_duplicate,
        "orders_created": s.orders_created,
        "orders_existing": s.orders_existing,
        "mode_triggers": s.triggers,
        "dead_letters": s.dead,
        "errors": s.errors,
    }


async def publish_health(center: Center, st: _FeedState) -> int | None:
    """Write one ``feed.health`` change row when any feed's merged status changed; its seq."""
    merged = await merged_health(center, st)
    runner = st.ingest.runner
    for system, m in merged.items():
        if m.last_seen is not None and system in runner.health:
            runner.seen_elsewhere(system, m.last_seen, m.lag_s)
    # Evaluate the local runner too: it logs "failed" for a push feed gone silent, now
    # judged against the arrivals of every worker.
    runner.snapshot(now=center.now())
    snap = [m.to_dict() for m in merged.values()]
    changed = [h for h in snap if st.published.get(h["system"]) != h["status"]]
    if not changed:
        return None
    async with center.db.connection() as conn, conn.transaction():
        # Every worker sees the same merged change; the shared record lets only the first
        # one announce it.
        fresh = set(
            await intake_store.announce_health(
                conn, {h["system"]: h["status"] for h in changed}, center.now()
            )
        )
        news = [h for h in changed if h["system"] in fresh]
        change = (
            await changes.append_change(conn, center.now(), "feed.health", "feeds", {"feeds": news})
            if news
            else None
        )
    for h in changed:
        st.published[h["system"]] = h["status"]
    if change is None:
        return None
    await publish_changes(center, [change])
    return change.seq


async def _health_loop(center: Center, st: _FeedState) -> None:
    every = center.settings.feed_health_flush_s
    while True:
        try:
            await write_health(center, st)
            await publish_health(center, st)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("feed health publication failed: %s", exc)
        await asyncio.sleep(every)


async def _sweep_loop(center: Center, st: _FeedState) -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await sms_sweep(center, st.ingest.create_order)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("SMS sweep failed: %s", exc)


# -- live layers -----------------------------------------------------------------------------


def _layer_entry(r: Row) -> Row:
    at = r["at"]
    return {
        "system": r["system"],
        "key": r["key"],
        "layer": r["layer"],
        "kind": r["kind"],
        "at": at.isoformat() if isinstance(at, datetime) else at,
        "severity": r["severity"],
        "title": r["title"],
        "lon": r["lon"],
        "lat": r["lat"],
        "area": r["area"],
        "values": r.get("data") if "data" in r else r.get("values"),
    }


async def _refresh_layers(center: Center, st: _FeedState) -> None:
    async with center.db.connection() as conn:
        rows = await feed_events.layer_state(conn, center.now() - LAYER_WINDOW)
    st.layers = {(r["system"], r["key"]): _layer_entry(r) for r in rows}


async def _layer_loop(center: Center, st: _FeedState) -> None:
    # Other workers process other stream entries: their layer updates arrive through here.
    while True:
        await asyncio.sleep(LAYER_REFRESH_S)
        try:
            await _refresh_layers(center, st)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("layer refresh failed: %s", exc)


def flood_alert_standing(center: Center, system: str, station: str) -> bool:
    """Whether this worker's live layers show ``station`` over its warning level (a
    ``flood.alert`` not yet ended): the rules keep no state, so the intake asks here
    whether a reading under the mark ends an alert."""
    st = _RUNNING.get(id(center))
    entry = st.layers.get((system, layer_key(Layer.warnings, station))) if st is not None else None
    if not entry or entry.get("kind") != "flood.alert":
        return False
    return not (entry.get("values") or {}).get("ended")


def layers_changed(center: Center, rows: Sequence[feed_events.EventRow]) -> None:
    """Fold newly stored events into this process's copy of the live layers."""
    st = _RUNNING.get(id(center))
    if st is None:
        return
    for r in rows:
        old = st.layers.get((r.system, r.key))
        if old is not None and datetime.fromisoformat(old["at"]) > r.at:
            continue
        st.layers[(r.system, r.key)] = _layer_entry(
            {
                "system": r.system,
                "key": r.key,
                "layer": r.layer,
                "kind": r.kind,
                "at": r.at,
                "severity": r.severity,
                "title": r.title,
                "lon": r.lon,
                "lat": r.lat,
                "area": r.area,
                "data": dict(r.data),
            }
        )


def _live(entry: Row, now: datetime) -> bool:
    v = entry.get("values") or {}
    if entry["layer"] == "warnings" and entry["kind"] == "cap.alert":
        if v.get("msg_type") == "Cancel":
            return False
        expires = v.get("expires")
        if expires and datetime.fromisoformat(expires) <= now:
            return False
    return True


def live_layers(center: Center) -> dict[str, list[Row]]:
    """The live layers (gauges, rain, cameras, crowds, CAP warnings ...) by layer name.

    In memory: the wall's snapshot must not take a pool connection for it.
    """
    st = _RUNNING.get(id(center))
    if st is None:
        return {}
    now = center.now()
    out: dict[str, list[Row]] = {}
    for entry in sorted(st.layers.values(), key=lambda e: e["at"], reverse=True):
        if not _live(entry, now):
            continue
        bucket = out.setdefault(entry["layer"], [])
        if len(bucket) < LAYER_LIMIT:
            bucket.append(entry)
    return out


# -- dead letters ------------------------------------------------------------------------------


def dead_letter_view(r: Row) -> Row:
    """A dead letter as an admin sees it (the payload as text when it is text)."""
    raw = bytes(r["payload"])
    try:
        body: str | None = raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        import base64

        body, encoding = base64.b64encode(raw).decode(), "base64"
    return {
        "id": str(r["id"]),
        "system": r["system"],
        "received_at": r["received_at"].isoformat(),
        "content_type": r["content_type"],
        "error": r["error"],
        "field": r["field"],
        "size": len(raw),
        "payload": body,
        "payload_encoding": encoding,
        "replayed_at": r["replayed_at"].isoformat() if r["replayed_at"] else None,
        "replay_result": r["replay_result"],
    }


async def list_dead_letters(
    center: Center,
    *,
    system: str | None = None,
    include_replayed: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Dead letters, newest first (open ones unless ``include_replayed``)."""
    async with center.db.connection() as conn:
        rows = await intake_store.dead_letters(
            conn, system=system, include_replayed=include_replayed, before_id=before_id, limit=limit
        )
    items = [dead_letter_view(r) for r in rows]
    return {
        "dead_letters": items,
        "next_before_id": items[-1]["id"] if len(items) == limit else None,
    }


async def replay_dead_letter(center: Center, dead_id: int, fixed: bytes | None) -> dict[str, Any]:
    """Put a dead letter (or its corrected payload) through the intake again.

    Still bad: 422 naming the field, and the letter stays open. Good: accepted (and then
    processed like any payload: a repeat of something already processed creates nothing).
    """
    ingest = ingest_of(center)
    async with center.db.connection() as conn:
        row = await intake_store.dead_letter_get(conn, dead_id)
    if row is None:
        raise NotFound(f"no dead letter {dead_id}")
    if row["replayed_at"] is not None:
        from dispatch_center.errors import Conflict

        raise Conflict(f"dead letter {dead_id} was replayed at {row['replayed_at'].isoformat()}")
    payload = fixed if fixed else bytes(row["payload"])
    got = await ingest.accept(row["system"], payload, row["content_type"], replay=True)
    async with center.db.connection() as conn:
        await intake_store.dead_letter_replayed(
            conn, dead_id, center.now(), "replayed (corrected payload)" if fixed else "replayed"
        )
    return {**got, "dead_letter_id": str(dead_id)}
