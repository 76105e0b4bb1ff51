"""The live layers: the newest gauge, rain, camera, crowd and warning values, by thing.

Each process keeps a copy in memory (the wall's snapshot must not take a pool connection
for it): processing folds in what this process stored (:meth:`LiveLayers.changed`), and
:class:`LayerRefresh` reloads the table every :data:`LAYER_REFRESH_S` seconds for what other
workers stored. The copy holds every value (the intake's own rules read them); what leaves
(:meth:`LiveLayers.live`: the wall's snapshot, ``GET /api/v1/feeds/layers``) carries only
the values declared public for each kind, text redacted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center
from dispatch_center.core.disclosure import public_event
from dispatch_center.store import feed_events
from dispatch_center.store.feed_events import EventRow
from feeds.base import PublicValues
from feeds.registry import PUBLIC_VALUES

LAYER_REFRESH_S = 10.0
LAYER_WINDOW = timedelta(hours=24)
LAYER_LIMIT = 500  # entries per layer on the wall

Row = dict[str, Any]


def layer_entry(r: Row) -> Row:
    """A ``feed_layer_state`` row (or an event row's fields) as the wall draws it."""
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


def _live(entry: Row, now: datetime) -> bool:
    v = entry.get("values") or {}
    if entry["layer"] == "warnings" and entry["kind"] == "cap.alert":
        if v.get("msg_type") == "Cancel":
            return False
        expires = v.get("expires")
        if expires and datetime.fromisoformat(expires) <= now:
            return False
    return True


class LiveLayers:
    """This process's copy of the live layers: the newest entry per (system, key).

    ``public_values`` is what of each event kind :meth:`live` shows (the catalogue's
    allow-lists).
    """

    def __init__(self, public_values: PublicValues = PUBLIC_VALUES) -> None:
        self.entries: dict[tuple[str, str], Row] = {}
        self.public_values = public_values

    async def refresh(self, center: Center) -> None:
        """Reload the entries of the last :data:`LAYER_WINDOW` from the database."""
        async with center.db.connection() as conn:
            rows = await feed_events.layer_state(conn, center.now() - LAYER_WINDOW)
        self.entries = {(r["system"], r["key"]): layer_entry(r) for r in rows}

    def changed(self, rows: Sequence[EventRow]) -> None:
        """Fold newly stored events in (an older one than the entry changes nothing)."""
        for r in rows:
            old = self.entries.get((r.system, r.key))
            if old is not None and datetime.fromisoformat(old["at"]) > r.at:
                continue
            self.entries[(r.system, r.key)] = layer_entry(
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

    def live(self, now: datetime) -> dict[str, list[Row]]:
        """The live entries by layer name, newest first, :data:`LAYER_LIMIT` a layer (a
        cancelled or expired CAP warning is not live), as they may be shown: the values
        public for their kind, text redacted.
        """
        out: dict[str, list[Row]] = {}
        for entry in sorted(self.entries.values(), key=lambda e: e["at"], reverse=True):
            if not _live(entry, now):
                continue
            bucket = out.setdefault(entry["layer"], [])
            if len(bucket) < LAYER_LIMIT:
                bucket.append(public_event(entry, self.public_values))
        return out


class LayerRefresh(BackgroundLoop):
    """Reload the live layers every :data:`LAYER_REFRESH_S` seconds: other workers process
    other queue entries, and their layer updates arrive through here.
    """

    name = "feeds-layers"
    retry_after = LAYER_REFRESH_S

    def __init__(self, center: Center, layers: LiveLayers) -> None:
        super().__init__()
        self.center = center
        self.layers = layers

    async def prepare(self) -> None:
        """Wait one period first: the intake's start has just loaded the layers."""
        await asyncio.sleep(LAYER_REFRESH_S)

    async def step(self) -> float:
        """Reload the layers; the pause until the next reload."""
        await self.layers.refresh(self.center)
        return LAYER_REFRESH_S
