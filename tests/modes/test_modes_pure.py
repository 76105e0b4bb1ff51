"""The pure mode domain: policies, scopes, authority, schedule, holidays, triggers."""

from __future__ import annotations

import copy
import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dispatch_center.core.calendar import SHANGHAI, china_calendar
from dispatch_center.core.deadlines import Duration, LimitUnit, Urgency
from dispatch_center.core.roles import Role
from modes.authority import NotAllowed, check_declare, may_declare, may_end
from modes.holidays import propose_windows
from modes.policy import (
    EmergencyType,
    ModeName,
    OrderContext,
    PolicyError,
    TriggerKind,
    parse_policy,
)
from modes.scope import (
    Declaration,
    SwitchRequest,
    due_transitions,
    effective_mode,
    headline,
    next_transition,
    plan_switch,
)
from modes.triggers import CapAlert, GaugeReading, ScenicCount, evaluate, event_from_dict

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
ALL = [
    "511102",
    "511111",
    "511112",
    "511113",
    "511123",
    "511124",
    "511126",
    "511129",
    "511132",
    "511133",
    "511181",
]


def _codes(name: str) -> set[str]:
    with (ROOT / "dispatch_center" / "data" / name).open(encoding="utf-8") as f:
        return {r["code"] for r in csv.DictReader(f)}


def bundled(mode: str) -> dict[str, Any]:
    return json.loads((ROOT / "modes" / "policies" / f"{mode}.json").read_text(encoding="utf-8"))


UNITS = _codes("units.csv") | {"EMS-GWH", "DF-GWH"}
CATEGORIES = _codes("taxonomy.csv")


def decl(
    i: int,
    mode: str,
    scope: list[str] | None,
    *,
    etype: str | None = None,
    start: datetime = T0,
    end: datetime | None = None,
) -> Declaration:
    return Declaration(
        i,
        ModeName(mode),
        EmergencyType(etype) if etype else None,
        frozenset(scope) if scope is not None else None,
        start,
        end,
        "x",
        "reason",
    )


# -- policies -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["normal", "holiday", "emergency"])
def test_bundled_policies_validate_against_the_taxonomy_and_units(mode: str) -> None:
    p = parse_policy(
        bundled(mode), source=f"{mode}.json", expected_mode=mode, categories=CATEGORIES, units=UNITS
    )
    assert p.mode.value == mode
    assert p.wallboard["layers"] and p.wallboard["panels"]
    assert p.auto_switch == frozenset()  # default: people decide


@pytest.mark.parametrize(
    ("category", "etype", "urgency", "expected"),
    [
        ("flood.waterlogging", "flood", "general", "urgent"),
        ("water.drainage", "flood", "general", "urgent"),
        ("flood.landslide", "geohazard", "general", "urgent"),
        ("flood.waterlogging", "geohazard", "general", "general"),
        ("urban.sanitation", "flood", "general", "general"),
        ("flood.waterlogging", "flood", "consultation", "consultation"),
        ("health.epidemic", "public_health", "general", "urgent"),
    ],
)
def test_emergency_urgency_overrides(
    category: str, etype: str, urgency: str, expected: str
) -> None:
    p = parse_policy(bundled("emergency"))
    assert p.urgency_for(Urgency(urgency), category, EmergencyType(etype)).value == expected


def test_time_limit_most_specific_pattern_wins() -> None:
    p = parse_policy(bundled("holiday"))
    limit = p.time_limit(Urgency.general, "tourism.complaint")
    assert limit is not None and limit.respond == Duration(2, LimitUnit.hours)
    assert p.time_limit(Urgency.general, "urban.sanitation") is None
    assert p.time_limit(Urgency.urgent, "tourism.complaint") is None


