"""交通运输12328 — Transport service hotline 12328: taxis, buses, roads, congestion.

The payload is modelled on a 12328 work-order push (pinyin field names); it is not a vendor
specification::

    {"gdbh": "...", "ywlx": "出租车|公交|道路|拥堵", "sqlx": "投诉|求助|咨询|建议",
     "nr": "...", "dd": "...", "jd": 103.76, "wd": 29.55, "lxr": "...", "dh": "...",
     "sj": "2026-11-27 15:20:00", "jjcd": "一般|紧急"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PublicValues
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, choice, opt_point, opt_text, text, time_field
from feeds.simkit import PLACES, SCENIC_PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="transport_12328",
    name_zh="交通运输12328",
    name_en="Transport 12328",
    owner="市交通运输局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}

BUSINESS = {
    "出租车": "traffic.public_transport",
    "公交": "traffic.public_transport",
    "道路": "traffic.road",
    "拥堵": "traffic.congestion",
}
URGENCY = {"一般": "general", "紧急": "urgent"}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12328 work order → an order draft in the traffic domain.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"gdbh": "1", "ywlx": "拥堵", "sqlx": "求助", "nr": "堵死了", "dd": "肖坝",
    ...     "sj": "2026-11-27 15:00:00"}, received_at=datetime.now(timezone.utc))
    >>> d[0].category.code
    'traffic.congestion'
    """
    data = as_mapping(payload)
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "gdbh"),
            rtype=request_type(text(data, "sqlx"), "sqlx"),
            code=choice(data, "ywlx", BUSINESS),
            urgency=choice(data, "jjcd", URGENCY) if data.get("jjcd") else "general",
            description="【12328转】" + text(data, "nr"),
            received_at=time_field(data, "sj"),
            location=opt_point(data, "jd", "wd", DESCRIPTOR.datum),
            address=text(data, "dd"),
            name=opt_text(data, "lxr"),
            phone=opt_text(data, "dh"),
        )
    ]


CASES = (
    ("出租车", "投诉", "出租车不打表，从高铁站到市区要价80元"),
    ("公交", "建议", "13路公交晚上班次太少，建议延长末班车时间"),
    ("道路", "求助", "路面塌陷出现一个大坑，已有电瓶车摔倒"),
    ("拥堵", "求助", "景区进出道路严重拥堵，车辆一小时未挪动"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A transport request; Golden Week afternoons bring congestion near scenic areas."""
    jam = ctx.scenario == "golden-week" and ctx.rng.random() < 0.6
    ywlx, sqlx, body = CASES[3] if jam else ctx.rng.choice(CASES)
    p = ctx.place(SCENIC_PLACES if jam else PLACES)
    lon, lat = ctx.near(p, 1500)
    return [
        {
            "gdbh": ctx.ident("12328-"),
            "ywlx": ywlx,
            "sqlx": sqlx,
            "nr": body,
            "dd": f"{p.name}附近",
            "jd": lon,
            "wd": lat,
            "lxr": ctx.person(),
            "dh": ctx.phone(),
            "sj": ctx.local(90),
            "jjcd": "紧急" if ywlx == "道路" else "一般",
        }
    ]
