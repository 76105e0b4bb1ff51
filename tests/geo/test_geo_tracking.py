"""Geofence events for moving units: exact order of events, hysteresis against jitter."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from geo.tracking import EventKind, Fence, Fix, GeofenceTracker

# A 0.01° fence; its west edge is lon 103.0. 0.0001° of longitude ≈ 9.7 m here.
FENCE = Fence("F", "围栏", box(103.0, 29.0, 103.01, 29.01))
OTHER = Fence("G", "相邻围栏", box(103.01, 29.0, 103.02, 29.01))
Y = 29.005
IN = 103.0010  # ~97 m inside
OUT = 102.9990  # ~97 m outside
JIT_IN = 103.00005  # ~5 m inside: within the margin
JIT_OUT = 102.99995  # ~5 m outside: within the margin


def _fixes(*pts: tuple[float, float]) -> list[Fix]:
    return [Fix("u1", t, lon, Y) for t, lon in pts]


CASES = [
    ("first fix outside", dict(margin_m=15, dwell_s=10), [(0, OUT)], [("outside", "F", 0)]),
    ("first fix inside", dict(margin_m=15, dwell_s=10), [(0, IN)], [("inside", "F", 0)]),
    (
        "enter after dwell",
        dict(margin_m=15, dwell_s=10),
        [(0, OUT), (5, IN), (10, IN), (15, IN)],
        [("outside", "F", 0), ("enter", "F", 15)],
    ),
    (
        "short visit does not enter",
        dict(margin_m=15, dwell_s=10),
        [(0, OUT), (5, IN), (9, OUT), (30, OUT)],
        [("outside", "F", 0)],
    ),
    (
        "jitter at the border never flaps",
        dict(margin_m=15, dwell_s=10),
        [(0, OUT), (1, JIT_IN), (2, JIT_OUT), (3, JIT_IN), (4, JIT_OUT), (40, JIT_IN)],
        [("outside", "F", 0)],
    ),
    (
        "without hysteresis jitter flaps",
        dict(margin_m=0, dwell_s=0),
        [(0, OUT), (1, JIT_IN), (2, JIT_OUT), (3, JIT_IN)],
        [("outside", "F", 0), ("enter", "F", 1), ("exit", "F", 2), ("enter", "F", 3)],
    ),
    (
        "band fixes neither confirm nor cancel",
        dict(margin_m=15, dwell_s=10),
        [(0, OUT), (5, IN), (8, JIT_OUT), (16, IN)],
        [("outside", "F", 0), ("enter", "F", 16)],
    ),
    (
        "enter then exit",
        dict(margin_m=15, dwell_s=5),
        [(0, OUT), (10, IN), (15, IN), (20, OUT), (30, OUT)],
        [("outside", "F", 0), ("enter", "F", 15), ("exit", "F", 30)],
    ),
    (
        "steady reports",
        dict(margin_m=15, dwell_s=0, report_steady=True),
        [(0, IN), (1, IN), (2, OUT), (3, OUT)],
        [("inside", "F", 0), ("inside", "F", 1), ("exit", "F", 2), ("outside", "F", 3)],
    ),
]


@pytest.mark.parametrize(("name", "opts", "track", "expected"), CASES, ids=[c[0] for c in CASES])
def test_event_tables(name: str, opts: dict, track: list, expected: list) -> None:
    tr = GeofenceTracker([FENCE], **opts)
    got = [(e.kind.value, e.fence, e.t) for e in tr.track(_fixes(*track))]
    assert got == expected


def test_cross_when_passing_through_between_fixes() -> None:
    tr = GeofenceTracker([FENCE], margin_m=15, dwell_s=10)
    fixes = _fixes((0, OUT), (60, 103.02), (120, 103.03))
    assert [(e.kind, e.t) for e in tr.track(fixes)] == [
        (EventKind.outside, 0),
        (EventKind.cross, 60),
    ]


def test_two_fences_events_in_code_order_and_units_independent() -> None:
    tr = GeofenceTracker([OTHER, FENCE], margin_m=15, dwell_s=0)
    fixes = [Fix("a", 0, IN, Y), Fix("b", 0, 103.015, Y), Fix("a", 1, 103.015, Y)]
    got = [(e.unit_id, e.kind.value, e.fence, e.t) for e in tr.track(fixes)]
    assert got == [
        ("a", "inside", "F", 0),
        ("a", "outside", "G", 0),
        ("b", "outside", "F", 0),
        ("b", "inside", "G", 0),
        ("a", "exit", "F", 1),
        ("a", "enter", "G", 1),
    ]


def test_since_is_when_the_new_side_was_first_reached() -> None:
    tr = GeofenceTracker([FENCE], margin_m=15, dwell_s=10)
    events = tr.track(_fixes((0, OUT), (3, IN), (14, IN)))
    assert (events[-1].kind, events[-1].since, events[-1].t) == (EventKind.enter, 3, 14)


def test_bad_settings_refused() -> None:
    with pytest.raises(ValueError):
        GeofenceTracker([FENCE], margin_m=-1)
