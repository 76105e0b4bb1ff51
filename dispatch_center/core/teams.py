"""Field teams (救援队伍, patrols): the status a board shows and the nearest to a place.

A team's status is what its own system reports (在岗 standing by, 出动 on the way, 到场 on
scene, 返回 returning), unless the center knows better: a team the HQ has sent is 出动
until tracking sees it arrive (到场), and a team silent for longer than the center's
setting is 失联 (out of contact) whatever it last said.

Distances are straight lines (haversine) and say so: with no road network loaded, no
travel time is guessed.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from geo.distance import haversine_m

__all__ = [
    "NEAREST_MAX",
    "SCENE_RADIUS_M",
    "Near",
    "TeamStatus",
    "event_words",
    "nearest",
    "parse_fence",
    "scene_fence_code",
    "team_status",
    "warning_fence_code",
]

#: A team within this many metres of its task's place has arrived (with tracking's margin
#: and dwell against GPS jitter on top).
SCENE_RADIUS_M = 150.0
#: The most teams ``nearest`` suggests.
NEAREST_MAX = 20


class TeamStatus(StrEnum):
    """The statuses of the board (the value is the wire spelling, in Chinese as reported)."""

    standby = "在岗"
    dispatched = "出动"
    on_scene = "到场"
    returning = "返回"
    lost = "失联"


_REPORTED = {s.value: s for s in TeamStatus if s is not TeamStatus.lost}
_TASK = {"dispatched": TeamStatus.dispatched, "on_scene": TeamStatus.on_scene}


def team_status(
    reported: str | None,
    task_state: str | None,
    seen_at: datetime | None,
    now: datetime,
    lost_after_s: float,
) -> TeamStatus:
    """The board's status of one team.

    Parameters
    ----------
    reported : str or None
        The status the team's system last reported (在岗/出动/到场/返回).
    task_state : str or None
        The state of the team's task in progress (``dispatched``, ``on_scene``), if any.
    seen_at : datetime or None
        When the team last reported its position (None: never).
    now : datetime
        The current time.
    lost_after_s : float
        Seconds of silence after which the team is 失联.

    Returns
    -------
    TeamStatus

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2026, 7, 12, 8, 0, tzinfo=timezone.utc)
    >>> team_status("在岗", None, now - timedelta(seconds=30), now, 300).value
    '在岗'
    >>> team_status("在岗", "dispatched", now, now, 300).value
    '出动'
    >>> team_status("返回", "on_scene", now, now, 300).value
    '到场'
    >>> team_status("到场", "dispatched", now - timedelta(minutes=6), now, 300).value
    '失联'
    """
    if seen_at is None or (now - seen_at).total_seconds() > lost_after_s:
        return TeamStatus.lost
    if task_state in _TASK:
        return _TASK[task_state]
    return _REPORTED.get(reported or "", TeamStatus.standby)


@dataclass(frozen=True)
class Near:
    """A team and its straight-line distance to a place."""

    team: Mapping[str, Any]
    distance_m: float


def nearest(
    teams: Iterable[Mapping[str, Any]],
    lon: float,
    lat: float,
    n: int,
    *,
    available_only: bool = True,
) -> list[Near]:
    """The ``n`` teams nearest to (lon, lat) in a straight line, nearest first.

    ``teams`` are the board's items (``code``, ``status``, ``lon``, ``lat``, ``tasking``).
    With ``available_only`` a team already tasked or out of contact is left out: it
    cannot be sent.

    Examples
    --------
    >>> board = [
    ...     {"code": "A", "status": "在岗", "lon": 103.76, "lat": 29.55, "tasking": None},
    ...     {"code": "B", "status": "在岗", "lon": 103.50, "lat": 29.40, "tasking": None},
    ...     {"code": "C", "status": "失联", "lon": 103.761, "lat": 29.551, "tasking": None},
    ... ]
    >>> [(x.team["code"], round(x.distance_m)) for x in nearest(board, 103.77, 29.56, 5)]
    [('A', 1474), ('B', 31616)]
    """
    out = []
    for t in teams:
        if t.get("lon") is None or t.get("lat") is None:
            continue
        if available_only and (t.get("tasking") or t.get("status") == TeamStatus.lost):
            continue
        out.append(Near(t, haversine_m(float(t["lon"]), float(t["lat"]), lon, lat)))
    out.sort(key=lambda x: (x.distance_m, str(x.team.get("code"))))
    return out[: max(0, n)]


def warning_fence_code(key: str) -> str:
    """The fence code of a warning area (its live-layer key), told apart from a scene.

    Examples
    --------
    >>> warning_fence_code("warnings:51110041600000_20260712")
    'warning:warnings:51110041600000_20260712'
    """
    return f"warning:{key}"


def scene_fence_code(task_id: int) -> str:
    """The fence code of a task's scene.

    Examples
    --------
    >>> scene_fence_code(7)
    'scene:7'
    """
    return f"scene:{task_id}"


def parse_fence(code: str) -> tuple[str, str]:
    """(``scene`` or ``warning``, the rest) of a fence code.

    Examples
    --------
    >>> parse_fence("scene:7"), parse_fence("warning:warnings:X")
    (('scene', '7'), ('warning', 'warnings:X'))
    """
    kind, _, rest = code.partition(":")
    return kind, rest


def event_words(kind: str, fence_kind: str) -> str | None:
    """The timeline's words for a tracking event (None: not one the HQ follows).

    Examples
    --------
    >>> event_words("enter", "scene"), event_words("exit", "warning")
    ('到达现场', '驶离预警区域')
    >>> event_words("inside", "scene") is None
    True
    """
    words = {
        ("enter", "scene"): "到达现场",
        ("exit", "scene"): "离开现场",
        ("enter", "warning"): "进入预警区域",
        ("exit", "warning"): "驶离预警区域",
    }
    return words.get((kind, fence_kind))
