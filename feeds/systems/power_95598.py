"""供电95598 — Electricity: outage notices and 95598 work orders handed to 12345.

The payload is modelled on State Grid 95598 interface conventions (停电信息 and 工单 pushes,
pinyin/English field names); it is not a vendor specification. ``msgType`` says which::

    {"msgType": "TDXX", "tdbh": "...", "tdlx": "计划停电|故障停电", "tdfw": "...",
     "kssj": "...", "yjsdsj": "...", "xlmc": "10kV 嘉州线", "yxhs": 860, "xzqh": "511102"}
    {"msgType": "GD", "gdbh": "...", "sqlx": "投诉|求助|咨询", "nr": "...", "khxm": "...",
     "lxdh": "...", "dz": "...", "slsj": "..."}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import (
    FeedDescriptor,
    FeedEvent,
    Layer,
    Normalized,
    PayloadError,
    PublicValues,
    Severity,
)
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, number, opt_text, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="power_95598",
    name_zh="供电95598",
    name_en="Electricity 95598",
    owner="国网四川省电力公司乐山供电公司",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="utility",
)

#: Outages are announced to the public: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "power.outage": frozenset(
        {"kind", "affected", "line", "households", "restore_by", "adcode", "address"}
    ),
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """``TDXX`` → a ``power.outage`` event; ``GD`` → an order draft (utility.power).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"msgType": "GD", "gdbh": "1", "sqlx": "求助", "nr": "停电", "dz": "沙湾区",
    ...     "slsj": "2026-11-27 09:00:00"}, received_at=datetime.now(timezone.utc))
    >>> d[0].category.code
    'utility.power'
    """
    data = as_mapping(payload)
    msg = text(data, "msgType")
    if msg == "TDXX":
        households = int(number(data, "yxhs", 0, lo=0))
        kind = text(data, "tdlx")
        area = text(data, "tdfw")
        return [
            FeedEvent(
                system=DESCRIPTOR.system,
                source_id=text(data, "tdbh"),
                kind="power.outage",
                occurred_at=time_field(data, "kssj"),
                layer=Layer.utilities,
                severity=Severity.moderate
                if kind == "故障停电" or households >= 5000
                else Severity.minor,
                title=f"{kind}：{area}",
                values={
                    "kind": "fault" if kind == "故障停电" else "planned",
                    "affected": area,
                    "line": opt_text(data, "xlmc"),
                    "households": households,
                    "restore_by": time_field(data, "yjsdsj").isoformat(),
                    "adcode": opt_text(data, "xzqh"),
                    "address": area,
                },
            )
        ]
    if msg == "GD":
        return [
            hotline_draft(
                DESCRIPTOR,
                source_id=text(data, "gdbh"),
                rtype=request_type(text(data, "sqlx"), "sqlx"),
                code="utility.power",
                urgency="general",
                description="【95598转】" + text(data, "nr"),
                received_at=time_field(data, "slsj"),
                address=text(data, "dz"),
                name=opt_text(data, "khxm"),
                phone=opt_text(data, "lxdh"),
            )
        ]
    raise PayloadError("msgType", f"unknown message type {msg!r}; expected TDXX or GD")


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """An outage notice (faults in a flood) or a transferred 95598 work order."""
    p = ctx.place(PLACES)
    if ctx.rng.random() < 0.5 or ctx.scenario == "flood":
        fault = ctx.scenario == "flood" or ctx.rng.random() < 0.3
        return [
            {
                "msgType": "TDXX",
                "tdbh": ctx.ident("TD"),
                "tdlx": "故障停电" if fault else "计划停电",
                "tdfw": f"{p.name}及周边",
                "kssj": ctx.local(),
                "yjsdsj": ctx.local(-4 * 3600),
                "xlmc": f"10kV {p.name[-3:-1]}线",
                "yxhs": ctx.rng.randint(100, 3000),
                "xzqh": p.adcode,
            }
        ]
    return [
        {
            "msgType": "GD",
            "gdbh": ctx.ident("95598-"),
            "sqlx": "投诉",
            "nr": "一周内频繁停电三次，家电损坏，要求说明原因",
            "khxm": ctx.person(),
            "lxdh": ctx.phone(),
            "dz": p.name,
            "slsj": ctx.local(600),
        }
    ]
