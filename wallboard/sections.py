"""The snapshot as named sections, each produced by a registered provider.

Orders, KPI figures, the mode, the feeds' health, the feed layers (field units among them)
and supervision sessions each come from one provider. A provider whose part of the center is
not built or not reachable yields its empty value (logged once), never an error: the wall must
come up with whatever exists. Other packages plug in with :func:`register_section`.

All database providers read inside one REPEATABLE READ transaction together with the
sequence number, so the snapshot is the state exactly at that ``seq``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from dispatch_center.center import Center
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.intake.runtime import feeds_view, live_layers
from dispatch_center.modeswitch import state as mode_state
from dispatch_center.store import changes as change_store
from dispatch_center.store import wallboard as store
from dispatch_center.supervision.sessions import live_sessions_snapshot
from feeds.registry import Catalogue
from wallboard.audience import CASE_LAYERS
from wallboard.protocol import mask, order_brief

log = logging.getLogger(__name__)

Row = dict[str, Any]


@dataclass(frozen=True)
class SnapshotContext:
    """What a provider may read: the center, the snapshot's connection, the time, and who
    reads (a provider yields only what ``scope`` may see: :mod:`dispatch_center.core.
    visibility`).
    """

    center: Center
    conn: psycopg.AsyncConnection[Row]
    now: datetime
    scope: Scope = CITY


Provider = Callable[[SnapshotContext], Awaitable[Any]]


@dataclass(frozen=True)
class Section:
    """A registered provider and the value it yields when unavailable."""

    name: str
    provider: Provider
    empty: Any


_SECTIONS: dict[str, Section] = {}
_FAILED_ONCE: set[str] = set()


def register_section(name: str, provider: Provider, empty: Any = None) -> None:
    """Add (or replace) the provider of section ``name``.

    Examples
    --------
    >>> async def duty_roster(ctx):
    ...     return []
    >>> register_section("duty_roster", duty_roster, empty=[])
    >>> "duty_roster" in _SECTIONS
    True
    >>> del _SECTIONS["duty_roster"]  # the example leaves the wall's sections as they were
    """
    _SECTIONS[name] = Section(name, provider, {} if empty is None else empty)


async def build_snapshot(center: Center, scope: Scope = CITY) -> tuple[int, dict[str, Any]]:
    """The sequence number and every section as ``scope`` may see it, read consistently.

    Examples
    --------
    >>> seq, sections = await build_snapshot(center)  # doctest: +SKIP
    >>> sorted(sections)  # doctest: +SKIP
    ['feed_layers', 'feeds', 'geography', 'kpi', 'mode', 'orders', 'supervision']
    """
    async with _SNAPSHOTS:
        await _prepare(center)
        return await _read_sections(center, scope)


# Snapshots at once per process: a reconnect storm (every wall after a restart) must
# not take the whole connection pool from the API.
_SNAPSHOTS = asyncio.Semaphore(4)


async def _prepare(center: Center) -> None:
    """Bring in-memory state current *before* the snapshot holds its connection (a
    provider taking a second pool connection inside it could deadlock the pool).
    """
    try:
        await mode_state.refresh(center)
    except Exception as exc:  # modes not available: the mode section says so
        log.debug("modes refresh before snapshot failed: %s", exc)


async def _read_sections(center: Center, scope: Scope) -> tuple[int, dict[str, Any]]:
    now = center.now()
    out: dict[str, Any] = {}
    async with center.db.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        seq = await change_store.last_seq(conn)
        ctx = SnapshotContext(center, conn, now, scope)
        for section in list(_SECTIONS.values()):
            out[section.name] = await _run(section, ctx)
    return seq, mask(out)


async def _run(section: Section, ctx: SnapshotContext) -> Any:
    try:
        # A savepoint per provider: one failing query must not abort the others' reads.
        async with ctx.conn.transaction():
            value = await section.provider(ctx)
        _FAILED_ONCE.discard(section.name)
        return value
    except Exception as exc:  # a missing or broken part yields its empty section
        if section.name not in _FAILED_ONCE:
            _FAILED_ONCE.add(section.name)
            log.warning("wallboard section %r unavailable: %s", section.name, exc)
        return section.empty


# -- the built-in providers ---------------------------------------------------------------


async def orders_section(ctx: SnapshotContext) -> list[dict[str, Any]]:
    """Open orders (those the reader may see) as map markers / queue rows."""
    return [order_brief(r) for r in await store.live_orders(ctx.conn, scope=ctx.scope)]


async def kpi_section(ctx: SnapshotContext) -> dict[str, Any]:
    """Today's intake, open and overdue by tier, on-time and satisfaction rates (30 days)."""
    day_start = ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    figures = await store.kpi_figures(
        ctx.conn, day_start, ctx.now, ctx.now - timedelta(days=30), ctx.scope
    )
    return {**figures, "as_of": ctx.now.isoformat(), "window_days": 30}


