"""景区客流 — Scenic-area crowd counts against capacity (峨眉山, 乐山大佛 ...).

The payload is modelled on a provincial smart-tourism monitoring platform (景区实时客流,
最大承载量 as required by the national scenic-area carrying-capacity guideline LB/T 034);
it is not a vendor specification. One poll returns every monitored area::

    {"resultCode": "0000", "updateTime": "2026-11-27 14:00:00", "list": [
      {"scenicCode": "LSDF", "scenicName": "乐山大佛景区", "realtimeCount": 31200,
       "maxCapacity": 35000, "todayTotal": 58000, "lng": 103.7699, "lat": 29.5447,
       "areaCode": "511102"}]}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.payload import as_mapping, items, number, opt_text, point, text, time_field
from feeds.simkit import SimContext

DESCRIPTOR = FeedDescriptor(
    system="scenic_crowd",
    name_zh="景区客流",
    name_en="Scenic-area crowd counts",
    owner="市文化广播电视和旅游局",
    mode="poll",
    interval_s=300,
    datum="wgs84",
    source_kind="sensor",
)

#: Head counts of scenic areas: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "crowd.count": frozenset(
        {"scenic_code", "count", "capacity", "ratio", "today_total", "adcode"}
    ),
}


def _severity(ratio: float) -> Severity:
    # LB/T 034: 80 % of capacity → warn and divert; 100 % → stop admissions
    if ratio >= 1.2:
        return Severity.extreme
    if ratio >= 1.0:
        return Severity.severe
    return Severity.moderate if ratio >= 0.8 else Severity.minor


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """Each scenic area → a ``crowd.count`` event with its count, capacity and ratio.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"updateTime": "2026-11-27 14:00:00", "list": [{"scenicCode": "LSDF",
    ...     "scenicName": "乐山大佛", "realtimeCount": 36000, "maxCapacity": 35000,
    ...     "lng": 103.77, "lat": 29.54}]}, received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
    when = time_field(data, "updateTime")
    out: Normalized = []
    for i, rec in enumerate(items(data, "list")):
        pre = f"list[{i}]."
        code = text(rec, "scenicCode", prefix=pre)
        count = int(number(rec, "realtimeCount", lo=0, prefix=pre))
        cap = int(number(rec, "maxCapacity", lo=1, prefix=pre))
        name = text(rec, "scenicName", prefix=pre)
        out.append(
            FeedEvent(
                system=DESCRIPTOR.system,
                source_id=f"{code}@{when.isoformat()}",
                kind="crowd.count",
                occurred_at=when,
                layer=Layer.crowds,
                severity=_severity(count / cap),
                location=point(rec, "lng", "lat", DESCRIPTOR.datum, prefix=pre),
                title=name,
                values={
                    "scenic_code": code,
                    "count": count,
                    "capacity": cap,
                    "ratio": round(count / cap, 3),
                    "today_total": int(number(rec, "todayTotal", 0, lo=0, prefix=pre)),
                    "adcode": opt_text(rec, "areaCode", prefix=pre),
                },
            )
        )
    return out


# (code, name, lon, lat, adcode, capacity, normal share of capacity)
AREAS = (
    ("LSDF", "乐山大佛景区", 103.7699, 29.5447, "511102", 35000, 0.35),
    ("EMSJD", "峨眉山金顶", 103.3327, 29.5205, "511181", 22000, 0.30),
    ("EMSBGS", "峨眉山报国寺", 103.4430, 29.5830, "511181", 18000, 0.30),
    ("HZG", "黑竹沟景区", 103.0100, 29.0700, "511132", 8000, 0.10),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """One poll; in a Golden Week afternoon 峨眉山 and 乐山大佛 go past capacity."""
    rows = []
    for code, name, lon, lat, ad, cap, share in AREAS:
        if ctx.scenario == "golden-week" and code != "HZG":
            share = 0.85 + 0.4 * ctx.progress
        count = int(cap * share * ctx.rng.uniform(0.97, 1.03))
        rows.append(
            {
                "scenicCode": code,
                "scenicName": name,
                "realtimeCount": count,
                "maxCapacity": cap,
                "todayTotal": int(count * 1.8),
                "lng": lon,
                "lat": lat,
                "areaCode": ad,
            }
        )
    return [{"resultCode": "0000", "updateTime": ctx.local(), "list": rows}]
