"""Demo traffic from every connected system, for ``dispatch-center demo --scenario``.

Pure generators: a seeded random generator and a time window in, time-ordered
:class:`SimulatedPayload` items out (the lead's demo wiring waits until each ``at`` and posts
the payload). Push systems speak at random (a Poisson process thinned by a daily curve, busy
mid-morning and mid-afternoon, quiet at night); poll systems answer every interval; the
scenario scripts the story:

- ``flood`` ("Flood morning"): rain stations in 沙湾区, 峨边 and 金口河 rising, a CAP 暴雨红色
  预警 first and Updates after, the 大渡河 passing its warning level about halfway through, and
  waterlogging calls on the hotline; 沙湾区 and 金口河区 flood patrols out on the roads.
- ``golden-week`` ("Golden Week afternoon"): 峨眉山 and 乐山大佛 over capacity, tourism
  complaints, traffic.

Rescue teams report their positions every ``UNIT_REPORT_EVERY`` in every scenario
(``feeds.rescue_teams``).

``phone`` items are hotline calls already taken by a seat: the payload is the body of
``POST /api/v1/orders``.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from feeds.channels.voice import Call, form_to_draft
from feeds.payload import SHANGHAI
from feeds.registry import DEFAULT_ADAPTERS
from feeds.simkit import FLOOD_PLACES, PLACES, SCENARIOS, SCENIC_PLACES, Scenario, SimContext

__all__ = ["RATES_PER_HOUR", "SimulatedPayload", "daily_curve", "generate"]

PHONE = "phone"

# Push systems' payloads per hour at the daily peak, per scenario (poll systems follow their
# interval instead). Leshan's 12345 takes about 9,000 requests a month; feeds are busier.
RATES_PER_HOUR: Mapping[str, Mapping[str, float]] = {
    "normal": {
        "skynet": 12,
        "police110": 3,
        "city_management": 10,
        "grid_governance": 8,
        "weather_cap": 0.05,
        "emergency_mgmt": 0.5,
        "tourism_12301": 1,
        "market_12315": 2,
        "env_12369": 1.5,
        "transport_12328": 1.5,
        "water_supply": 0.3,
        "power_95598": 1,
        "gas": 2,
        "hrss_12333": 2,
        "health_12320": 1.5,
        "petitions": 0.5,
        "duty_room": 0.3,
        "housing": 3,
        PHONE: 30,
    },
    "flood": {
        "skynet": 25,
        "police110": 4,
        "city_management": 12,
        "grid_governance": 12,
        "emergency_mgmt": 3,
        "tourism_12301": 0.3,
        "market_12315": 1,
        "env_12369": 0.5,
        "transport_12328": 2,
        "water_supply": 1,
        "power_95598": 4,
        "gas": 1.5,
        "hrss_12333": 1,
        "health_12320": 1,
        "petitions": 0.3,
        "duty_room": 2,
        "housing": 3,
        PHONE: 60,
    },
    "golden-week": {
        "skynet": 20,
        "police110": 4,
        "city_management": 12,
        "grid_governance": 8,
        "weather_cap": 0.05,
        "emergency_mgmt": 0.5,
        "tourism_12301": 10,
        "market_12315": 5,
        "env_12369": 1,
        "transport_12328": 8,
        "water_supply": 0.3,
        "power_95598": 1,
        "gas": 2,
        "hrss_12333": 1,
        "health_12320": 1.5,
        "petitions": 0.3,
        "duty_room": 0.5,
        "housing": 3,
        PHONE: 50,
    },
}
CAP_UPDATE_EVERY = timedelta(minutes=90)
# Rescue teams' vehicle terminals report every couple of minutes (one payload per team):
# enough to watch them move on the wall, a handful of updates a minute in all.
UNIT_REPORT_EVERY = timedelta(minutes=2)


@dataclass(frozen=True)
class SimulatedPayload:
    """One payload to send at ``at``: ``system`` is a catalogue id or ``phone``."""

    at: datetime
    system: str
    payload: bytes | dict[str, Any]


def daily_curve(at: datetime) -> float:
    """Relative activity (0.08–1.0) by local hour: night trough, 10:00 and 15:00 peaks.

    Examples
    --------
    >>> from datetime import timezone
    >>> night = daily_curve(datetime(2026, 11, 27, 19, tzinfo=timezone.utc))   # 03:00 local
    >>> morning = daily_curve(datetime(2026, 11, 27, 2, tzinfo=timezone.utc))  # 10:00 local
    >>> night < 0.2 < 0.9 < morning
    True
    """
    h = at.astimezone(SHANGHAI)
    x = h.hour + h.minute / 60
    peak = max(math.exp(-((x - 10) ** 2) / 6), math.exp(-((x - 15) ** 2) / 8))
    return 0.08 + 0.92 * peak


_CALLS = {
    "flood": (
        ("help", "flood.waterlogging", "urgent", "小区门口积水齐膝深，车辆熄火，请尽快派人排水"),
        ("help", "flood.landslide", "urgent", "村道旁边山体有滑坡迹象，有石头往下掉"),
        ("help", "water.drainage", "general", "下水道堵塞，雨水倒灌进一楼商铺"),
    ),
    "golden-week": (
        ("complaint", "tourism.complaint", "general", "景区排队太久，现场秩序混乱"),
        ("help", "traffic.congestion", "general", "景区外道路拥堵一个多小时没动"),
        ("complaint", "market.price", "general", "景区周边餐馆菜价明显虚高"),
    ),
    "normal": (
        ("consultation", "government.service", "consultation", "请问不动产登记需要什么材料"),
        ("complaint", "environment.noise", "general", "楼下烧烤店油烟和噪音扰民到深夜"),
        ("help", "water.supply", "general", "家里停水一整天了，没有收到停水通知"),
        ("complaint", "housing.property", "general", "物业不维修漏水的楼顶"),
    ),
}


def _phone(ctx: SimContext) -> list[dict[str, Any]]:
    rtype, code, urgency, text = ctx.rng.choice(_CALLS[ctx.scenario])
    pool = {"flood": FLOOD_PLACES, "golden-week": SCENIC_PLACES}.get(ctx.scenario, PLACES)
    p = ctx.place(pool)
    lon, lat = ctx.near(p, 500)
    call = Call(
        ctx.ident("CALL"),
        ctx.phone(),
        answered_at=ctx.at - timedelta(minutes=3),
        ended_at=ctx.at,
        recording_url=f"http://10.51.12.3/rec/{ctx.ident('')}.wav",
    )
    draft = form_to_draft(
        call,
        {
            "type": rtype,
            "code": code,
            "urgency": urgency,
            "description": f"{p.name}：{text}",
            "address": p.name,
            "lon": lon,
            "lat": lat,
            "name": ctx.person(),
        },
    )
    return [draft.to_order_body()]


def _arrivals(
    module: ModuleType | None,
    system: str,
    scenario: Scenario,
    start: datetime,
    end: datetime,
    rng: random.Random,
    progress: tuple[float, float] = (0.0, 1.0),
) -> Iterator[SimulatedPayload]:
    span = (end - start).total_seconds()
    simulate = module.simulate if module is not None else _phone
    seq = 0
    p0, p1 = progress

    def emit(at: datetime) -> list[SimulatedPayload]:
        nonlocal seq
        frac = (at - start).total_seconds() / span
        ctx = SimContext(at, scenario, rng, seq, p0 + (p1 - p0) * frac, start)
        seq += 1
        return [SimulatedPayload(at, system, p) for p in simulate(ctx)]

    if module is not None and module.DESCRIPTOR.mode == "poll":
        step = timedelta(seconds=module.DESCRIPTOR.interval_s)
        t = start
        while t < end:
            yield from emit(t)
            t += step
        return
    if system == "weather_cap" and scenario == "flood":
        t = start
        while t < end:
            yield from emit(t)
            t += CAP_UPDATE_EVERY
        return
    peak = RATES_PER_HOUR[scenario].get(system, 0.0) / 3600
    if peak <= 0:
        return
    t = start
    while True:
        t += timedelta(seconds=rng.expovariate(peak))
        if t >= end:
            return
        if rng.random() <= daily_curve(t):
            yield from emit(t)


def _unit_reports(
    module: ModuleType | None, scenario: Scenario, start: datetime, end: datetime
) -> Iterator[SimulatedPayload]:
    """The rescue teams' positions on their own clock, beside the system's incident reports."""
    if module is None:
        return
    span = (end - start).total_seconds()
    t, seq = start, 0
    while t < end:
        ctx = SimContext(t, scenario, random.Random(seq), seq, (t - start).total_seconds() / span)
        for p in module.simulate_units(ctx):
            yield SimulatedPayload(t, "emergency_mgmt", p)
        t += UNIT_REPORT_EVERY
        seq += 1


def opening_reports(scenario: Scenario, at: datetime, seed: int = 9000) -> list[SimulatedPayload]:
    """One report from every connected system, made at ``at``: what the center hears in
    its first seconds, so each feed shows as up at once.

    Each is what the system's simulator says at the very start of the scenario, made at
    ``at`` itself. (Picking each system's first report from a later window carried that
    report's later time: the wall showed events and orders from the future.)

    Examples
    --------
    >>> t0 = datetime(2026, 7, 12, 6, 0, tzinfo=SHANGHAI)
    >>> items = opening_reports("flood", t0)
    >>> len({i.system for i in items}) == len(items) == len(DEFAULT_ADAPTERS)
    True
    >>> all(i.at == t0 for i in items)
    True
    """
    master = random.Random(seed)
    out = []
    for module in DEFAULT_ADAPTERS:
        ctx = SimContext(at, scenario, random.Random(master.getrandbits(64)), 0, 0.0, at)
        payloads = module.simulate(ctx)
        if payloads:
            out.append(SimulatedPayload(at, module.DESCRIPTOR.system, payloads[0]))
    return out


def generate(
    scenario: Scenario,
    *,
    start: datetime,
    end: datetime,
    seed: int = 12345,
    systems: Iterator[str] | list[str] | None = None,
    teams_of: Scenario | None = None,
    progress: tuple[float, float] = (0.0, 1.0),
) -> Iterator[SimulatedPayload]:
    """Every system's payloads in ``[start, end)``, in time order.

    ``teams_of`` names the scenario whose rescue teams report (by default ``scenario``): the
    calm day after a flood morning still has the flood patrols out, reporting.
    ``progress`` is where the window starts and ends in the scenario (0 to 1 by default):
    ``(1.0, 0.75)`` plays the end of a flood backwards, the rivers going down.

    Examples
    --------
    >>> from datetime import timezone
    >>> t0 = datetime(2026, 7, 12, 6, 0, tzinfo=SHANGHAI)
    >>> items = list(generate("flood", start=t0, end=t0 + timedelta(hours=4)))
    >>> items[0].at == t0, {"hydrology", "weather_cap", "phone"} <= {i.system for i in items}
    (True, True)
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}")
    if start.tzinfo is None or end <= start:
        raise ValueError("start must be aware and before end")
    modules: dict[str, ModuleType | None] = {m.DESCRIPTOR.system: m for m in DEFAULT_ADAPTERS}
    modules[PHONE] = None
    wanted = list(systems) if systems is not None else list(modules)
    master = random.Random(seed)
    streams = [
        _arrivals(
            modules[s], s, scenario, start, end, random.Random(master.getrandbits(64)), progress
        )
        for s in wanted
    ]
    if "emergency_mgmt" in wanted:
        streams.append(_unit_reports(modules["emergency_mgmt"], teams_of or scenario, start, end))
    yield from heapq.merge(*streams, key=lambda p: p.at)