async def mode_section(ctx: SnapshotContext) -> dict[str, Any]:
    """The mode in force (headline, scope, since, the policy's wallboard layout)."""
    # In memory, refreshed by build_snapshot just before: no second pool connection here.
    view: dict[str, Any] = mode_state.mode_view(ctx.center)
    return view


async def feeds_section(ctx: SnapshotContext) -> list[dict[str, Any]]:
    """The health of every connected system, by system id (``unknown`` until its runner
    reports). The systems are the running intake's catalogue, else the default one
    (:class:`feeds.registry.Catalogue`).
    """
    got = await feeds_view(ctx.center)
    health = {str(f["system"]): f for f in got.get("feeds", [])}
    systems = [d.to_dict() for d in Catalogue.default().descriptors()]
    if health:
        systems = list(health.values())
    rows = []
    for d in sorted(systems, key=lambda d: str(d["system"])):
        h = health.get(d["system"], {})
        rows.append(
            {
                "system": d["system"],
                "name_zh": d.get("name_zh"),
                "name_en": d.get("name_en"),
                "owner": d.get("owner"),
                "mode": d.get("mode"),
                "status": h.get("status") or "unknown",
                "last_seen_at": h.get("last_seen_at"),
            }
        )
    return rows


async def feed_layers_section(ctx: SnapshotContext) -> dict[str, list[dict[str, Any]]]:
    """The live feed layers (gauges, cameras, crowds, CAP warnings), by layer name; the
    layers of citizens' cases only to the center's roles (:mod:`wallboard.audience`).
    """
    layers = live_layers(ctx.center)
    if ctx.scope.city_wide:
        return layers
    return {name: items for name, items in layers.items() if name not in CASE_LAYERS}


async def geography_section(ctx: SnapshotContext) -> dict[str, Any]:
    """The city and its counties (code, name) for filters and labels."""
    geo = ctx.center.geography
    return {
        "city": {"code": geo.city.code, "name": geo.city.name},
        "counties": [{"code": a.code, "name": a.name} for a in geo.counties],
    }


register_section("orders", orders_section, empty=[])
register_section("kpi", kpi_section, empty={})
register_section("mode", mode_section, empty={"mode": "normal"})
register_section("feeds", feeds_section, empty=[])
register_section("feed_layers", feed_layers_section, empty={})
register_section("geography", geography_section, empty={})


async def supervision_section(ctx: SnapshotContext) -> list[dict[str, Any]]:
    """Open video supervision sessions that concern the reader, and who is in them (read
    at the snapshot's seq).
    """
    sessions: list[dict[str, Any]] = await live_sessions_snapshot(ctx.center, ctx.conn, ctx.scope)
    return sessions


# Field units (rescue teams, patrols) have no section of their own: their positions are feed
# events on the units layer, so the snapshot's feed_layers["units"] holds one entry per unit
# and unit.position deltas update it, the same path as every other live layer.
register_section("supervision", supervision_section, empty=[])
