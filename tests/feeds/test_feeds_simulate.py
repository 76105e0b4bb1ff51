"""The demo simulators: every payload accepted by its adapter, and the scenarios' story."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest

from dispatch_center.models import OrderCreate
from feeds.base import FeedEvent, OrderDraft
from feeds.cap import parse_cap
from feeds.payload import SHANGHAI
from feeds.registry import DEFAULT_ADAPTERS, Catalogue
from feeds.rules import apply_rules
from feeds.simkit import SCENARIOS, SimContext
from feeds.simulate import PHONE, SimulatedPayload, generate, opening_reports

CAT = Catalogue.default()
FLOOD_START = datetime(2026, 7, 12, 6, 0, tzinfo=SHANGHAI)
GOLDEN_START = datetime(2026, 10, 3, 13, 0, tzinfo=SHANGHAI)


def _accept(item: SimulatedPayload) -> list[FeedEvent | OrderDraft]:
    if item.system == PHONE:
        assert isinstance(item.payload, dict)
        OrderCreate.model_validate(item.payload)
        return []
    out = CAT[item.system].normalize(item.payload, received_at=item.at)
    for d in out:
        if isinstance(d, OrderDraft):
            OrderCreate.model_validate(d.to_order_body())
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("module", DEFAULT_ADAPTERS, ids=lambda m: m.DESCRIPTOR.system)
def test_every_simulator_speaks_its_adapters_format(module: object, scenario: str) -> None:
    rng = random.Random(7)
    for seq in range(25):
        at = FLOOD_START + timedelta(minutes=10 * seq)
        ctx = SimContext(at, scenario, rng, seq, seq / 24, FLOOD_START)  # type: ignore[arg-type]
        payloads = module.simulate(ctx)  # type: ignore[attr-defined]
        assert payloads
        for p in payloads:
            out = module.normalize(p, received_at=at)  # type: ignore[attr-defined]
            assert out


@pytest.mark.parametrize(
    ("scenario", "start"),
    [
        ("normal", datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)),
        ("flood", FLOOD_START),
        ("golden-week", GOLDEN_START),
    ],
)
def test_generated_stream_is_ordered_deterministic_and_accepted(
    scenario: str, start: datetime
) -> None:
    items = list(generate(scenario, start=start, end=start + timedelta(hours=4)))  # type: ignore[arg-type]
    assert items and all(a.at <= b.at for a, b in itertools.pairwise(items))
    assert all(start <= i.at < start + timedelta(hours=4) for i in items)
    again = list(generate(scenario, start=start, end=start + timedelta(hours=4)))  # type: ignore[arg-type]
    assert [(i.at, i.system) for i in again] == [(i.at, i.system) for i in items]
    other = list(generate(scenario, start=start, end=start + timedelta(hours=4), seed=1))  # type: ignore[arg-type]
    assert [(i.at, i.system) for i in other] != [(i.at, i.system) for i in items]
    for item in items:
        _accept(item)
    assert len({i.system for i in items}) >= 15


def test_flood_morning_story() -> None:
    items = list(generate("flood", start=FLOOD_START, end=FLOOD_START + timedelta(hours=4)))
    # the CAP red warning first, then Updates referencing it
    caps = [parse_cap(i.payload) for i in items if i.system == "weather_cap"]  # type: ignore[arg-type]
    assert caps[0].msg_type == "Alert" and caps[0].info().severity == "Extreme"  # type: ignore[union-attr]
    assert len(caps) >= 2 and all(c.msg_type == "Update" for c in caps[1:])
    assert {c.chain_key for c in caps} == {caps[0].chain_key}
    # rain rising in 沙湾, 峨边, 金口河
    rain: dict[str, list[float]] = {}
    gauges_over: set[str] = set()
    triggers = set()
    for i in items:
        if i.system != "hydrology":
            continue
        out = apply_rules(_accept(i))
        triggers |= {t.key for t in out.triggers}
        for e in out.events:
            if e.kind == "rain.reading":
                rain.setdefault(e.values["adcode"], []).append(e.values["rain_mm"])
            if e.kind == "flood.alert":
                gauges_over.add(e.values["river"])
    for adcode in ("511111", "511132", "511113"):
        series = rain[adcode]
        assert series[-1] > series[0] + 20, adcode
    assert rain["511102"][-1] < 5
    assert "大渡河" in gauges_over and "gauge:60705800" in triggers
    calls = [i.payload for i in items if i.system == PHONE and isinstance(i.payload, dict)]
    assert sum(1 for c in calls if c["category"]["code"] == "flood.waterlogging") >= 5


def test_golden_week_afternoon_story() -> None:
    items = list(generate("golden-week", start=GOLDEN_START, end=GOLDEN_START + timedelta(hours=4)))
    keys = set()
    for i in items:
        if i.system == "scenic_crowd":
            keys |= {t.key for t in apply_rules(_accept(i)).triggers}
    assert {"crowd:LSDF", "crowd:EMSJD", "crowd:EMSBGS"} <= keys
    counts = Counter(i.system for i in items)
    assert counts["tourism_12301"] >= 10 and counts["transport_12328"] >= 10
    congestion = [
        d
        for i in items
        if i.system == "transport_12328"
        for d in _accept(i)
        if isinstance(d, OrderDraft) and d.category.code == "traffic.congestion"
    ]
    assert len(congestion) >= 5


def test_daily_curve_shapes_the_day() -> None:
    day = datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)
    items = list(
        generate("normal", start=day, end=day + timedelta(days=1), systems=["skynet", PHONE])
    )
    by_hour = Counter(i.at.astimezone(SHANGHAI).hour for i in items)
    night = sum(by_hour[h] for h in (1, 2, 3, 4))
    morning = sum(by_hour[h] for h in (9, 10, 11, 12))
    assert morning > 4 * night


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(generate("typhoon", start=FLOOD_START, end=FLOOD_START + timedelta(hours=1)))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        list(generate("flood", start=FLOOD_START, end=FLOOD_START))


def test_rescue_teams_move_in_the_flood_stream_at_a_steady_rate() -> None:
    items = list(
        generate(
            "flood",
            start=FLOOD_START,
            end=FLOOD_START + timedelta(hours=2),
            systems=["emergency_mgmt"],
        )
    )
    tracks: dict[str, list[FeedEvent]] = {}
    for i in items:
        for e in _accept(i):
            if isinstance(e, FeedEvent) and e.kind == "unit.position":
                assert e.occurred_at == i.at
                tracks.setdefault(e.values["unit_code"], []).append(e)
    # 沙湾区 and 金口河区 flood patrols beside the city's standing teams
    assert {"SW-FX-01", "SW-FX-02", "JKH-FX-01", "SZ-XF-01"} <= set(tracks)
    assert any(e.values["adcode"] == "511111" for e in tracks["SW-FX-01"])
    for code, track in tracks.items():
        # one report every two minutes per team: a handful a minute on the wall, no more
        assert len(track) == 60, code
        assert len({e.source_id for e in track}) == 60, code
        # every team goes through a sortie within two hours and actually moves
        assert {e.values["status"] for e in track} >= {"dispatched", "on_scene"}, code
        assert len({(e.location.lon, e.location.lat) for e in track if e.location}) > 10, code
        for a, b in itertools.pairwise(track):
            assert a.location is not None and b.location is not None
            # no jumps: at most one two-minute drive at the team's speed between reports
            step_km = math.dist((a.location.lon, a.location.lat), (b.location.lon, b.location.lat))
            assert step_km * 111 < 2.5, (code, a.occurred_at)


def test_normal_day_has_no_flood_patrols() -> None:
    start = datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)
    items = generate("normal", start=start, end=start + timedelta(minutes=10))
    codes = {
        e.values["unit_code"]
        for i in items
        if i.system == "emergency_mgmt"
        for e in _accept(i)
        if isinstance(e, FeedEvent) and e.kind == "unit.position"
    }
    assert codes == {"SZ-XF-01", "SZ-ZH-02", "WTQ-WH-01", "EMS-SD-01"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_opening_reports_come_from_every_system_and_none_from_the_future(scenario: str) -> None:
    # The demo sends these the moment it starts: a report dated later than that showed
    # the wall's ticker an order "received" 25 minutes in the future.
    now = datetime(2026, 11, 27, 23, 42, tzinfo=SHANGHAI)
    items = opening_reports(scenario, now)  # type: ignore[arg-type]
    assert sorted(i.system for i in items) == sorted(m.DESCRIPTOR.system for m in DEFAULT_ADAPTERS)
    times = []
    for item in items:
        for out in _accept(item):
            when = out.occurred_at if isinstance(out, FeedEvent) else out.received_at
            if when is not None:
                times.append((item.system, when))
    assert len({s for s, _ in times}) >= 15  # most reports carry a time of their own
    assert [(s, t) for s, t in times if t > now] == []


def test_the_calm_day_after_a_flood_keeps_the_flood_patrols_reporting() -> None:
    # The demo follows its flood story with calm days: the patrols it sent out must go on
    # reporting, or the wall marks them out of contact ten minutes after the story.
    from dispatch_center.demo.simulator import _calm

    start = datetime(2026, 11, 27, 23, 55, tzinfo=SHANGHAI)

    def teams(items: list[SimulatedPayload]) -> set[str]:
        return {
            str(i.payload["dwbm"])
            for i in items
            if i.system == "emergency_mgmt" and isinstance(i.payload, dict) and "dwbm" in i.payload
        }

    after_flood = teams(_calm(start, 1, "flood"))
    after_normal = teams(_calm(start, 1))
    assert {"SW-FX-01", "SW-FX-02", "JKH-FX-01"} <= after_flood
    assert after_normal and not after_normal & {"SW-FX-01", "SW-FX-02", "JKH-FX-01"}
    assert after_normal < after_flood


def test_after_the_flood_story_the_rivers_go_down_over_the_calm_windows() -> None:
    # The 沙湾 gauge ends the story over its warning level (424.0 m, from 420.5 m): the calm
    # days bring it back down a little at a time, not 3.5 m from one reading to the next.
    from dispatch_center.demo.simulator import RECESSION, STORY, _calm, story

    def levels(items: list[SimulatedPayload]) -> list[float]:
        return [
            e.values["level_m"]
            for i in items
            if i.system == "hydrology"
            for e in _accept(i)
            if isinstance(e, FeedEvent) and e.values.get("station_code") == "60705800"
        ]

    start = datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)
    series = levels(story("flood", start))[-1:]
    for n in range(1, RECESSION + 2):
        series += levels(_calm(start + n * STORY, n, "flood", n))
    assert series[0] > 424.0 and series[-1] < 421.0
    steps = [b - a for a, b in itertools.pairwise(series)]
    assert max(abs(d) for d in steps) < 0.5, steps
