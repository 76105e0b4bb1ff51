"""The demo's rescue teams: who is on shift in each scenario, and where they are at a time.

Each team runs the same sortie over and over: standing by at its base (在岗), driving to a
real Leshan place (出动), on scene there (到场), driving back (返回). Where a team is depends
only on the clock (not on a random generator or on when the demo started), so a position
report at any time follows on smoothly from the last one, across simulator windows too.
The payloads are in the emergency-management platform's format (``feeds.systems.emergency_mgmt``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from feeds.simkit import PLACES, Place, SimContext
from geo.distance import haversine_m

__all__ = ["TEAMS", "Team", "position_at", "team_reports", "teams_for"]

_BY_NAME = {p.name: p for p in PLACES}


@dataclass(frozen=True)
class Team:
    """A rescue team (救援队伍) and its demo sortie: base, destination, speed, dwell times."""

    code: str
    name: str
    kind_zh: str
    crew: int
    base: Place
    target: Place
    speed_kmh: float = 40.0
    standby_min: float = 12.0
    on_scene_min: float = 20.0
    offset_min: float = 0.0  # staggers the teams so the wall shows every state at once

    @property
    def leg_min(self) -> float:
        """Minutes of driving one way at the team's speed."""
        return max(1.0, distance_km(self.base, self.target) / self.speed_kmh * 60)

    @property
    def cycle_min(self) -> float:
        """Minutes of one sortie (stand by, out, on scene, back)."""
        return self.standby_min + self.leg_min + self.on_scene_min + self.leg_min


def _team(code: str, name: str, kind: str, crew: int, base: str, target: str, **kw: Any) -> Team:
    return Team(code, name, kind, crew, _BY_NAME[base], _BY_NAME[target], **kw)


TEAMS: tuple[Team, ...] = (
    _team(
        "SZ-XF-01",
        "市中区消防救援站",
        "消防救援",
        6,
        "市中区嘉定中路",
        "市中区张公桥好吃街",
        # The old town's narrow streets: a kilometre takes three minutes, not two.
        speed_kmh=20,
        standby_min=8,
    ),
    _team(
        "SZ-ZH-02",
        "市综合应急救援支队",
        "综合应急",
        10,
        "市中区肖坝旅游车站",
        "乐山大佛景区",
        speed_kmh=30,
        offset_min=15,
    ),
    _team(
        "WTQ-WH-01",
        "五通桥区危化救援队",
        "危化救援",
        8,
        "五通桥区竹根镇",
        "犍为县玉津镇",
        offset_min=30,
    ),
    _team(
        "EMS-SD-01",
        "峨眉山市山地救援队",
        "综合应急",
        12,
        "峨眉山报国寺",
        "峨眉山金顶",
        speed_kmh=20,
        offset_min=45,
    ),
)
FLOOD_TEAMS: tuple[Team, ...] = (
    _team(
        "SW-FX-01",
        "沙湾区防汛抢险队一组",
        "防汛抢险",
        15,
        "沙湾区沫若广场",
        "峨边县沙坪镇",
        on_scene_min=40,
    ),
    _team(
        "SW-FX-02",
        "沙湾区防汛巡查组",
        "防汛抢险",
        4,
        "沙湾区嘉农镇",
        "五通桥区竹根镇",
        speed_kmh=30,
        standby_min=5,
        on_scene_min=10,
        offset_min=20,
    ),
    _team(
        "JKH-FX-01",
        "金口河区防汛抢险队",
        "防汛抢险",
        12,
        "金口河区永和镇",
        "峨边县沙坪镇",
        on_scene_min=45,
        offset_min=10,
    ),
)


def teams_for(scenario: str) -> tuple[Team, ...]:
    """The teams on shift: a flood adds the flood patrols of 沙湾区 and 金口河区.

    Examples
    --------
    >>> [t.code for t in teams_for("flood")][-3:]
    ['SW-FX-01', 'SW-FX-02', 'JKH-FX-01']
    >>> len(teams_for("normal"))
    4
    """
    return TEAMS + FLOOD_TEAMS if scenario == "flood" else TEAMS


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance (haversine) between two places.

    Examples
    --------
    >>> round(distance_km(_BY_NAME["峨眉山报国寺"], _BY_NAME["峨眉山金顶"]), 1)
    12.7
    """
    return haversine_m(a.lon, a.lat, b.lon, b.lat) / 1000


def _bearing(a: Place, b: Place) -> float:
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dlo = math.radians(b.lon - a.lon)
    y = math.sin(dlo) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(dlo)
    return round((math.degrees(math.atan2(y, x)) + 360) % 360, 1)


def position_at(team: Team, epoch_s: float) -> dict[str, Any]:
    """Where the team is at a time: state (在岗/出动/到场/返回), lon, lat, heading, speed.

    Examples
    --------
    >>> t = TEAMS[3]  # 峨眉山市山地救援队: 报国寺 → 金顶
    >>> start = -t.offset_min * 60  # the start of a sortie
    >>> [position_at(t, start + m * 60)["zt"] for m in (0, 20, 60, 100)]
    ['在岗', '出动', '到场', '返回']
    >>> p = position_at(t, start + (t.standby_min + t.leg_min / 2) * 60)  # half way up
    >>> round(p["jd"], 3), round(p["wd"], 3), p["sd"]
    (103.388, 29.552, 20.0)
    """
    m = (epoch_s / 60 + team.offset_min) % team.cycle_min
    out_end = team.standby_min + team.leg_min
    back_start = out_end + team.on_scene_min
    if m < team.standby_min:
        state, frac, heading, speed = "在岗", 0.0, None, 0.0
    elif m < out_end:
        frac = (m - team.standby_min) / team.leg_min
        state, heading, speed = "出动", _bearing(team.base, team.target), float(team.speed_kmh)
    elif m < back_start:
        state, frac, heading, speed = "到场", 1.0, None, 0.0
    else:
        frac = 1.0 - (m - back_start) / team.leg_min
        state, heading, speed = "返回", _bearing(team.target, team.base), float(team.speed_kmh)
    lon = team.base.lon + (team.target.lon - team.base.lon) * frac
    lat = team.base.lat + (team.target.lat - team.base.lat) * frac
    return {"zt": state, "jd": round(lon, 6), "wd": round(lat, 6), "fx": heading, "sd": speed}


def team_reports(ctx: SimContext) -> list[dict[str, Any]]:
    """One position report per team on shift, at ``ctx.at``.

    Examples
    --------
    >>> import random
    >>> from datetime import datetime, timezone
    >>> ctx = SimContext(datetime(2026, 7, 12, 0, 0, tzinfo=timezone.utc), "flood",
    ...     random.Random(1))
    >>> r = team_reports(ctx)
    >>> len(r), r[4]["dwmc"], r[4]["dwsj"]
    (7, '沙湾区防汛抢险队一组', '2026-07-12 08:00:00')
    """
    epoch = ctx.at.timestamp()
    out = []
    for team in teams_for(ctx.scenario):
        pos = position_at(team, epoch)
        report: dict[str, Any] = {
            "dwbm": team.code,
            "dwmc": team.name,
            "dwlx": team.kind_zh,
            "zt": pos["zt"],
            "jd": pos["jd"],
            "wd": pos["wd"],
            "sd": pos["sd"],
            "dwsj": ctx.local(),
            "xzqh": team.base.adcode,
            "rs": team.crew,
        }
        if pos["fx"] is not None:  # a standing vehicle's terminal sends no heading
            report["fx"] = pos["fx"]
        out.append(report)
    return out