@pytest.mark.parametrize(
    ("mode", "category", "ctx", "etype", "expected"),
    [
        (
            "emergency",
            "flood.waterlogging",
            OrderContext("511111", "511111001"),
            "flood",
            ("511100.flood_hq", "511111001"),
        ),
        ("emergency", "flood.waterlogging", OrderContext("511111"), "flood", ("511100.flood_hq",)),
        ("emergency", "flood.waterlogging", OrderContext("511111"), "public_health", ()),
        (
            "holiday",
            "tourism.complaint",
            OrderContext("511181", None, (("emeishan_scenic", "scenic_area"),)),
            None,
            ("511100.holiday_hq", "EMS-GWH"),
        ),
        ("holiday", "tourism.complaint", OrderContext("511181"), None, ()),  # not at a scenic area
        ("normal", "flood.waterlogging", OrderContext("511111", "511111001"), None, ()),
    ],
)
def test_co_dispatch(
    mode: str, category: str, ctx: OrderContext, etype: str | None, expected: tuple[str, ...]
) -> None:
    p = parse_policy(bundled(mode))
    assert p.co_units(category, ctx, EmergencyType(etype) if etype else None) == expected


def test_context_from_the_routing_record() -> None:
    ctx = OrderContext.from_routing(
        {
            "path": [
                {"tier": 1, "code": "511100"},
                {"tier": 2, "code": "511181"},
                {"tier": 3, "code": "511181001"},
            ],
            "asset": {"code": "emeishan_scenic", "kind": "scenic_area", "name": "峨眉山"},
        }
    )
    assert (ctx.county, ctx.township, ctx.assets) == (
        "511181",
        "511181001",
        (("emeishan_scenic", "scenic_area"),),
    )


def _broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(bundled("emergency"))
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (_broken(lambda d: d.pop("wallboard")), "wallboard"),
        (_broken(lambda d: d.update(schema=2)), "schema"),
        (
            _broken(lambda d: d["time_limits"][0]["respond"].update(unit="fortnights")),
            "time_limits[0].respond.unit",
        ),
        (
            _broken(lambda d: d["co_dispatch"][0]["units"].append("511100.nobody")),
            "co_dispatch[0].units[2]",
        ),
        (
            _broken(lambda d: d["urgency_overrides"][0]["categories"].append("flood.tsunami")),
            "urgency_overrides[0].categories[5]",
        ),
        (_broken(lambda d: d.update(unexpected=1)), "unexpected"),
        (_broken(lambda d: d["auto_switch"].append("earthquake")), "auto_switch[0]"),
        (_broken(lambda d: d.update(mode="holiday")), "mode"),
        ("{not json", "line 1 column 2"),
    ],
)
def test_bad_policy_is_refused_naming_file_and_field(doc: Any, field: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(
            doc,
            source="/etc/dispatch/emergency.json",
            expected_mode="emergency",
            categories=CATEGORIES,
            units=UNITS,
        )
    assert info.value.source == "/etc/dispatch/emergency.json"
    assert info.value.field == field
    assert "/etc/dispatch/emergency.json" in str(info.value)


# -- scope --------------------------------------------------------------------------------


def test_overlapping_scopes_emergency_over_holiday_over_normal() -> None:
    city_holiday = decl(1, "holiday", None)
    flood = decl(2, "emergency", ["511111", "511132"], etype="flood")
    table = {
        "511111": ("emergency", "flood"),
        "511132": ("emergency", "flood"),
        "511102": ("holiday", None),
        None: ("holiday", None),
    }
    for county, expected in table.items():
        assert effective_mode(county, [city_holiday, flood], T0).key == expected
    assert effective_mode("511102", [flood], T0).key == ("normal", None)
    assert effective_mode(None, [flood], T0).key == ("normal", None)  # no county: city-wide only


def test_newer_declaration_of_equal_rank_governs() -> None:
    a = decl(1, "emergency", ["511111"], etype="flood")
    b = decl(2, "emergency", ["511111"], etype="geohazard", start=T0 + timedelta(minutes=5))
    assert effective_mode("511111", [a, b], T0 + timedelta(minutes=6)).key == (
        "emergency",
        "geohazard",
    )
    assert effective_mode("511111", [a, b], T0 + timedelta(minutes=1)).key == ("emergency", "flood")


def test_headline_names_the_scope() -> None:
    flood = decl(2, "emergency", ["511132", "511111"], etype="flood")
    top, where = headline(ALL, [flood], T0)
    assert top.mode is ModeName.emergency and where == ["511111", "511132"]
    top, where = headline(ALL, [decl(1, "holiday", None)], T0)
    assert top.mode is ModeName.holiday and where is None


# -- the schedule -------------------------------------------------------------------------


def test_scheduled_window_starts_and_ends_by_itself() -> None:
    d = decl(1, "holiday", None, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3))
    timeline = [
        (T0, "normal"),
        (T0 + timedelta(hours=1), "holiday"),
        (T0 + timedelta(hours=2, minutes=59), "holiday"),
        (T0 + timedelta(hours=3), "normal"),
    ]
    for moment, expected in timeline:
        assert effective_mode("511181", [d], moment).mode.value == expected
    nxt = next_transition([d], T0)
    assert nxt is not None and (nxt.kind, nxt.at) == ("start", T0 + timedelta(hours=1))
    assert [t.kind for t in due_transitions([d], T0 + timedelta(hours=1))] == ["start"]
    assert [t.kind for t in due_transitions([d], T0 + timedelta(hours=4))] == ["start", "end"]


