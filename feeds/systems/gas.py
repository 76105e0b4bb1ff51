"""燃气 — Gas: leak alarms from networked detectors in homes, restaurants and pipe wells.

The payload is modelled on a city gas-safety IoT platform's alarm push (English field names,
concentration in %LEL as gas detectors report); it is not a vendor specification::

    {"alarmNo": "...", "deviceNo": "...", "deviceType": "家用可燃气体探测器|管网监测",
     "alarmType": "泄漏|故障|离线", "concentration": 28, "unit": "%LEL",
     "address": "...", "lng": 103.76, "lat": 29.56, "alarmTime": "...", "userName": "..."}
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
from feeds.payload import as_mapping, number, opt_text, point, text, time_field
from feeds.simkit import PLACES, SimContext
from geo.datum import wgs84_to_gcj02

DESCRIPTOR = FeedDescriptor(
    system="gas",
    name_zh="燃气",
    name_en="Gas supply and leak alarms",
    owner="乐山市燃气公司（市住建局监管）",
    mode="push",
    interval_s=3600,
    datum="gcj02",
    source_kind="sensor",
)

#: What of a detector alarm may leave the center: the alarm and the place. Not the gas
#: account holder's name nor the meter number, which names a household.
PUBLIC_VALUES: PublicValues = {
    "gas.alarm": frozenset({"alarm_type", "lel_percent", "device_type", "address"}),
}

ALARMS = ("泄漏", "故障", "离线")
# Detectors alarm low at 10 %LEL (GB 15322); 25 %LEL and above is a serious leak.
SERIOUS_LEL = 25.0


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """An alarm → a ``gas.alarm`` event; a serious leak is ``severe`` (rules make an order).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"alarmNo": "G1", "deviceNo": "D1", "alarmType": "泄漏",
    ...     "concentration": 30, "address": "某餐馆", "lng": 103.76, "lat": 29.56,
    ...     "alarmTime": "2026-11-27 11:50:00"}, received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
    alarm = text(data, "alarmType")
    if alarm not in ALARMS:
        raise PayloadError("alarmType", f"unknown alarm type {alarm!r}; expected one of {ALARMS}")
    lel = number(data, "concentration", 0.0, lo=0, hi=100)
    if alarm != "泄漏":
        sev = Severity.unknown
    else:
        sev = Severity.severe if lel >= SERIOUS_LEL else Severity.moderate
    where = text(data, "address")
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=text(data, "alarmNo"),
            kind="gas.alarm",
            occurred_at=time_field(data, "alarmTime"),
            layer=Layer.utilities,
            severity=sev,
            location=point(data, "lng", "lat", DESCRIPTOR.datum),
            title=f"燃气{alarm}报警：{where}" + (f"（{lel:g}%LEL）" if alarm == "泄漏" else ""),
            values={
                "alarm_type": alarm,
                "lel_percent": lel,
                "device": text(data, "deviceNo"),
                "device_type": opt_text(data, "deviceType"),
                "address": where,
                "user": opt_text(data, "userName"),
            },
        )
    ]


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A detector alarm, mostly low-level leaks or faults."""
    p = ctx.place(PLACES)
    lon, lat = wgs84_to_gcj02(*ctx.near(p))
    alarm = ctx.rng.choices(ALARMS, weights=(6, 2, 2))[0]
    return [
        {
            "alarmNo": ctx.ident("RQ"),
            "deviceNo": f"JT{ctx.rng.randrange(10**7):07d}",
            "deviceType": ctx.rng.choice(["家用可燃气体探测器", "商业可燃气体探测器"]),
            "alarmType": alarm,
            "concentration": ctx.rng.choice([12, 15, 18, 26, 35]) if alarm == "泄漏" else 0,
            "unit": "%LEL",
            "address": f"{p.name}某餐馆后厨",
            "lng": round(lon, 6),
            "lat": round(lat, 6),
            "alarmTime": ctx.local(30),
            "userName": ctx.person(),
        }
    ]
