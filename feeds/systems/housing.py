"""住建 — Housing and construction: lift alarms and building-site monitoring.

The payloads are modelled on a lift-safety IoT platform (96333-style emergency rescue, 困人
alarms keyed by the lift's 注册代码) and a smart-site dust/noise monitoring platform; they
are not vendor specifications. ``source`` says which::

    {"source": "elevator", "alarmId": "...", "registerCode": "31105111002019000123",
     "alarmType": "KR|CD|GZ", "address": "...", "lng": .., "lat": .., "alarmTime": "...",
     "useUnit": "物业公司", "trapped": 2}
    {"source": "site", "recordId": "...", "siteName": "...", "pm10": 180, "noiseDb": 72,
     "lng": .., "lat": .., "time": "...", "permitNightWork": false}
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
from feeds.payload import as_mapping, choice, number, opt_text, point, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="housing",
    name_zh="住建",
    name_en="Housing and construction (lifts, building sites)",
    owner="市住房和城乡建设局",
    mode="push",
    interval_s=1800,
    datum="wgs84",
    source_kind="sensor",
)

#: Lift alarms (register code, people trapped, the managing company) and building-site
#: readings: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "lift.alarm": frozenset({"alarm_type", "register_code", "address", "use_unit", "trapped"}),
    "site.reading": frozenset({"noise_db", "noise_limit_db", "pm10", "exceeded", "address"}),
}

LIFT_ALARMS = {
    "KR": ("trapped", "困人", Severity.severe),
    "CD": ("overspeed", "冲顶蹲底", Severity.severe),
    "GZ": ("fault", "故障停梯", Severity.minor),
}
# GB 12523 site noise limits: 70 dB(A) day, 55 dB(A) night (22:00–06:00); PM10 150 µg/m³ alert
NOISE_DAY, NOISE_NIGHT, PM10_ALERT = 70.0, 55.0, 150.0


def _lift(data: dict[str, Any] | Any) -> FeedEvent:
    kind, name, sev = choice(data, "alarmType", LIFT_ALARMS)
    where = text(data, "address")
    return FeedEvent(
        system=DESCRIPTOR.system,
        source_id=text(data, "alarmId"),
        kind="lift.alarm",
        occurred_at=time_field(data, "alarmTime"),
        layer=Layer.sites,
        severity=sev,
        location=point(data, "lng", "lat", DESCRIPTOR.datum),
        title=f"电梯{name}：{where}",
        values={
            "alarm_type": kind,
            "register_code": text(data, "registerCode"),
            "address": where,
            "use_unit": opt_text(data, "useUnit"),
            "trapped": int(number(data, "trapped", 0, lo=0, hi=100)),
        },
    )


def _site(data: dict[str, Any] | Any) -> FeedEvent:
    when = time_field(data, "time")
    noise = number(data, "noiseDb", lo=0, hi=200)
    pm10 = number(data, "pm10", lo=0, hi=5000)
    night = when.hour >= 22 or when.hour < 6
    limit = NOISE_NIGHT if night and not data.get("permitNightWork") else NOISE_DAY
    over = noise > limit or pm10 > PM10_ALERT
    name = text(data, "siteName")
    return FeedEvent(
        system=DESCRIPTOR.system,
        source_id=text(data, "recordId"),
        kind="site.reading",
        occurred_at=when,
        layer=Layer.sites,
        severity=Severity.moderate if over else Severity.minor,
        location=point(data, "lng", "lat", DESCRIPTOR.datum),
        title=name,
        values={
            "noise_db": noise,
            "noise_limit_db": limit,
            "pm10": pm10,
            "exceeded": over,
            "address": name,
        },
    )


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A lift alarm → ``lift.alarm`` (rules make trapped-person orders); a site → ``site.reading``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"source": "elevator", "alarmId": "L1", "registerCode": "3110",
    ...     "alarmType": "KR", "address": "某小区3栋", "lng": 103.76, "lat": 29.56,
    ...     "alarmTime": "2026-11-27 08:30:00"}, received_at=datetime.now(timezone.utc))
    >>> e[0].values["alarm_type"]
    'trapped'
    """
    data = as_mapping(payload)
    source = text(data, "source")
    if source == "elevator":
        return [_lift(data)]
    if source == "site":
        return [_site(data)]
    raise PayloadError("source", f"unknown source {source!r}; expected elevator or site")


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A lift alarm or a site reading."""
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p, 400)
    if ctx.rng.random() < 0.4:
        code = ctx.rng.choices(list(LIFT_ALARMS), weights=(2, 0.2, 3))[0]
        return [
            {
                "source": "elevator",
                "alarmId": ctx.ident("DT"),
                "registerCode": f"3110{p.adcode}2019{ctx.rng.randrange(10**6):06d}",
                "alarmType": code,
                "address": f"{p.name}某小区{ctx.rng.randint(1, 12)}栋",
                "lng": lon,
                "lat": lat,
                "alarmTime": ctx.local(20),
                "useUnit": "某物业服务公司",
                "trapped": ctx.rng.randint(1, 4) if code == "KR" else 0,
            }
        ]
    return [
        {
            "source": "site",
            "recordId": ctx.ident("GD"),
            "siteName": f"{p.name}某住宅项目工地",
            "pm10": ctx.rng.randint(40, 190),
            "noiseDb": ctx.rng.randint(50, 78),
            "lng": lon,
            "lat": lat,
            "time": ctx.local(),
            "permitNightWork": False,
        }
    ]
