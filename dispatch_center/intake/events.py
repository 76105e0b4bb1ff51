"""Feed events as the center keeps and announces them: their live-layer key, their stored
row, and the change-log entries that tell the wall about new ones.

The stored row keeps every value the source sent; the change-log entry, which fans out to
every wall, carries only the values declared public for the event's kind
(``dispatch_center.core.disclosure.public_event``).

Pure: no I/O here (processing stores the rows and appends the changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.core.disclosure import public_event
from dispatch_center.store.feed_events import EventRow
from feeds.base import FeedEvent, Layer, PublicValues
from feeds.registry import PUBLIC_VALUES

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
# The most events one feed.event change lists (a batch of more makes several changes).
CHANGE_EVENTS = 100
#: The change kinds that announce feed events (their payload lists them under ``events``).
EVENT_CHANGE_KINDS = frozenset({"feed.event", "cap.alert", MOVE})


def state_key(event: FeedEvent) -> str:
    """The live-layer key of an event: the thing it measures, else the event itself.

    Examples
    --------
    >>> from datetime import datetime, timezone
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


def event_row(event: FeedEvent) -> EventRow:
    """A normalized event as a row."""
    area = event.area.to_geojson() if event.area is not None and event.area.polygons else None
    return EventRow(
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


def change_view(r: EventRow, public_values: PublicValues = PUBLIC_VALUES) -> dict[str, Any]:
    """The wall's view of a new event (change-log payload): the values ``public_values``
    allows for its kind, text redacted.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> r = EventRow("police110", "M1", "linkage:M1", datetime(2026, 7, 1, tzinfo=timezone.utc),
    ...     "police110.transfer", "linkage", "minor", "110转办：噪音", None, None, None,
    ...     {"jjdbh": "J1", "bjr": "刘女士", "bjdh": "13881390021"})
    >>> change_view(r)["values"]
    {'jjdbh': 'J1'}
    """
    view = {
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
    return public_event(view, public_values)


def event_changes(
    fresh: Sequence[EventRow], public_values: PublicValues = PUBLIC_VALUES
) -> list[tuple[str, str, dict[str, Any]]]:
    """The change-log entries (kind, entity, payload) that announce newly stored events.

    Per system: each moving unit's newest position as a change of its own, keyed by the
    unit, so a slow wall's outbox replaces an unsent older position of that unit
    (``protocol.coalesce_key``) instead of queueing every report; then every other event,
    :data:`CHANGE_EVENTS` to a change (``cap.alert`` when the chunk holds a CAP warning).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 7, 1, tzinfo=timezone.utc)
    >>> def row(kind, key):
    ...     return EventRow("units", key + kind, key, at, kind, "units", "minor", "", None,
    ...         None, None, {})
    >>> [(k, e) for k, e, _ in event_changes([row(MOVE, "u1"), row("unit.status", "u1")])]
    [('unit.position', 'u1'), ('feed.event', 'units')]
    """
    out: list[tuple[str, str, dict[str, Any]]] = []
    by_system: dict[str, list[EventRow]] = {}
    for r in fresh:
        by_system.setdefault(r.system, []).append(r)
    for system, evs in by_system.items():
        moves = {e.key: e for e in sorted(evs, key=lambda e: e.at) if e.kind == MOVE}
        evs = [e for e in evs if e.kind != MOVE]
        for key, e in moves.items():
            view = change_view(e, public_values)
            out.append((MOVE, key, {"system": system, "count": 1, "events": [view]}))
        # Every new event is listed in some change: the wall draws what the deltas carry,
        # so an event left out of a change would only appear at the next snapshot. Chunks
        # keep each delta a reasonable size for the wall.
        for start in range(0, len(evs), CHANGE_EVENTS):
            chunk = evs[start : start + CHANGE_EVENTS]
            kind = "cap.alert" if any(e.kind == "cap.alert" for e in chunk) else "feed.event"
            payload = {
                "system": system,
                "count": len(chunk),
                "events": [change_view(e, public_values) for e in chunk],
            }
            out.append((kind, system, payload))
    return out
