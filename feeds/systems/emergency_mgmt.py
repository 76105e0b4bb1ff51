"""应急管理 — Emergency management: incident reports (fires, hazardous chemicals, accidents).

The payload is modelled on an emergency-management information platform's incident push
(事件等级 I–IV as in China's emergency-response law; pinyin field names); it is not a vendor
specification::

    {"sjid": "...", "sjmc": "...", "sjlx": "火灾|危化品|安全生产|自然灾害|交通事故",
     "sjdj": "IV", "fssj": "2026-11-27 09:30:00", "dd": "...", "jd": 103.8, "wd": 29.4,
     "xzqh": "511112", "swrs": 0, "ssrs": 2, "czzt": "处置中"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, Severity
from feeds.payload import as_mapping, choice, number, opt_point, opt_text, text, time_field
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

# I 特别重大 … IV 一般
GRADES = {
    "I": Severity.extreme,
    "II": Severity.extreme,
    "III": Severity.severe,
    "IV": Severity.moderate,
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """An incident → an ``emergency.incident`` event on the incidents layer.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"sjid": "E1", "sjmc": "仓库火灾", "sjlx": "火灾", "sjdj": "III",
    ...     "fssj": "2026-11-27 09:30:00", "dd": "五通桥区"},
    ...     received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
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


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """An incident; a flood brings natural-disaster reports in the flood counties."""
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
