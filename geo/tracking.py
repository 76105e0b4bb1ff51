"""Geofence events for moving units (patrols, vehicles): enter, exit, inside, outside, cross.

GPS jitter near a border must not flap, so a change of side needs both:

- **distance margin** (``margin_m``): a fix counts as inside only when it is at least
  ``margin_m`` inside the fence, and as outside only when at least ``margin_m`` outside it;
  fixes in the band between are ambiguous and neither start nor cancel a change;
- **dwell time** (``dwell_s``): the new side must hold for ``dwell_s`` seconds (from the first
  clear fix on that side to a later clear fix still on that side) before ``enter``/``exit``
  fires; a clear fix back on the old side cancels the pending change.

The first clear fix of a unit states where it is (``inside`` or ``outside``) without dwell.
``cross`` fires when a unit that stays outside passes clearly through a fence between two
fixes. With ``report_steady`` every clear fix on an unchanged side also reports ``inside`` /
``outside`` (Tile38's detect modes). Events of one fix come in fence-code order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geo.areas import Area

__all__ = ["EventKind", "Fence", "FenceEvent", "Fix", "GeofenceTracker"]

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


class EventKind(StrEnum):
    """Geofence results in plain words."""

    enter = "enter"
    exit = "exit"
    inside = "inside"
    outside = "outside"
    cross = "cross"


@dataclass(frozen=True, slots=True)
class Fix:
    """A position report of a unit: time in seconds (any epoch), WGS-84 lon/lat."""

    unit_id: str
    t: float
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class FenceEvent:
    """One event; ``since`` is when the unit first clearly reached the new side."""

    kind: EventKind
    unit_id: str
    fence: str
    t: float
    since: float


@dataclass(frozen=True, eq=False)
class Fence:
    """A polygonal geofence (any area, scenic zone, flood zone...)."""

    code: str
    name: str
    geometry: BaseGeometry

    @classmethod
    def from_area(cls, area: Area) -> Fence:
        """Use an administrative area as a fence."""
        return cls(area.code, area.name, area.geometry)


class _Side(StrEnum):
    inside = "inside"
    outside = "outside"
    band = "band"


@dataclass
class _State:
    side: _Side | None = None
    pending: _Side | None = None
    pending_since: float = 0.0
    last: Fix | None = None


class _MetricFence:
    """A fence on a local metric plane, with its shrunk and grown versions for the margin."""

    def __init__(self, fence: Fence, margin_m: float) -> None:
        self.code = fence.code
        lat0 = (fence.geometry.bounds[1] + fence.geometry.bounds[3]) / 2
        self.kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
        metric = shapely.transform(
            fence.geometry, lambda c: np.column_stack([c[:, 0] * self.kx, c[:, 1] * _M_PER_DEG_LAT])
        )
        self.inner = metric.buffer(-margin_m) if margin_m > 0 else metric
        self.outer = metric.buffer(margin_m) if margin_m > 0 else metric
        shapely.prepare(self.inner)
        shapely.prepare(self.outer)
        self.strict = margin_m > 0

    def xy(self, fix: Fix) -> tuple[float, float]:
        return fix.lon * self.kx, fix.lat * _M_PER_DEG_LAT

    def side(self, fix: Fix) -> _Side:
        x, y = self.xy(fix)
        if shapely.intersects_xy(self.inner, x, y):
            return _Side.inside
        if self.strict:
            return _Side.band if shapely.intersects_xy(self.outer, x, y) else _Side.outside
        return _Side.outside

    def passes_through(self, a: Fix, b: Fix) -> bool:
        return bool(self.inner.intersects(LineString([self.xy(a), self.xy(b)])))


class GeofenceTracker:
    """Turn a stream of fixes into geofence events, with hysteresis.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> fence = Fence("F", "区", box(103.0, 29.0, 103.1, 29.1))
    >>> tr = GeofenceTracker([fence], margin_m=20, dwell_s=10)
    >>> fixes = [Fix("u", 0, 102.99, 29.05), Fix("u", 5, 103.05, 29.05),
    ...          Fix("u", 15, 103.05, 29.05)]
    >>> [(e.kind.value, e.t) for e in tr.track(fixes)]
    [('outside', 0), ('enter', 15)]
    """

    def __init__(
        self,
        fences: Iterable[Fence],
        *,
        margin_m: float = 15.0,
        dwell_s: float = 10.0,
        report_steady: bool = False,
    ) -> None:
        if margin_m < 0 or dwell_s < 0:
            raise ValueError("margin_m and dwell_s must be >= 0")
        self.fences = [_MetricFence(f, margin_m) for f in sorted(fences, key=lambda f: f.code)]
        self.dwell_s = dwell_s
        self.report_steady = report_steady
        self._state: dict[tuple[str, str], _State] = {}

    def update(self, fix: Fix) -> list[FenceEvent]:
        """Feed one fix (in time order per unit); returns the events it causes."""
        events: list[FenceEvent] = []
        for fence in self.fences:
            st = self._state.setdefault((fix.unit_id, fence.code), _State())
            side = fence.side(fix)
            prev = st.last
            st.last = fix
            if side is _Side.band:
                continue
            if st.side is None:
                st.side = side
                events.append(self._event(EventKind(side.value), fix, fence.code, fix.t))
                continue
            if side is st.side:
                st.pending = None
                if (
                    side is _Side.outside
                    and prev is not None
                    and fence.side(prev) is _Side.outside
                    and fence.passes_through(prev, fix)
                ):
                    events.append(self._event(EventKind.cross, fix, fence.code, fix.t))
                elif self.report_steady:
                    events.append(self._event(EventKind(side.value), fix, fence.code, fix.t))
                continue
            if st.pending is not side:
                st.pending = side
                st.pending_since = fix.t
            if fix.t - st.pending_since >= self.dwell_s:
                st.side = side
                st.pending = None
                kind = EventKind.enter if side is _Side.inside else EventKind.exit
                events.append(self._event(kind, fix, fence.code, st.pending_since))
        return events

    def track(self, fixes: Iterable[Fix]) -> list[FenceEvent]:
        """Feed many fixes; all events in order."""
        out: list[FenceEvent] = []
        for f in fixes:
            out.extend(self.update(f))
        return out

    @staticmethod
    def _event(kind: EventKind, fix: Fix, fence: str, since: float) -> FenceEvent:
        return FenceEvent(kind, fix.unit_id, fence, fix.t, since)