def test_switch_to_the_current_mode_is_a_noop() -> None:
    flood = decl(2, "emergency", ["511111"], etype="flood")
    req = SwitchRequest(ModeName.emergency, "again", EmergencyType.flood, frozenset({"511111"}))
    assert plan_switch(req, [flood], T0, ALL, lambda d: True).noop
    other = SwitchRequest(
        ModeName.emergency, "wider", EmergencyType.flood, frozenset({"511111", "511102"})
    )
    assert not plan_switch(other, [flood], T0, ALL, lambda d: True).noop
    nothing = SwitchRequest(ModeName.normal, "already normal", scope=frozenset({"511102"}))
    assert plan_switch(nothing, [flood], T0, ALL, lambda d: True).noop


def test_ending_part_of_a_scope_continues_over_the_rest() -> None:
    flood = decl(2, "emergency", ["511111", "511132"], etype="flood")
    req = SwitchRequest(ModeName.normal, "退水", scope=frozenset({"511111"}))
    plan = plan_switch(req, [flood], T0, ALL, lambda d: True)
    assert [d.id for d, _ in plan.end] == [2]
    assert [(n.scope, n.emergency_type, n.continues) for n in plan.create] == [
        (frozenset({"511132"}), EmergencyType.flood, 2)
    ]


def test_normal_only_ends_what_the_requester_may_end() -> None:
    holiday = decl(1, "holiday", None)
    flood = decl(2, "emergency", ["511111"], etype="flood")
    req = SwitchRequest(ModeName.normal, "节后")
    plan = plan_switch(req, [holiday, flood], T0, ALL, lambda d: may_end(Role.holiday_hq, d))
    assert [d.id for d, _ in plan.end] == [1]


# -- authority ----------------------------------------------------------------------------

MATRIX = [
    # role, mode, type, allowed
    *[
        (Role.admin, m, t, True)
        for m, t in [("emergency", "public_health"), ("holiday", None), ("normal", None)]
    ],
    *[(Role.flood_hq, "emergency", t, True) for t in ("flood", "geohazard", "other")],
    *[(Role.flood_hq, "emergency", t, False) for t in ("public_health", "major_accident")],
    (Role.flood_hq, "holiday", None, False),
    (Role.flood_hq, "normal", None, True),
    (Role.holiday_hq, "holiday", None, True),
    (Role.holiday_hq, "normal", None, True),
    (Role.holiday_hq, "emergency", "flood", False),
    *[
        (r, m, t, False)
        for r in (Role.duty_officer, Role.dispatcher, Role.leader, Role.handler, Role.auditor)
        for m, t in [("emergency", "flood"), ("holiday", None), ("normal", None)]
    ],
]


@pytest.mark.parametrize(("role", "mode", "etype", "allowed"), MATRIX)
def test_authority_matrix(role: Role, mode: str, etype: str | None, allowed: bool) -> None:
    m, t = ModeName(mode), EmergencyType(etype) if etype else None
    assert may_declare(role, m, t) is allowed
    if allowed:
        check_declare(role, m, t)
    else:
        with pytest.raises(NotAllowed):
            check_declare(role, m, t)


