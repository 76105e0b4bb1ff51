"""地质灾害监测 — Geohazard monitoring: landslide points (crack meters, GNSS, rain gauges).

The payload is modelled on a provincial geohazard monitoring-and-warning platform push
(pinyin field names; 红橙黄蓝 warning levels as used by natural-resources departments); it is
not a vendor specification::

    {"jcdbh": "511111010023", "jcdmc": "...滑坡", "zhlx": "滑坡|崩塌|泥石流",
     "cgqlx": "裂缝计|GNSS|雨量计", "jcz": 12.6, "dw": "mm", "yjjb": "橙色",
     "jcsj": "2026-11-27 06:50:00", "jd": 103.55, "wd": 29.40, "xzqh": "511111", "wxrs": 35}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.payload import as_mapping, choice, number, opt_text, point, text, time_field
from feeds.simkit import FLOOD_PLACES, PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="geohazard",
    name_zh="地质灾害监测",
    name_en="Geohazard monitoring",
    owner="市自然资源和规划局",
    mode="poll",
    interval_s=600,
    datum="wgs84",
    source_kind="sensor",
)

#: Monitoring-point readings: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "geohazard.reading": frozenset(
        {
            "point_code",
            "hazard",
            "sensor",
            "value",
            "unit",
            "warning_level",
            "people_at_risk",
            "adcode",
            "address",
        }
    ),
}

LEVELS = {
    "无": Severity.minor,
    "蓝色": Severity.minor,
    "黄色": Severity.moderate,
    "橙色": Severity.severe,
    "红色": Severity.extreme,
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A monitoring-point reading → a ``geohazard.reading`` event (rules make orange/red orders).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"jcdbh": "1", "jcdmc": "嘉农滑坡", "zhlx": "滑坡", "cgqlx": "裂缝计",
    ...     "jcz": 12.6, "yjjb": "橙色", "jcsj": "2026-11-27 06:50:00", "jd": 103.55, "wd": 29.4},
    ...     received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
    name = text(data, "jcdmc")
    level = text(data, "yjjb", "无")
    sev = choice({"yjjb": level}, "yjjb", LEVELS)
    at_risk = int(number(data, "wxrs", 0, lo=0, hi=1_000_000))
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=f"{text(data, 'jcdbh')}@{text(data, 'jcsj')}",
            kind="geohazard.reading",
            occurred_at=time_field(data, "jcsj"),
            layer=Layer.geohazards,
            severity=sev,
            location=point(data, "jd", "wd", DESCRIPTOR.datum),
            title=f"{name}（{level}预警）" if level != "无" else name,
            values={
                "point_code": text(data, "jcdbh"),
                "hazard": text(data, "zhlx"),
                "sensor": text(data, "cgqlx"),
                "value": number(data, "jcz"),
                "unit": opt_text(data, "dw"),
                "warning_level": level,
                "people_at_risk": at_risk,
                "adcode": opt_text(data, "xzqh"),
                "address": name + (f"（威胁{at_risk}人）" if at_risk else ""),
            },
        )
    ]


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A reading; in a flood the points in 沙湾/峨边/金口河 climb through yellow to orange/red."""
    flood = ctx.scenario == "flood"
    p = ctx.place(FLOOD_PLACES if flood else PLACES)
    lon, lat = ctx.near(p, 3000)
    level = "无"
    if flood:
        level = (
            ("黄色", "橙色", "红色")[min(2, int(ctx.progress * 3))]
            if ctx.progress > 0.2
            else "蓝色"
        )
    value = round(ctx.rng.uniform(0.2, 2.0) + (25 * ctx.progress if flood else 0), 1)
    return [
        {
            "jcdbh": f"{p.adcode}0100{ctx.rng.randint(10, 99)}",
            "jcdmc": f"{p.name}后山滑坡",
            "zhlx": "滑坡",
            "cgqlx": "裂缝计",
            "jcz": value,
            "dw": "mm",
            "yjjb": level,
            "jcsj": ctx.local(),
            "jd": lon,
            "wd": lat,
            "xzqh": p.adcode,
            "wxrs": ctx.rng.randint(5, 80),
        }
    ]
