"""生态环境12369 — Environmental reports from the 12369 hotline.

The payload is modelled on a 12369 network-report push (pinyin field names); it is not a
vendor specification::

    {"jbbh": "...", "wrlx": "噪声|大气|水", "jbnr": "...", "fsdd": "...", "lon": 103.76,
     "lat": 29.55, "jbr": "...", "lxfs": "...", "jbsj": "2026-11-27 22:40:00"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PublicValues
from feeds.drafting import hotline_draft
from feeds.payload import as_mapping, choice, opt_point, opt_text, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="env_12369",
    name_zh="生态环境12369",
    name_en="Environment 12369",
    owner="市生态环境局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}

POLLUTION = {"噪声": "environment.noise", "大气": "environment.air", "水": "environment.water"}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12369 report → an order draft (type report) in the environment domain.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"jbbh": "1", "wrlx": "噪声", "jbnr": "夜间施工", "fsdd": "市中区",
    ...     "jbsj": "2026-11-27 23:00:00"}, received_at=datetime.now(timezone.utc))
    >>> d[0].category.code
    'environment.noise'
    """
    data = as_mapping(payload)
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "jbbh"),
            rtype="report",
            code=choice(data, "wrlx", POLLUTION),
            urgency="general",
            description="【12369转】" + text(data, "jbnr"),
            received_at=time_field(data, "jbsj"),
            location=opt_point(data, "lon", "lat", DESCRIPTOR.datum),
            address=text(data, "fsdd"),
            name=opt_text(data, "jbr"),
            phone=opt_text(data, "lxfs"),
        )
    ]


REPORTS = (
    ("噪声", "工地夜间十一点后还在打桩，严重影响休息"),
    ("大气", "附近石材厂粉尘很大，窗台每天一层灰"),
    ("水", "河边有暗管往河里排黑水，气味刺鼻"),
    ("噪声", "广场舞音响声音过大，持续到晚上十点"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """An environment report somewhere in Leshan."""
    wrlx, body = ctx.rng.choice(REPORTS)
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p, 800)
    return [
        {
            "jbbh": ctx.ident("12369-"),
            "wrlx": wrlx,
            "jbnr": body,
            "fsdd": p.name,
            "lon": lon,
            "lat": lat,
            "jbr": ctx.person(),
            "lxfs": ctx.phone(),
            "jbsj": ctx.local(300),
        }
    ]
