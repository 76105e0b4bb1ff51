"""Every recorded fixture through its adapter; malformed payloads name the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dispatch_center.models import OrderCreate
from feeds.base import FeedEvent, OrderDraft, PayloadError, Severity
from feeds.registry import Catalogue
from tests.feeds.conftest import FIXTURES, RECEIVED, fixture_bytes

CAT = Catalogue.default()


def _kinds(items: list[FeedEvent | OrderDraft]) -> list[str]:
    return [i.kind if isinstance(i, FeedEvent) else f"draft:{i.category.code}" for i in items]


# (system, fixture, kinds in order, check on the output)
CASES: list[tuple[str, str, list[str], Any]] = [
    (
        "skynet",
        "rubbish_jiading.json",
        ["camera.alarm"],
        lambda o: o[0].values["alarm_type"] == "rubbish" and o[0].location.lon == 103.7612,
    ),
    (
        "skynet",
        "waterlogging_shawan.json",
        ["camera.alarm"],
        lambda o: o[0].severity is Severity.moderate,
    ),
    ("skynet", "crowd_dafo.json", ["camera.alarm"], lambda o: o[0].values["alarm_type"] == "crowd"),
    (
        "police110",
        "transfer_noise.json",
        ["police110.transfer", "draft:environment.noise"],
        lambda o: o[1].channel == "110" and o[1].source_id == "J511100202611260417",
    ),
    (
        "police110",
        "transfer_unclear.json",
        ["police110.transfer"],
        lambda o: o[0].values["accept"] is False and "首接" in o[0].values["reason"],
    ),
    (
        "police110",
        "status_done.json",
        ["police110.status"],
        lambda o: o[0].values["status"] == "已办结",
    ),
    (
        "police110",
        "three_way_call.json",
        ["police110.call"],
        lambda o: len(o[0].values["parties"]) == 3,
    ),
    (
        "city_management",
        "case_to_12345.json",
        ["city.case", "draft:urban.sanitation"],
        lambda o: o[1].location.crs == "gcj02",
    ),
    (
        "city_management",
        "streetlight.json",
        ["city.case"],
        lambda o: o[0].values["category_code"] == "urban.streetlight",
    ),
    (
        "grid_governance",
        "dispute.json",
        ["grid.incident", "draft:other"],
        lambda o: o[1].urgency == "general",
    ),
    (
        "grid_governance",
        "hazard.json",
        ["grid.incident"],
        lambda o: o[0].severity is Severity.moderate,
    ),
    (
        "hydrology",
        "flood_morning.json",
        ["gauge.reading", "gauge.reading"] + ["rain.reading"] * 3,
        lambda o: (
            o[0].severity is Severity.severe
            and o[1].severity is Severity.minor
            and o[2].severity is Severity.severe
            and o[3].severity is Severity.moderate
        ),
    ),
    (
        "hydrology",
        "normal.json",
        ["gauge.reading", "rain.reading"],
        lambda o: all(e.severity is Severity.minor for e in o),
    ),
    (
        "weather_cap",
        "rainstorm_red_alert.xml",
        ["cap.alert"],
        lambda o: o[0].severity is Severity.extreme and o[0].values["language"] == "zh-CN",
    ),
    (
        "weather_cap",
        "rainstorm_red_update.xml",
        ["cap.alert"],
        lambda o: o[0].values["msg_type"] == "Update",
    ),
    (
        "weather_cap",
        "rainstorm_red_cancel.xml",
        ["cap.alert"],
        lambda o: o[0].values["msg_type"] == "Cancel",
    ),
    (
        "geohazard",
        "orange_jianong.json",
        ["geohazard.reading"],
        lambda o: o[0].severity is Severity.severe and o[0].values["people_at_risk"] == 35,
    ),
    ("geohazard", "normal.json", ["geohazard.reading"], lambda o: o[0].severity is Severity.minor),
    (
        "emergency_mgmt",
        "fire.json",
        ["emergency.incident"],
        lambda o: o[0].severity is Severity.moderate and o[0].values["injured"] == 1,
    ),
    (
        "emergency_mgmt",
        "flash_flood.json",
        ["emergency.incident"],
        lambda o: o[0].severity is Severity.severe,
    ),
    (
        "emergency_mgmt",
        "rescue_team_shawan.json",
        ["unit.position"],
        lambda o: (
            str(o[0].layer) == "units"
            and o[0].values["unit_code"] == "SW-FX-01"
            and o[0].values["status"] == "dispatched"
            and o[0].values["unit_kind"] == "flood"
            and o[0].values["heading_deg"] == 238.5
            and o[0].values["speed_kmh"] == 36.0
            and (o[0].location.lon, o[0].location.lat) == (103.4512, 29.3478)
            and o[0].source_id == "SW-FX-01@2026-07-12T07:20:05+08:00"
        ),
    ),
    (
        "scenic_crowd",
        "golden_week.json",
        ["crowd.count"] * 3,
        lambda o: [e.severity for e in o] == [Severity.severe, Severity.severe, Severity.moderate],
    ),
    (
        "tourism_12301",
        "boat_queue.json",
        ["draft:tourism.complaint"],
        lambda o: o[0].category.type == "complaint" and "游船码头" in o[0].description,
    ),
    ("market_12315", "food.json", ["draft:market.food"], lambda o: o[0].category.type == "report"),
    (
        "env_12369",
        "night_piling.json",
        ["draft:environment.noise"],
        lambda o: o[0].location is not None,
    ),
    (
        "transport_12328",
        "congestion.json",
        ["draft:traffic.congestion"],
        lambda o: o[0].category.type == "help",
    ),
    (
        "water_supply",
        "burst.json",
        ["water.outage"],
        lambda o: o[0].values["kind"] == "burst" and o[0].values["households"] == 3200,
    ),
    ("power_95598", "outage.json", ["power.outage"], lambda o: o[0].values["kind"] == "fault"),
    (
        "power_95598",
        "work_order.json",
        ["draft:utility.power"],
        lambda o: o[0].reporter.phone == "15908130033",
    ),
    ("gas", "serious_leak.json", ["gas.alarm"], lambda o: o[0].severity is Severity.severe),
    (
        "hrss_12333",
        "group_wages.json",
        ["draft:social.wages"],
        lambda o: o[0].urgency == "urgent" and "14人" in o[0].description,
    ),
    (
        "health_12320",
        "fever_cluster.json",
        ["health.report", "draft:health.epidemic"],
        lambda o: o[1].urgency == "urgent",
    ),
    (
        "health_12320",
        "complaint.json",
        ["draft:health.hospital"],
        lambda o: o[0].urgency == "general",
    ),
    (
        "petitions",
        "collective.json",
        ["draft:housing.property"],
        lambda o: o[0].urgency == "urgent" and o[0].extra["adcode"] == "511102",
    ),
    ("duty_room", "flood_report.json", ["duty.report"], lambda o: o[0].severity is Severity.severe),
    (
        "housing",
        "lift_trapped.json",
        ["lift.alarm"],
        lambda o: o[0].values["alarm_type"] == "trapped" and o[0].values["trapped"] == 2,
    ),
    (
        "housing",
        "site_night_noise.json",
        ["site.reading"],
        lambda o: o[0].values["exceeded"] is True and o[0].values["noise_limit_db"] == 55.0,
    ),
]


def test_every_fixture_is_in_the_table() -> None:
    on_disk = {(p.parent.name, p.name) for s in CAT for p in (FIXTURES / s).glob("*")}
    assert on_disk == {(s, f) for s, f, _, _ in CASES}


@pytest.mark.parametrize(
    ("system", "name", "kinds", "check"), CASES, ids=[f"{s}/{f}" for s, f, _, _ in CASES]
)
def test_fixture_through_adapter(
    system: str, name: str, kinds: list[str], check: Any, taxonomy_codes: set[str]
) -> None:
    out = CAT[system].normalize(fixture_bytes(system, name), received_at=RECEIVED)
    assert _kinds(out) == kinds
    assert check(out)
    for item in out:
        if isinstance(item, FeedEvent):
            assert item.system == system and item.occurred_at.tzinfo is not None
            json.dumps(item.to_dict(), ensure_ascii=False)  # JSON-ready
        else:
            assert item.category.code in taxonomy_codes
            OrderCreate.model_validate(item.to_order_body())  # the orders API accepts it


def test_normalize_is_deterministic_and_accepts_dicts() -> None:
    raw = fixture_bytes("skynet", "rubbish_jiading.json")
    a = CAT["skynet"].normalize(raw, received_at=RECEIVED)
    b = CAT["skynet"].normalize(json.loads(raw), received_at=RECEIVED)
    assert a == b


def _broken(system: str, name: str, mutate: Any) -> dict[str, Any]:
    doc = json.loads(fixture_bytes(system, name))
    mutate(doc)
    return doc


def _pop(*path: Any) -> Any:
    def go(d: Any) -> None:
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]

    return go


def _set(value: Any, *path: Any) -> Any:
    def go(d: Any) -> None:
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value

    return go


MALFORMED = [
    ("skynet", "rubbish_jiading.json", _pop("alarmId"), "alarmId"),
    ("skynet", "rubbish_jiading.json", _set("XXXX", "alarmType"), "alarmType"),
    ("skynet", "rubbish_jiading.json", _set("昨天", "alarmTime"), "alarmTime"),
    ("skynet", "rubbish_jiading.json", _set(203.7, "longitude"), "longitude"),
    ("skynet", "rubbish_jiading.json", _set(1.7, "confidence"), "confidence"),
    ("hydrology", "flood_morning.json", _pop("data", 2, "DRP"), "data[2].DRP"),
    ("hydrology", "flood_morning.json", _set("abc", "data", 0, "Z"), "data[0].Z"),
    ("hydrology", "flood_morning.json", _set("XX", "data", 1, "STTP"), "data[1].STTP"),
    ("hydrology", "flood_morning.json", _set([], "data"), "data"),
    ("scenic_crowd", "golden_week.json", _set(0, "list", 1, "maxCapacity"), "list[1].maxCapacity"),
    ("police110", "transfer_noise.json", _pop("body", "bjnr"), "body.bjnr"),
    ("police110", "transfer_noise.json", _set("BOGUS", "msgType"), "msgType"),
    ("police110", "three_way_call.json", _set(["a", "b"], "body", "parties"), "body.parties"),
    (
        "police110",
        "three_way_call.json",
        _set("2026-11-27 10:00:00", "body", "endTime"),
        "body.endTime",
    ),
    ("market_12315", "food.json", _set("服装", "wtlb"), "wtlb"),
    ("tourism_12301", "boat_queue.json", _set("表扬信", "tslx"), "tslx"),
    ("petitions", "collective.json", _set("电话", "xfxs"), "xfxs"),
    ("gas", "serious_leak.json", _set(130, "concentration"), "concentration"),
    ("water_supply", "burst.json", _set("2026-11-27 06:00:00", "yjhfsj"), "yjhfsj"),
    ("housing", "lift_trapped.json", _set("tower", "source"), "source"),
    ("power_95598", "outage.json", _set("ZZ", "msgType"), "msgType"),
    ("emergency_mgmt", "fire.json", _set("V", "sjdj"), "sjdj"),
    ("emergency_mgmt", "rescue_team_shawan.json", _set("休息", "zt"), "zt"),
    ("emergency_mgmt", "rescue_team_shawan.json", _pop("wd"), "wd"),
    ("emergency_mgmt", "rescue_team_shawan.json", _set(400, "fx"), "fx"),
    ("emergency_mgmt", "rescue_team_shawan.json", _set("快", "sd"), "sd"),
    ("emergency_mgmt", "rescue_team_shawan.json", _set("", "dwmc"), "dwmc"),
    ("geohazard", "orange_jianong.json", _set("紫色", "yjjb"), "yjjb"),
    ("city_management", "case_to_12345.json", _pop("x"), "x"),
]


@pytest.mark.parametrize(
    ("system", "name", "mutate", "field"), MALFORMED, ids=[f"{s}-{f}" for s, _, _, f in MALFORMED]
)
def test_malformed_payload_names_the_field(system: str, name: str, mutate: Any, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        CAT[system].normalize(_broken(system, name, mutate), received_at=RECEIVED)
    assert err.value.field == field


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", "\u4e2d".encode("gbk")])
def test_unreadable_body_names_body(raw: bytes) -> None:
    for system in ("skynet", "hydrology", "petitions"):
        with pytest.raises(PayloadError) as err:
            CAT[system].normalize(raw, received_at=RECEIVED)
        assert err.value.field == "body"
