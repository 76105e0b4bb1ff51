"""A river back below its warning level after a flood alert: the one place where the intake
remembers a condition between payloads.

The rules (:func:`feeds.rules.apply_rules`) keep no state, so a gauge reading under the mark
cannot tell on its own whether it ends an alert. The live layers can: while a station's
``flood.alert`` stands there, a reading under the warning level is marked
``below_after_above`` and the rules end the alert and its condition. Pure: the caller hands
in the live layers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from dispatch_center.intake.events import layer_key
from feeds.base import FeedEvent, Layer, OrderDraft

#: The live layers' entries by (system, live-layer key), as :mod:`.layers` keeps them.
LayerEntries = Mapping[tuple[str, str], Mapping[str, Any]]


def alert_standing(layers: LayerEntries, system: str, station: str) -> bool:
    """Whether the live layers show ``station`` over its warning level (a ``flood.alert``
    not yet ended).

    Examples
    --------
    >>> alert = {"kind": "flood.alert", "values": {"station_code": "S1"}}
    >>> alert_standing({("hydrology", "warnings:S1"): alert}, "hydrology", "S1")
    True
    >>> ended = {"kind": "flood.alert", "values": {"ended": True}}
    >>> alert_standing({("hydrology", "warnings:S1"): ended}, "hydrology", "S1")
    False
    """
    entry = layers.get((system, layer_key(Layer.warnings, station)))
    if not entry or entry.get("kind") != "flood.alert":
        return False
    return not (entry.get("values") or {}).get("ended")


def mark_receded(item: FeedEvent | OrderDraft, layers: LayerEntries) -> FeedEvent | OrderDraft:
    """A gauge reading under its warning level while the station's flood alert still
    stands, marked ``below_after_above`` so the rules end the alert and its condition;
    anything else as it is.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> reading = FeedEvent("hydrology", "S1@t", "gauge.reading",
    ...     datetime(2026, 7, 1, tzinfo=timezone.utc), Layer.gauges,
    ...     values={"station_code": "S1", "level_m": 3.0, "warning_level_m": 4.0})
    >>> alert = {"kind": "flood.alert", "values": {}}
    >>> mark_receded(reading, {("hydrology", "warnings:S1"): alert}).values["below_after_above"]
    True
    >>> mark_receded(reading, {}) is reading
    True
    """
    if not isinstance(item, FeedEvent) or item.kind != "gauge.reading":
        return item
    v = item.values
    level, warning, station = v.get("level_m"), v.get("warning_level_m"), v.get("station_code")
    if level is None or warning is None or not station or level >= warning:
        return item
    if not alert_standing(layers, item.system, str(station)):
        return item
    return dataclasses.replace(item, values={**v, "below_after_above": True})
