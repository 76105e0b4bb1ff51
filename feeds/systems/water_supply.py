"""供水 — Water supply: planned and emergency supply interruptions, pipe bursts.

The payload is modelled on a water company's service-notice push (pinyin field names); it is
not a vendor specification::

    {"tzbh": "...", "lx": "计划停水|抢修停水|爆管", "yxfw": "影响范围（街道、小区）",
     "kssj": "2026-11-27 09:00:00", "yjhfsj": "2026-11-27 18:00:00", "yy": "...",
     "jd": 103.76, "wd": 29.56, "xzqh": "511102", "yxhs": 3200}

Notices are a live layer: the seats use them to answer "why is there no water" calls at once.
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
from feeds.payload import (
    as_mapping,
    choice,
    number,
    opt_point,
    opt_text,
    parse_time,
    text,
    time_field,
)
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="water_supply",
    name_zh="供水",
    name_en="Water supply",
    owner="乐山市自来水有限责任公司",
    mode="push",
    interval_s=86400,
    datum="wgs84",
    source_kind="utility",
)

#: Outages are announced to the public: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "water.outage": frozenset(
        {"kind", "affected", "households", "restore_by", "reason", "adcode", "address"}
    ),
}

KINDS = {"计划停水": "planned", "抢修停水": "repair", "爆管": "burst"}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A notice → a ``water.outage`` event (a burst is more severe).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"tzbh": "W1", "lx": "计划停水", "yxfw": "嘉定中路", "kssj":
    ...     "2026-11-27 09:00:00", "yjhfsj": "2026-11-27 18:00:00"},
    ...     received_at=datetime.now(timezone.utc))
    >>> e[0].values["kind"]
    'planned'
    """
    data = as_mapping(payload)
    kind = choice(data, "lx", KINDS)
    start = time_field(data, "kssj")
    end = parse_time(data["yjhfsj"], "yjhfsj") if data.get("yjhfsj") else None
    if end is not None and end < start:
        raise PayloadError("yjhfsj", "expected restoration is before the start")
    households = int(number(data, "yxhs", 0, lo=0))
    area = text(data, "yxfw")
    sev = Severity.moderate if kind == "burst" or households >= 5000 else Severity.minor
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=text(data, "tzbh"),
            kind="water.outage",
            occurred_at=start,
            layer=Layer.utilities,
            severity=sev,
            location=opt_point(data, "jd", "wd", DESCRIPTOR.datum),
            title=f"{text(data, 'lx')}：{area}",
            values={
                "kind": kind,
                "affected": area,
                "households": households,
                "restore_by": end.isoformat() if end else None,
                "reason": opt_text(data, "yy"),
                "adcode": opt_text(data, "xzqh"),
                "address": area,
            },
        )
    ]


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A supply notice."""
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p, 500)
    lx = ctx.rng.choice(["计划停水", "抢修停水", "爆管"])
    return [
        {
            "tzbh": ctx.ident("GS"),
            "lx": lx,
            "yxfw": f"{p.name}周边小区",
            "kssj": ctx.local(),
            "yjhfsj": ctx.local(-6 * 3600),
            "yy": "管网改造" if lx == "计划停水" else "DN300供水管道破裂抢修",
            "jd": lon,
            "wd": lat,
            "xzqh": p.adcode,
            "yxhs": ctx.rng.randint(200, 6000),
        }
    ]