# -- holiday windows ----------------------------------------------------------------------


def test_holiday_windows_from_the_statutory_calendar() -> None:
    windows = propose_windows(china_calendar(), date(2026, 1, 1), date(2026, 12, 31))
    by_name = {w.name: w for w in windows}
    national = by_name["National Day"]
    assert (national.first_day, national.last_day) == (date(2026, 10, 1), date(2026, 10, 7))
    assert national.starts_at == datetime(2026, 10, 1, tzinfo=SHANGHAI)
    assert national.ends_at == datetime(2026, 10, 8, tzinfo=SHANGHAI)
    spring = by_name["Spring Festival"]
    assert spring.first_day == date(2026, 2, 15) and spring.last_day >= date(2026, 2, 23)
    assert {"Labour Day", "Dragon Boat Festival", "Tomb-sweeping Day"} <= set(by_name)
    # plain weekends are not holiday windows
    assert all(w.name for w in windows) and len(windows) == len({w.key for w in windows})


# -- triggers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            CapAlert("a1", "sc", "暴雨红色预警", "Extreme", ("Met",), ("511111", "510100")),
            (TriggerKind.cap_alert, "emergency", "flood", ("511111",)),
        ),
        (
            CapAlert("a2", "sc", "地质灾害", "Severe", ("Geo",), ("511132",)),
            (TriggerKind.cap_alert, "emergency", "geohazard", ("511132",)),
        ),
        (CapAlert("a3", "sc", "暴雨蓝色预警", "Moderate", ("Met",), ("511111",)), None),
        (CapAlert("a4", "sc", "暴雨", "Extreme", ("Met",), ("510100",)), None),  # not Leshan
        (CapAlert("a5", "sc", "火灾", "Extreme", ("Fire",), ("511111",)), None),
        (
            GaugeReading("g1", "沙湾", "511111", 10.1, 10.0),
            (TriggerKind.river_gauge, "emergency", "flood", ("511111",)),
        ),
        (GaugeReading("g1", "沙湾", "511111", 10.0, 10.0), None),
        (
            ScenicCount("emei", "峨眉山", "511181", 50_001, 50_000),
            (TriggerKind.scenic_capacity, "holiday", None, ("511181",)),
        ),
        (ScenicCount("emei", "峨眉山", "511181", 50_000, 50_000), None),
    ],
)
def test_trigger_conditions(event: Any, expected: tuple[Any, ...] | None) -> None:
    s = evaluate(event)
    if expected is None:
        assert s is None
    else:
        assert s is not None
        etype = s.emergency_type.value if s.emergency_type else None
        assert (s.kind, s.mode.value, etype, s.scope) == expected


def test_same_condition_same_dedupe_key() -> None:
    a = evaluate(CapAlert("x1", "s", "暴雨", "Severe", ("Met",), ("511132", "511111")))
    b = evaluate(CapAlert("x2-update", "s", "暴雨", "Extreme", ("Met",), ("511111", "511132")))
    assert a is not None and b is not None and a.dedupe_key == b.dedupe_key
    g1 = evaluate(GaugeReading("g1", "n", "511111", 11, 10))
    g2 = evaluate(GaugeReading("g1", "n", "511111", 12, 10))
    assert g1 is not None and g2 is not None and g1.dedupe_key == g2.dedupe_key


def test_policy_thresholds_move_the_trigger() -> None:
    reading = ScenicCount("emei", "峨眉山", "511181", 46_000, 50_000)
    assert evaluate(reading) is None
    assert evaluate(reading, {"scenic_capacity": {"ratio": 0.9}}) is not None


def test_event_from_dict_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown trigger kind"):
        event_from_dict({"kind": "earthquake"})
    with pytest.raises(ValueError, match="missing field 'county'"):
        event_from_dict(
            {"kind": "river_gauge", "station_id": "g", "level_m": 1, "warning_level_m": 1}
        )
