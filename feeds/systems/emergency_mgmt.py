"""应急管理 — Emergency management: incident reports, and where the rescue teams are.

Two record types arrive on this system's push. Since the 2018 reform the flood-control HQ
(防汛抗旱指挥部办公室) sits in the emergency-management bureau, so the positions of its flood
patrols come here too, beside the fire-rescue and other rescue teams (救援队伍).

The payloads are modelled on an emergency-management information platform's pushes (事件等级
I–IV as in China's emergency-response law; pinyin field names); they are not a vendor
specification. An incident::

    {"sjid": "...", "sjmc": "...", "sjlx": "火灾|危化品|安全生产|自然灾害|交通事故",
     "sjdj": "IV", "fssj": "2026-11-27 09:30:00", "dd": "...", "jd": 103.8, "wd": 29.4,
     "xzqh": "511112", "swrs": 0, "ssrs": 2, "czzt": "处置中"}

A rescue team's position (救援力量定位; a record with ``dwbm`` instead of ``sjid``)::

    {"dwbm": "SW-FX-01", "dwmc": "沙湾区防汛抢险队一组", "dwlx": "防汛抢险", "zt": "出动",
     "jd": 103.55, "wd": 29.41, "fx": 135, "sd": 32.5, "dwsj": "2026-07-12 07:20:05",
     "xzqh": "511111", "rs": 8}

``zt`` is the team's state: 在岗 (standing by), 出动 (on the way), 到场 (on scene), 返回
(returning); ``fx`` the heading in degrees from north and ``sd`` the speed in km/h, when the
vehicle's terminal sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.payload import (
    as_mapping,
    choice,
    get,
    number,
    opt_point,
    opt_text,
    point,
    text,
    time_field,
)
from feeds.rescue_teams import team_reports
from feeds.simkit import FLOOD_PLACES, PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="emergency_mgmt",
    name_zh="应急管理",
    name_en="Emergency management",
    owner="市应急管理局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="workflow",
)

#: Incidents (type, grade, casualty counts, place) and the field units' positions.
PUBLIC_VALUES: PublicValues = {
    "emergency.incident": frozenset(
        {"type", "grade", "deaths", "injured", "status", "adcode", "address"}
    ),
    "unit.position": frozenset(
        {
            "unit_code",
            "name",
            "unit_kind",
            "unit_kind_zh",
            "status",
            "status_zh",
            "heading_deg",
            "speed_kmh",
            "crew",
            "adcode",
        }
    ),
}

# I 特别重大 … IV 一般
GRADES = {
    "I": Severity.extreme,
    "II": Severity.extreme,
    "III": Severity.severe,
    "IV": Severity.moderate,
}

# 队伍状态 → the wall's unit status
UNIT_STATUSES = {"在岗": "standby", "出动": "dispatched", "到场": "on_scene", "返回": "returning"}

# 队伍类型 → the wall's unit kind
UNIT_KINDS = {
    "消防救援": "fire",
    "防汛抢险": "flood",
    "地质灾害": "geohazard",
    "危化救援": "hazmat",
    "矿山救护": "mine",
    "医疗救护": "medical",
    "综合应急": "general",
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """An incident → an ``emergency.incident`` event; a team's position → ``unit.position``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"sjid": "E1", "sjmc": "仓库火灾", "sjlx": "火灾", "sjdj": "III",
    ...     "fssj": "2026-11-27 09:30:00", "dd": "五通桥区"},
    ...     received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    >>> u = normalize({"dwbm": "SW-FX-01", "dwmc": "沙湾区防汛抢险队一组", "dwlx": "防汛抢险",
    ...     "zt": "出动", "jd": 103.55, "wd": 29.41, "dwsj": "2026-07-12 07:20:05"},
    ...     received_at=datetime.now(timezone.utc))
    >>> u[0].kind, u[0].values["unit_code"], u[0].values["status"]
    ('unit.position', 'SW-FX-01', 'dispatched')
    """
    data = as_mapping(payload)
    if get(data, "dwbm", None) is not None:
        return [unit_position(data)]
    name = text(data, "sjmc")
    where = text(data, "dd")
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=text(data, "sjid"),
            kind="emergency.incident",
            occurred_at=time_field(data, "fssj"),
            layer=Layer.incidents,
            severity=choice(data, "sjdj", GRADES),
            location=opt_point(data, "jd", "wd", DESCRIPTOR.datum),
            title=f"{name}（{where}）",
            values={
                "type": text(data, "sjlx"),
                "grade": text(data, "sjdj"),
                "deaths": int(number(data, "swrs", 0, lo=0)),
                "injured": int(number(data, "ssrs", 0, lo=0)),
                "status": opt_text(data, "czzt"),
                "adcode": opt_text(data, "xzqh"),
                "address": where,
            },
        )
    ]


def unit_position(data: Mapping[str, Any]) -> FeedEvent:
    """A rescue team's position report → a ``unit.position`` event on the units layer.

    The event's ``source_id`` is the report (team and time), its ``unit_code`` the team:
    the live layer keeps one entry per team, the newest report.

    Examples
    --------
    >>> e = unit_position({"dwbm": "SZ-XF-01", "dwmc": "市中区消防救援站", "dwlx": "消防救援",
    ...     "zt": "到场", "jd": 103.761, "wd": 29.556, "fx": 90, "sd": 0,
    ...     "dwsj": "2026-11-27 09:41:00"})
    >>> e.source_id, e.values["status_zh"], e.values["heading_deg"], e.location.lat
    ('SZ-XF-01@2026-11-27T09:41:00+08:00', '到场', 90.0, 29.556)
    """
    code = text(data, "dwbm")
    name = text(data, "dwmc")
    status_zh = text(data, "zt")
    status = choice(data, "zt", UNIT_STATUSES)
    when = time_field(data, "dwsj")
    heading = get(data, "fx", None)
    speed = get(data, "sd", None)
    crew = get(data, "rs", None)
    return FeedEvent(
        system=DESCRIPTOR.system,
        source_id=f"{code}@{when.isoformat()}",
        kind="unit.position",
        occurred_at=when,
        layer=Layer.units,
        severity=Severity.minor,
        location=point(data, "jd", "wd", DESCRIPTOR.datum),
        title=name,
        values={
            "unit_code": code,
            "name": name,
            "unit_kind": choice(data, "dwlx", UNIT_KINDS),
            "unit_kind_zh": text(data, "dwlx"),
            "status": status,
            "status_zh": status_zh,
            "heading_deg": None if heading is None else number(data, "fx", lo=0, hi=360),
            "speed_kmh": None if speed is None else number(data, "sd", lo=0, hi=250),
            "crew": None if crew is None else int(number(data, "rs", lo=0, hi=500)),
            "adcode": opt_text(data, "xzqh"),
        },
    )


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """An incident; a flood brings natural-disaster reports in the flood counties.

    The teams' positions come from :func:`simulate_units` on their own schedule.
    """
    flood = ctx.scenario == "flood"
    p = ctx.place(FLOOD_PLACES if flood else PLACES)
    lon, lat = ctx.near(p, 2000)
    kind, name = (
        ("自然灾害", "山洪冲毁村道")
        if flood
        else ctx.rng.choice(
            [("火灾", "民房火灾"), ("交通事故", "货车侧翻"), ("安全生产", "工地脚手架坍塌")]
        )
    )
    return [
        {
            "sjid": ctx.ident("YJ"),
            "sjmc": name,
            "sjlx": kind,
            "sjdj": "III" if flood and ctx.progress > 0.5 else "IV",
            "fssj": ctx.local(900),
            "dd": p.name,
            "jd": lon,
            "wd": lat,
            "xzqh": p.adcode,
            "swrs": 0,
            "ssrs": ctx.rng.randint(0, 3),
            "czzt": "处置中",
        }
    ]


def simulate_units(ctx: SimContext) -> list[dict[str, Any]]:
    """Every on-shift team's position at ``ctx.at`` (one payload per team)."""
    return team_reports(ctx)
