"""防汛水雨情 — Flood-control water and rain: river gauges and rain stations.

The payload is modelled on the field names of China's hydrological database standard
(SL 323 实时雨水情数据库: STCD station code, STNM name, STTP type ZZ/ZQ river, PP rain,
TM time, Z water level m, WRZ warning level, GRZ guarantee level, DRP period rainfall mm,
LGTD/LTTD position, ADDVCD admin division). It is modelled, not a vendor specification.
The runner polls it; one response carries several stations::

    {"code": 0, "data": [{"STCD": "60703500", "STNM": "五通桥", "STTP": "ZQ", "RVNM": "岷江",
      "TM": "2026-11-27 07:00:00", "Z": 361.8, "WRZ": 362.5, "GRZ": 364.0, "LGTD": 103.82,
      "LTTD": 29.41, "ADDVCD": "511112"}, ...]}
"""

from __future__ import annotations

from collections.abc import Mapping
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
from feeds.payload import as_mapping, items, number, opt_text, point, text, time_field
from feeds.simkit import SimContext

DESCRIPTOR = FeedDescriptor(
    system="hydrology",
    name_zh="防汛水雨情",
    name_en="Flood-control water and rain gauges",
    owner="市水务局（市防汛抗旱指挥部办公室）",
    mode="poll",
    interval_s=300,
    datum="wgs84",
    source_kind="sensor",
)

#: River and rain readings are public measurements: every value may be shown.
PUBLIC_VALUES: PublicValues = {
    "gauge.reading": frozenset(
        {
            "station_code",
            "river",
            "level_m",
            "warning_level_m",
            "guarantee_level_m",
            "flow_m3s",
            "adcode",
        }
    ),
    "rain.reading": frozenset({"station_code", "rain_mm", "period_h", "adcode"}),
}

RIVER_TYPES = {"ZZ", "ZQ", "RR"}
RAIN_TYPES = {"PP"}


def _river(rec: Mapping[str, Any], prefix: str) -> FeedEvent:
    z = number(rec, "Z", lo=0, hi=9000, prefix=prefix)
    wrz = number(rec, "WRZ", lo=0, hi=9000, prefix=prefix)
    grz = number(rec, "GRZ", 0.0, lo=0, hi=9000, prefix=prefix) or None
    name = text(rec, "STNM", prefix=prefix)
    if grz is not None and z >= grz:
        sev = Severity.extreme
    elif z >= wrz:
        sev = Severity.severe
    elif z >= wrz - 0.5:
        sev = Severity.moderate
    else:
        sev = Severity.minor
    when = time_field(rec, "TM", prefix=prefix)
    stcd = text(rec, "STCD", prefix=prefix)
    return FeedEvent(
        system=DESCRIPTOR.system,
        source_id=f"{stcd}@{when.isoformat()}",
        kind="gauge.reading",
        occurred_at=when,
        layer=Layer.gauges,
        severity=sev,
        location=point(rec, "LGTD", "LTTD", DESCRIPTOR.datum, prefix=prefix),
        title=f"{opt_text(rec, 'RVNM') or ''}{name}站",
        values={
            "station_code": stcd,
            "river": opt_text(rec, "RVNM", prefix=prefix),
            "level_m": z,
            "warning_level_m": wrz,
            "guarantee_level_m": grz,
            "flow_m3s": number(rec, "Q", 0.0, lo=0, prefix=prefix) or None,
            "adcode": opt_text(rec, "ADDVCD", prefix=prefix),
        },
    )


