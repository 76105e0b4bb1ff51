"""The pure routing step: locate → duty catalogue (with asset layers) → the mode in force.

A table of cases on the real Leshan geography; each row says where the order lands, who
leads, why, and what the mode changed. The JSON of a routing is a public contract
(``routing`` in the API and in ``orders.routing``): one case is pinned key by key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from dispatch_center.core.deadlines import (
    STATUTORY_TIME_LIMITS,
    Duration,
    LimitUnit,
    TimeLimit,
    Urgency,
)
from dispatch_center.core.routing import (
    Queue,
    ReportedPoint,
    RoutedOrder,
    RouteRequest,
    Routing,
    locate_and_resolve,
    route,
    time_limit_for,
)
from dispatch_center.geography.model import Geography, default_geography
from geo.areas import Tier
from geo.catalogue import DutyCatalogue, DutyRow
from geo.datum import Datum
from modes.policy import EmergencyType, ModeName, default_policy, example_policy
from modes.scope import Declaration
from modes.state import ModeState

SHIZHONG = (103.7655, 29.5520)  # 市中区, no asset
BUDDHA = (103.7699, 29.5447)  # 市中区, on the 乐山大佛 scenic area
WUTONGQIAO = (103.82, 29.41)  # 五通桥区, under a flood emergency below
MEISHAN = (103.85, 29.95)  # in 眉山市, the neighbour to the north
BEIJING = (116.4, 39.9)  # far away: no neighbour
NOW = datetime(2026, 7, 2, 9, tzinfo=UTC)
FLOOD = Declaration(
    7,
    ModeName.emergency,
    EmergencyType.flood,
    frozenset({"511112"}),
    datetime(2026, 7, 1, tzinfo=UTC),
    None,
    "flood_hq",
    "岷江洪峰",
)
_LIMITS = {(u.value, None, None): t for u, t in STATUTORY_TIME_LIMITS.items()}


@dataclass(frozen=True)
class Reference:
    """The reference tables routing reads, as plain data."""

    time_limits: Mapping[tuple[str, str | None, str | None], TimeLimit] = field(
        default_factory=lambda: dict(_LIMITS)
    )
    units: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: {"511100.flood_hq": {"name": "乐山市防汛抗旱指挥部"}}
    )

    def time_limit(self, urgency: str, category: str | None, mode: str) -> TimeLimit:
        return self.time_limits[(urgency, None, None)]


@pytest.fixture(scope="module")
def geography() -> Geography:
    return default_geography()


@pytest.fixture(scope="module")
def modes() -> ModeState:
    policies = {**{m: default_policy(m) for m in ModeName}, ModeName.emergency: example_policy()}
    return ModeState(policies=policies, declarations=(FLOOD,))


def _route(
    geography: Geography,
    modes: ModeState,
    category: str | None,
    where: tuple[float, float] | None,
    urgency: Urgency = Urgency.general,
) -> RoutedOrder:
    point = ReportedPoint(*where) if where else None
    return route(geography, RouteRequest(urgency, category, point), modes, NOW, Reference())


CASES = [
    # id, category, point, queue, county, lead, reason (start), asset, mode, urgency, co by mode
    pytest.param(
        "urban",
        SHIZHONG,
        Queue.dispatch,
        "511102",
        "511102-ZFJ",
        "urban at 乐山市 / 市中区 / ",
        None,
        "normal",
        Urgency.general,
        [],
        id="inside-leshan",
    ),
    pytest.param(
        "urban",
        MEISHAN,
        Queue.transfer,
        None,
        None,
        "outside Leshan (眉山市): transfer to that city's 12345 hotline",
        None,
        "normal",
        Urgency.general,
        [],
        id="outside-neighbour-named",
    ),
    pytest.param(
        "urban",
        BEIJING,
        Queue.transfer,
        None,
        None,
        "outside Leshan (乐山市外): transfer to that city's 12345 hotline",
        None,
        "normal",
        Urgency.general,
        [],
        id="outside-no-neighbour",
    ),
    pytest.param(
        "urban",
        None,
        Queue.manual,
        None,
        None,
        "no location given: the dispatcher places the address on the map",
        None,
        "normal",
        Urgency.general,
        [],
        id="no-location",
    ),
    pytest.param(
        "urban",
        (200.0, 29.5),
        Queue.manual,
        None,
        None,
        "location not usable: ",
        None,
        "normal",
        Urgency.general,
        [],
        id="location-not-usable",
    ),
    pytest.param(
        None,
        SHIZHONG,
        Queue.manual,
        "511102",
        None,
        "no category: the dispatcher classifies the request",
        None,
        "normal",
        Urgency.general,
        [],
        id="no-category",
    ),
    pytest.param(
        "other",
        SHIZHONG,
        Queue.manual,
        "511102",
        None,
        "category 'other' is not in duty catalogue leshan-default-2026-12",
        None,
        "normal",
        Urgency.general,
        [],
        id="unroutable-category",
    ),
    pytest.param(
        "tourism.scenic",
        BUDDHA,
        Queue.dispatch,
        "511102",
        "DF-GWH",
        "tourism on 乐山大佛景区",
        "dafo_scenic",
        "normal",
        Urgency.general,
        [],
        id="asset-override",
    ),
    pytest.param(
        "flood.waterlogging",
        WUTONGQIAO,
        Queue.dispatch,
        "511112",
        "511112-ZJJ",
        "flood.waterlogging at 乐山市 / 五通桥区 / ",
        None,
        "emergency",
        Urgency.urgent,
        ["511100.flood_hq"],
        id="mode-raises-urgency-and-co-dispatches",
    ),
    pytest.param(
        "flood.waterlogging",
        SHIZHONG,
        Queue.dispatch,
        "511102",
        "511102-ZJJ",
        "flood.waterlogging at 乐山市 / 市中区 / ",
        None,
        "normal",
        Urgency.general,
        [],
        id="mode-only-where-declared",
    ),
]


@pytest.mark.parametrize(
    ("category", "where", "queue", "county", "lead", "reason", "asset", "mode", "urgency", "co"),
    CASES,
)
def test_route(
    geography: Geography,
    modes: ModeState,
    category: str | None,
    where: tuple[float, float] | None,
    queue: Queue,
    county: str | None,
    lead: str | None,
    reason: str,
    asset: str | None,
    mode: str,
    urgency: Urgency,
    co: list[str],
) -> None:
    done = _route(geography, modes, category, where)
    r = done.routing
    assert r.queue is queue
    assert r.county_code == county
    assert (r.lead.code if r.lead else None) == lead
    assert r.reason.startswith(reason), r.reason
    assert (r.asset.code if r.asset else None) == asset
    assert r.mode is not None and r.mode.mode.value == mode
    assert done.urgency is urgency
    assert [c.code for c in r.co if c.by == "mode"] == co
    # Every routing can be read back from its JSON, through a JSON round trip as in jsonb.
    assert Routing.from_json(json.loads(json.dumps(r.to_json()))) == r
    # The county column is `routing -> 'path' -> 1 ->> 'code'`: the property agrees.
    path = r.to_json()["path"]
    assert r.county_code == (path[1]["code"] if len(path) > 1 else None)


def test_unroutable_place_lands_in_the_manual_queue_with_the_reason(
    geography: Geography, modes: ModeState
) -> None:
    only_emeishan = DutyCatalogue(
        "t1", [DutyRow("urban", Tier.COUNTY, "511181", None, "X-ZFJ", "峨眉山市执法局", "lead")]
    )
    r = _route(replace(geography, catalogue=only_emeishan), modes, "urban", SHIZHONG).routing
    assert r.queue is Queue.manual and r.lead is None and r.county_code == "511102"
    assert r.reason.startswith("no responsible unit for 'urban' at 乐山市 / 市中区 / ")
    assert r.reason.endswith("in duty catalogue t1") and r.catalogue_version == "t1"


def test_the_json_is_the_contract(geography: Geography, modes: ModeState) -> None:
    done = _route(geography, modes, "flood.waterlogging", WUTONGQIAO)
    assert done.routing.to_json() == {
        "inside": True,
        "path": [
            {"tier": 1, "code": "511100", "name": "乐山市"},
            {"tier": 2, "code": "511112", "name": "五通桥区"},
            {"tier": 3, "code": "511112S12", "name": "五通桥区 网格 12"},
            {"tier": 4, "code": "511112S12V07", "name": "五通桥区 网格 12-07"},
        ],
        "queue": "dispatch",
        "lead": {"code": "511112-ZJJ", "name": "五通桥区住房和城乡建设局"},
        "co": [
            {"code": "511112S12", "name": "五通桥区 网格 12（乡镇/街道，合成）"},
            {"code": "511100.flood_hq", "name": "乐山市防汛抗旱指挥部", "by": "mode"},
        ],
        "reason": "flood.waterlogging at 乐山市 / 五通桥区 / 五通桥区 网格 12 / "
        "五通桥区 网格 12-07: county duty row",
        "asset": None,
        "location": {"lon": 103.82, "lat": 29.41},
        "catalogue_version": "leshan-default-2026-12",
        "area_version": geography.area_version,
        "mode": {
            "mode": "emergency",
            "emergency_type": "flood",
            "declaration_id": "7",
            "policy_version": "example",
            "urgency_raised_from": "general",
            # The township is co-dispatched by the policy too, but it already co-handles.
            "co_dispatch": ["511100.flood_hq", "511112S12"],
        },
    }
    assert done.time_limit == STATUTORY_TIME_LIMITS[Urgency.urgent]


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        (None, {"inside", "path", "queue", "lead", "co", "reason", "location"}),
        (MEISHAN, {"inside", "path", "nearest", "distance_m", "neighbour", "queue", "lead"}),
        (SHIZHONG, {"inside", "path", "queue", "lead", "co", "reason", "asset", "location"}),
    ],
)
def test_keys_of_each_queue(
    geography: Geography, modes: ModeState, where: tuple[float, float] | None, keys: set[str]
) -> None:
    before_mode = locate_and_resolve(geography, "urban", ReportedPoint(*where) if where else None)
    versions = {"catalogue_version", "area_version"}
    got = set(before_mode.to_json())
    assert keys <= got and "mode" not in got and versions <= got
    # "asset" is a key of the dispatch queue only; "nearest" & co. of a point outside only.
    assert ("asset" in got) == (before_mode.queue is Queue.dispatch)
    assert ("neighbour" in got) == (before_mode.inside is False)
    assert set(_route(geography, modes, "urban", where).routing.to_json()) == got | {"mode"}


def test_a_gcj02_point_is_stored_in_wgs84(geography: Geography) -> None:
    r = locate_and_resolve(geography, "urban", ReportedPoint(103.7715, 29.5495, Datum.gcj02))
    assert r.location is not None and r.location.lon < 103.7715 and r.county_code == "511102"


def test_reads_an_older_stored_routing() -> None:
    # What the demo's back-fill writes: no versions, no asset, no mode.
    stored = {
        "inside": True,
        "path": [
            {"tier": 1, "code": "511100", "name": "乐山市"},
            {"tier": 2, "code": "511113", "name": "金口河区"},
        ],
        "queue": "dispatch",
        "lead": {"code": "511113-ZFJ", "name": "金口河区综合行政执法局"},
        "co": [],
        "reason": "backfill",
        "location": {"lon": 103.08, "lat": 29.24},
    }
    r = Routing.from_json(stored)
    assert r.county_code == "511113" and r.lead is not None and r.lead.code == "511113-ZFJ"
    assert r.mode is None and r.catalogue_version is None and r.asset is None


def test_time_limit_precedence() -> None:
    policy = example_policy()
    active = ModeState(declarations=(FLOOD,)).active("511112", NOW)
    admin = TimeLimit(Urgency.urgent, Duration(5, LimitUnit.minutes), Duration(2, LimitUnit.hours))
    with_admin_row = Reference(
        time_limits={**_LIMITS, ("urgent", "flood.rescue", "emergency"): admin}
    )
    # An admin's row for the mode and category, then the policy's, then the table.
    assert time_limit_for(with_admin_row, active, policy, Urgency.urgent, "flood.rescue") == admin
    by_policy = time_limit_for(Reference(), active, policy, Urgency.urgent, "flood.rescue")
    assert by_policy.respond == Duration(10, LimitUnit.minutes)
    table = time_limit_for(Reference(), active, policy, Urgency.general, "urban")
    assert table == STATUTORY_TIME_LIMITS[Urgency.general]
