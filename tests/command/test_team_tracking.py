"""Tracking the teams (``dispatch_center.command.tracking``): which fences are watched for
whom, and the exact events a team's reports make, as a table of cases (Tile38's style).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch_center.command.tracking import TeamTracking, fixes_of, scene_circle
from dispatch_center.core.teams import event_words, parse_fence
from geo.tracking import Fix

NOW = datetime(2026, 7, 12, 8, 0, tzinfo=UTC)
# A warning area: a box over 沙湾区's riverside, 103.54-103.56 E, 29.40-29.42 N.
BOX = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[103.54, 29.40], [103.56, 29.40], [103.56, 29.42], [103.54, 29.42], [103.54, 29.40]]]
    ],
}
WARNING = {"key": "warnings:W1", "title": "暴雨红色预警", "area": BOX, "data": {}}
TASK = {"id": 7, "team_code": "A", "lon": 103.60, "lat": 29.45, "place": "沙湾区嘉农镇"}


def run(fixes: list[tuple[str, float, float, float]], **kw: object) -> list[tuple[str, str, str]]:
    tr = TeamTracking()
    tr.sync(kw.get("tasks", [TASK]), kw.get("warnings", [WARNING]), NOW)  # type: ignore[arg-type]
    got = tr.track([Fix(u, t, lon, lat) for u, t, lon, lat in fixes])
    return [(e.unit_id, e.kind.value, e.fence) for e, _ in got]


@pytest.mark.parametrize(
    ("fixes", "expected"),
    [
        # The tasked team drives to its scene: outside, then it arrives.
        (
            [("A", 0, 103.50, 29.45), ("A", 120, 103.60, 29.45)],
            [
                ("A", "outside", "scene:7"),
                ("A", "outside", "warning:warnings:W1"),
                ("A", "enter", "scene:7"),
            ],
        ),
        # Another team passing the scene is not watched there.
        (
            [("B", 0, 103.60, 29.45)],
            [("B", "outside", "warning:warnings:W1")],
        ),
        # A team leaves the warning area.
        (
            [("B", 0, 103.55, 29.41), ("B", 120, 103.58, 29.41)],
            [("B", "inside", "warning:warnings:W1"), ("B", "exit", "warning:warnings:W1")],
        ),
        # GPS jitter 10 m across the edge (inside the 20 m margin) changes nothing.
        (
            [("B", 0, 103.55, 29.41), ("B", 60, 103.5601, 29.41), ("B", 120, 103.5599, 29.41)],
            [("B", "inside", "warning:warnings:W1")],
        ),
    ],
)
def test_events_of_reports(
    fixes: list[tuple[str, float, float, float]], expected: list[tuple[str, str, str]]
) -> None:
    assert run(fixes) == expected


def test_cancelled_and_expired_warnings_are_not_fences() -> None:
    cancelled = {**WARNING, "key": "warnings:W2", "data": {"msg_type": "Cancel"}}
    expired = {
        **WARNING,
        "key": "warnings:W3",
        "data": {"expires": (NOW - timedelta(minutes=1)).isoformat()},
    }
    tr = TeamTracking()
    tr.sync([], [WARNING, cancelled, expired], NOW)
    assert sorted(tr.watches) == ["warning:warnings:W1"]


def test_a_finished_task_stops_being_watched() -> None:
    tr = TeamTracking()
    tr.sync([TASK], [], NOW)
    assert list(tr.watches) == ["scene:7"]
    tr.sync([], [], NOW)
    assert tr.watches == {}


def test_scene_circle_has_its_radius_in_metres() -> None:
    c = scene_circle(103.60, 29.45, 150)
    # 140 m east and north are inside; 160 m are not (1° lon ≈ 96.9 km at 29.45° N).
    assert c.contains_properly(scene_circle(103.60 + 140 / 96_900, 29.45, 1))
    assert not c.intersects(scene_circle(103.60 + 160 / 96_900, 29.45, 1))
    assert c.contains_properly(scene_circle(103.60, 29.45 + 140 / 110_574, 1))


def test_only_position_reports_are_fixes() -> None:
    from feeds.systems.emergency_mgmt import normalize

    pos = normalize(
        {
            "dwbm": "A",
            "dwmc": "队",
            "dwlx": "防汛抢险",
            "zt": "出动",
            "jd": 103.55,
            "wd": 29.41,
            "dwsj": "2026-07-12 07:20:05",
        },
        received_at=NOW,
    )
    incident = normalize(
        {
            "sjid": "E1",
            "sjmc": "火灾",
            "sjlx": "火灾",
            "sjdj": "III",
            "fssj": "2026-07-12 07:20:00",
            "dd": "五通桥区",
        },
        received_at=NOW,
    )
    fixes = fixes_of([*pos, *incident])
    assert [(f.unit_id, f.lon, f.lat) for f in fixes] == [("A", 103.55, 29.41)]


def test_the_timeline_words() -> None:
    assert event_words("enter", parse_fence("scene:7")[0]) == "到达现场"
    assert event_words("exit", parse_fence("warning:warnings:W1")[0]) == "驶离预警区域"