def _rain(rec: Mapping[str, Any], prefix: str) -> FeedEvent:
    drp = number(rec, "DRP", lo=0, hi=500, prefix=prefix)
    when = time_field(rec, "TM", prefix=prefix)
    stcd = text(rec, "STCD", prefix=prefix)
    # 短时强降水: 20 mm/h heavy, 50 mm/h very heavy (China Meteorological Administration usage)
    sev = Severity.severe if drp >= 50 else Severity.moderate if drp >= 20 else Severity.minor
    return FeedEvent(
        system=DESCRIPTOR.system,
        source_id=f"{stcd}@{when.isoformat()}",
        kind="rain.reading",
        occurred_at=when,
        layer=Layer.rain,
        severity=sev,
        location=point(rec, "LGTD", "LTTD", DESCRIPTOR.datum, prefix=prefix),
        title=f"{text(rec, 'STNM', prefix=prefix)}雨量站",
        values={
            "station_code": stcd,
            "rain_mm": drp,
            "period_h": number(rec, "INTV", 1.0, lo=0, hi=24, prefix=prefix),
            "adcode": opt_text(rec, "ADDVCD", prefix=prefix),
        },
    )


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """Each record → a ``gauge.reading`` (river) or ``rain.reading`` (rain) event.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = normalize({"data": [{"STCD": "1", "STNM": "五通桥", "STTP": "ZQ", "TM":
    ...     "2026-11-27 07:00", "Z": 363.0, "WRZ": 362.5, "LGTD": 103.82, "LTTD": 29.41}]},
    ...     received_at=datetime.now(timezone.utc))
    >>> ev[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
    out: Normalized = []
    for i, rec in enumerate(items(data, "data")):
        prefix = f"data[{i}]."
        sttp = text(rec, "STTP", prefix=prefix)
        if sttp in RIVER_TYPES:
            out.append(_river(rec, prefix))
        elif sttp in RAIN_TYPES:
            out.append(_rain(rec, prefix))
        else:
            raise PayloadError(prefix + "STTP", f"unknown station type {sttp!r} (ZZ, ZQ, RR, PP)")
    return out


# (STCD, STNM, river, lon, lat, adcode, normal Z, WRZ, GRZ)
GAUGES = (
    ("60703500", "五通桥", "岷江", 103.82, 29.41, "511112", 356.2, 359.5, 361.0),
    ("60703200", "乐山", "岷江", 103.7640, 29.5620, "511102", 353.8, 357.0, 358.5),
    ("60705800", "沙湾", "大渡河", 103.5500, 29.4120, "511111", 420.5, 424.0, 426.0),
    ("60705500", "金口河", "大渡河", 103.0790, 29.2430, "511113", 598.0, 602.5, 605.0),
)
RAIN_STATIONS = (
    ("60790110", "嘉农", 103.5480, 29.3950, "511111"),
    ("60790230", "沙坪", 103.2610, 29.2330, "511132"),
    ("60790350", "永和", 103.0830, 29.2410, "511113"),
    ("60790420", "竹根", 103.8210, 29.4080, "511112"),
    ("60790510", "嘉州", 103.7600, 29.5600, "511102"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """One poll's worth: every gauge and rain station. In a flood the Dadu and Min rise."""
    flood = ctx.scenario == "flood"
    recs: list[dict[str, Any]] = []
    for stcd, name, river, lon, lat, ad, z0, wrz, grz in GAUGES:
        # Flood morning: the Dadu passes its warning level about halfway through, the Min
        # climbs to just under its own.
        ramp = min(1.0, ctx.progress / 0.6)
        rise = (wrz - z0 + 0.8) * ramp if flood and river == "大渡河" else 0.0
        rise += (wrz - z0 - 0.4) * ramp if flood and river == "岷江" else 0.0
        recs.append(
            {
                "STCD": stcd,
                "STNM": name,
                "STTP": "ZQ",
                "RVNM": river,
                "TM": ctx.local(),
                "Z": round(z0 + rise + ctx.rng.uniform(-0.05, 0.05), 2),
                "WRZ": wrz,
                "GRZ": grz,
                "Q": round(ctx.rng.uniform(800, 1500) * (1 + 3 * rise / 5), 0),
                "LGTD": lon,
                "LTTD": lat,
                "ADDVCD": ad,
            }
        )
    for stcd, name, lon, lat, ad in RAIN_STATIONS:
        heavy = flood and ad in ("511111", "511132", "511113")
        drp = ctx.rng.uniform(15, 35) + 40 * ctx.progress if heavy else ctx.rng.uniform(0, 2)
        recs.append(
            {
                "STCD": stcd,
                "STNM": name,
                "STTP": "PP",
                "TM": ctx.local(),
                "DRP": round(drp, 1),
                "INTV": 1,
                "LGTD": lon,
                "LTTD": lat,
                "ADDVCD": ad,
            }
        )
    return [{"code": 0, "msg": "success", "data": recs}]
