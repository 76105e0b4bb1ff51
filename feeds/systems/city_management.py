"""数字城管 — Digital city management: cases found by supervisors, and cases sent to 12345.

The payload is modelled on the digital city-management standard's case record (GB/T 30428
大类/小类 classes, pinyin field names); it is not a vendor specification::

    {"ajbh": "2026112700123", "ajly": "监督员上报", "dlmc": "市容环境", "xlmc": "暴露垃圾",
     "wtms": "...", "dz": "...", "x": 103.76, "y": 29.55, "sbsj": "2026-11-27 08:40:00",
     "ajzt": "已立案", "zj12345": 0}

Cases stay in the city-management system (a live layer); a case marked ``zj12345`` = 1 (the
city-management centre hands it to the hotline, e.g. no unit of its own is responsible)
becomes an order draft.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.drafting import hotline_draft
from feeds.payload import as_mapping, number, opt_text, point, text, time_field
from feeds.simkit import PLACES, SimContext
from geo.datum import wgs84_to_gcj02

DESCRIPTOR = FeedDescriptor(
    system="city_management",
    name_zh="数字城管",
    name_en="Digital city management",
    owner="市城市管理局",
    mode="push",
    interval_s=1800,
    datum="gcj02",
    source_kind="workflow",
)

#: What of a case may leave the center: its category, state and place (the description stays
#: with the order the case becomes).
PUBLIC_VALUES: PublicValues = {
    "city.case": frozenset({"major", "minor", "category_code", "status", "origin", "address"}),
}

# 小类名称 → taxonomy code
SUBCLASSES = {
    "暴露垃圾": "urban.sanitation",
    "积存垃圾渣土": "urban.sanitation",
    "店外经营": "urban.street_vendor",
    "无照经营游商": "urban.street_vendor",
    "违章搭建": "urban.illegal_building",
    "路灯": "urban.streetlight",
    "绿地脏乱": "urban.greening",
    "井盖": "traffic.road",
    "道路破损": "traffic.road",
    "雨水篦子": "water.drainage",
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A case → a ``city.case`` event; one handed to 12345 → also an order draft.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> out = normalize({"ajbh": "1", "dlmc": "市容环境", "xlmc": "暴露垃圾", "wtms": "垃圾",
    ...     "dz": "嘉定中路", "x": 103.76, "y": 29.55, "sbsj": "2026-11-27 08:40:00",
    ...     "zj12345": 1}, received_at=datetime.now(timezone.utc))
    >>> out[1].category.code
    'urban.sanitation'
    """
    data = as_mapping(payload)
    sid = text(data, "ajbh")
    sub = text(data, "xlmc")
    code = SUBCLASSES.get(sub, "urban")
    where = text(data, "dz")
    desc = text(data, "wtms")
    when = time_field(data, "sbsj")
    pt = point(data, "x", "y", DESCRIPTOR.datum)
    out: Normalized = [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=sid,
            kind="city.case",
            occurred_at=when,
            layer=Layer.cases,
            severity=Severity.minor,
            location=pt,
            title=f"{sub}：{where}",
            values={
                "major": text(data, "dlmc"),
                "minor": sub,
                "category_code": code,
                "status": opt_text(data, "ajzt"),
                "origin": opt_text(data, "ajly"),
                "address": where,
            },
        )
    ]
    if number(data, "zj12345", 0, lo=0, hi=1) == 1:
        out.append(
            hotline_draft(
                DESCRIPTOR,
                source_id=sid,
                rtype="report",
                code=code,
                urgency="general",
                description=f"【数字城管转】{sub}：{desc}",
                received_at=when,
                location=pt,
                address=where,
            )
        )
    return out


CASES = (
    ("市容环境", "暴露垃圾", "路边垃圾桶满溢，垃圾散落一地"),
    ("街面秩序", "店外经营", "商户在人行道摆摊经营，占道严重"),
    ("部件", "井盖", "人行道井盖破损，存在安全隐患"),
    ("部件", "路灯", "一排路灯不亮，夜间行人不便"),
    ("部件", "雨水篦子", "雨水篦子堵塞，雨后路面积水"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A supervisor's case; a few are handed to 12345."""
    dl, xl, body = ctx.rng.choice(CASES[-1:] if ctx.scenario == "flood" else CASES)
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p)
    gx, gy = wgs84_to_gcj02(lon, lat)
    return [
        {
            "ajbh": ctx.ident("CG"),
            "ajly": "监督员上报",
            "dlmc": dl,
            "xlmc": xl,
            "wtms": body,
            "dz": p.name,
            "x": round(gx, 6),
            "y": round(gy, 6),
            "sbsj": ctx.local(120),
            "ajzt": "已立案",
            "zj12345": int(ctx.rng.random() < 0.3),
        }
    ]
