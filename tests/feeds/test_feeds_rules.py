"""Rules: which events become orders, flood alerts and trigger inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from feeds.base import FeedEvent, Layer, Point, Severity
from feeds.registry import Catalogue
from feeds.rules import TriggerInput, apply_rules
from tests.feeds.conftest import RECEIVED, fixture_bytes

CAT = Catalogue.default()
T = datetime(2026, 7, 12, 0, 0, tzinfo=UTC)


def _run(system: str, name: str) -> Any:
    return apply_rules(CAT[system].normalize(fixture_bytes(system, name), received_at=RECEIVED))


def test_camera_rubbish_becomes_city_management_order() -> None:
    out = _run("skynet", "rubbish_jiading.json")
    [draft] = out.drafts
    assert (draft.category.code, draft.channel, draft.urgency) == (
        "urban.sanitation",
        "feed:skynet",
        "general",
    )
    assert draft.source == "skynet" and draft.source_id == "TW2026112708123300017#camera-order"
    assert draft.location is not None and draft.location.lat == 29.5561
    assert out.triggers == []


@pytest.mark.parametrize(
    ("alarm", "confidence", "code"),
    [
        ("rubbish", 0.93, "urban.sanitation"),
        ("rubbish", 0.79, None),  # not confident enough: stays a map event
        ("street_vendor", 0.9, "urban.street_vendor"),
        ("waterlogging", 0.85, "flood.waterlogging"),
        ("crowd", 0.99, None),
        ("offline", 1.0, None),
    ],
)
def test_camera_rule_table(alarm: str, confidence: float, code: str | None) -> None:
    ev = FeedEvent(
        "skynet",
        "A1",
        "camera.alarm",
        T,
        Layer.cameras,
        location=Point(103.76, 29.55),
        values={"alarm_type": alarm, "confidence": confidence},
    )
    drafts = apply_rules([ev]).drafts
    assert [d.category.code for d in drafts] == ([code] if code else [])


def test_gauge_above_warning_is_flood_alert_and_trigger() -> None:
    out = _run("hydrology", "flood_morning.json")
    alerts = [e for e in out.events if e.kind == "flood.alert"]
    assert len(alerts) == 1
    assert alerts[0].layer is Layer.warnings and "超警戒水位0.62米" in alerts[0].title
    assert out.triggers == [
        TriggerInput(
            kind="gauge",
            key="gauge:60705800",
            severity=Severity.severe,
            county_codes=("511111",),
            detail=alerts[0].values,
            occurred_at=alerts[0].occurred_at,
        )
    ]


@pytest.mark.parametrize(
    ("level", "guarantee", "severity"),
    [
        (423.99, 426.0, None),
        (424.0, 426.0, Severity.severe),
        (426.0, 426.0, Severity.extreme),
        (425.0, None, Severity.severe),
    ],
)
def test_gauge_thresholds(level: float, guarantee: float | None, severity: Severity | None) -> None:
    ev = FeedEvent(
        "hydrology",
        "g",
        "gauge.reading",
        T,
        Layer.gauges,
        values={
            "level_m": level,
            "warning_level_m": 424.0,
            "guarantee_level_m": guarantee,
            "station_code": "60705800",
            "adcode": "511111",
        },
    )
    got = [t.severity for t in apply_rules([ev]).triggers]
    assert got == ([severity] if severity else [])


def test_gauge_back_below_after_above_ends_the_condition() -> None:
    ev = FeedEvent(
        "hydrology",
        "g",
        "gauge.reading",
        T,
        Layer.gauges,
        values={
            "level_m": 423.0,
            "warning_level_m": 424.0,
            "station_code": "60705800",
            "below_after_above": True,
        },
    )
    out = apply_rules([ev])
    [t] = out.triggers
    assert (t.key, t.active) == ("gauge:60705800", False)
    # The wall's alert for the station ends too: same live-layer key, marked ended.
    [ended] = [e for e in out.events if e.kind == "flood.alert"]
    assert ended.layer == Layer.warnings and ended.values["ended"] is True
    assert ended.values["station_code"] == "60705800"


def test_crowd_over_capacity_triggers_for_both_scenic_areas() -> None:
    out = _run("scenic_crowd", "golden_week.json")
    assert [(t.key, t.severity, t.county_codes) for t in out.triggers] == [
        ("crowd:LSDF", Severity.severe, ("511102",)),
        ("crowd:EMSJD", Severity.severe, ("511181",)),
    ]
    assert out.triggers[0].detail["ratio"] == round(38650 / 35000, 3)


def test_cap_alert_update_cancel_share_one_key() -> None:
    keys = []
    for name, active in [
        ("rainstorm_red_alert.xml", True),
        ("rainstorm_red_update.xml", True),
        ("rainstorm_red_cancel.xml", False),
    ]:
        [t] = _run("weather_cap", name).triggers
        assert t.kind == "cap" and t.active is active
        assert t.county_codes == ("511111", "511132", "511113")
        keys.append(t.key)
    assert len(set(keys)) == 1


def test_cap_of_other_categories_or_test_status_does_not_trigger() -> None:
    base = {"categories": ["Security"], "status": "Actual", "msg_type": "Alert", "chain_key": "x"}
    ev = FeedEvent(
        "weather_cap", "c", "cap.alert", T, Layer.warnings, Severity.extreme, values=base
    )
    assert apply_rules([ev]).triggers == []
    test = {**base, "categories": ["Met"], "status": "Test"}
    ev2 = FeedEvent(
        "weather_cap", "c", "cap.alert", T, Layer.warnings, Severity.extreme, values=test
    )
    assert apply_rules([ev2]).triggers == []
    moderate = {**base, "categories": ["Met"]}
    ev3 = FeedEvent(
        "weather_cap", "c", "cap.alert", T, Layer.warnings, Severity.moderate, values=moderate
    )
    assert apply_rules([ev3]).triggers == []


@pytest.mark.parametrize(
    ("system", "name", "code", "urgency"),
    [
        ("geohazard", "orange_jianong.json", "flood.landslide", "urgent"),
        ("gas", "serious_leak.json", "utility.gas", "urgent"),
        ("housing", "lift_trapped.json", "housing.lift", "urgent"),
    ],
)
def test_sensor_alarms_become_urgent_orders(
    system: str, name: str, code: str, urgency: str
) -> None:
    [d] = _run(system, name).drafts
    assert (d.category.code, d.urgency, d.channel) == (code, urgency, f"feed:{system}")


@pytest.mark.parametrize(
    ("system", "name"),
    [
        ("geohazard", "normal.json"),
        ("housing", "site_night_noise.json"),
        ("hydrology", "normal.json"),
        ("emergency_mgmt", "fire.json"),
    ],
)
def test_quiet_events_make_nothing(system: str, name: str) -> None:
    out = _run(system, name)
    assert out.drafts == [] and out.triggers == []


def test_drafts_from_adapters_pass_through() -> None:
    out = _run("tourism_12301", "boat_queue.json")
    assert [d.source_id for d in out.drafts] == ["12301-5111-20261003-0042"]
    assert out.events == []
