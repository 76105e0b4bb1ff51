"""Routing a new order, as a pure step: locate → resolve the duty catalogue → apply the mode.

:class:`Routing` is the typed record stored on an order (``orders.routing``) and sent in the
API's ``routing``; its JSON (:meth:`Routing.to_json`) is a public contract and keeps today's
keys and values. :func:`route` makes one from plain data: the geography (area index, duty
catalogue, asset layers), what the caller said about the order, the dispatch modes in force
and the reference tables. Nothing here reads a file, the database or the clock; the adapter
in ``dispatch_center.orders.routing`` gathers the inputs.

An order that routes nowhere is never dropped: it lands in the city center's manual queue
with the reason. A point outside Leshan names the neighbouring city, so the order can be
transferred to that city's 12345 hotline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from dispatch_center.core.deadlines import TimeLimit, Urgency
from geo.areas import PathStep, Tier
from geo.assets import AssetHit, AssetKind
from geo.catalogue import Unit, Unroutable
from geo.datum import Datum, to_internal
from modes.policy import EmergencyType, ModeName, OrderContext

if TYPE_CHECKING:
    from geo.assets import AssetIndex
    from geo.catalogue import DutyCatalogue
    from geo.locate import AreaIndex
    from modes.policy import ModePolicy
    from modes.scope import ActiveMode
    from modes.state import ModeState

__all__ = [
    "CoUnit",
    "ModeInfo",
    "Point",
    "Queue",
    "ReferenceTables",
    "ReportedPoint",
    "RouteRequest",
    "RoutedOrder",
    "Routing",
    "RoutingGeography",
    "apply_mode",
    "city_step",
    "locate_and_resolve",
    "route",
    "time_limit_for",
]


def city_step(index: AreaIndex) -> PathStep:
    """The path of an order that could not be placed: the city, whose center decides.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geo.areas import Area
    >>> from geo.locate import AreaIndex
    >>> city_step(AreaIndex([Area("511100", "乐山市", Tier.CITY, None, box(0, 0, 1, 1))]))
    PathStep(tier=<Tier.CITY: 1>, code='511100', name='乐山市')
    """
    (city,) = index.areas(Tier.CITY)
    return PathStep(Tier.CITY, city.code, city.name)


class Queue(StrEnum):
    """Where a new order waits: a suggested lead (one click to dispatch), the city center's
    manual desk, or a transfer to the neighbouring city's hotline.
    """

    dispatch = "dispatch"
    manual = "manual"
    transfer = "transfer"


@dataclass(frozen=True, slots=True)
class Point:
    """Where the order is, in the internal datum (WGS-84), rounded to 7 decimals (≈1 cm)."""

    lon: float
    lat: float

    def to_json(self) -> dict[str, float]:
        """``{"lon", "lat"}``."""
        return {"lon": self.lon, "lat": self.lat}


@dataclass(frozen=True, slots=True)
class CoUnit:
    """A co-handling unit (协办); ``by`` is ``"mode"`` when the mode in force added it."""

    code: str
    name: str
    by: str | None = None

    def to_json(self) -> dict[str, str]:
        """``{"code", "name"}``, plus ``"by"`` when a mode added the unit."""
        out = {"code": self.code, "name": self.name}
        if self.by is not None:
            out["by"] = self.by
        return out


@dataclass(frozen=True, slots=True)
class ModeInfo:
    """The mode an order was routed under, and what it changed (urgency, co-dispatch)."""

    mode: ModeName
    emergency_type: EmergencyType | None
    declaration_id: str | None
    policy_version: str
    urgency_raised_from: Urgency | None = None
    co_dispatch: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``routing.mode`` object; the last two keys only when the mode acted."""
        out: dict[str, Any] = {
            "mode": self.mode.value,
            "emergency_type": self.emergency_type.value if self.emergency_type else None,
            "declaration_id": self.declaration_id,
            "policy_version": self.policy_version,
        }
        if self.urgency_raised_from is not None:
            out["urgency_raised_from"] = self.urgency_raised_from.value
        if self.co_dispatch:
            out["co_dispatch"] = list(self.co_dispatch)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModeInfo:
        """Read a stored ``routing.mode`` object."""
        raised = data.get("urgency_raised_from")
        emergency = data.get("emergency_type")
        return cls(
            mode=ModeName(data["mode"]),
            emergency_type=EmergencyType(emergency) if emergency else None,
            declaration_id=data.get("declaration_id"),
            policy_version=str(data.get("policy_version", "")),
            urgency_raised_from=Urgency(raised) if raised else None,
            co_dispatch=tuple(data.get("co_dispatch") or ()),
        )


def _step(data: Mapping[str, Any]) -> PathStep:
    return PathStep(Tier(int(data["tier"])), str(data["code"]), str(data["name"]))


def _step_or_none(data: Any) -> PathStep | None:
    return _step(data) if isinstance(data, Mapping) else None


@dataclass(frozen=True, slots=True)
class Routing:
    """Where an order is (tier path) and who is responsible: the ``routing`` of an order.

    ``inside`` is None when the order has no usable location (the path is then the city
    alone); ``nearest``, ``distance_m`` and ``neighbour`` describe a point outside Leshan.
    ``asset`` is the asset layer whose owner leads, for an order in the dispatch queue.

    Examples
    --------
    >>> county = PathStep(Tier.COUNTY, "511102", "市中区")
    >>> city = PathStep(Tier.CITY, "511100", "乐山市")
    >>> r = Routing(Queue.manual, "no category", inside=True, path=(city, county),
    ...             location=Point(103.77, 29.55), catalogue_version="v1", area_version="a1")
    >>> r.county_code
    '511102'
    >>> r.to_json()["path"][1], r.to_json()["queue"]
    ({'tier': 2, 'code': '511102', 'name': '市中区'}, 'manual')
    >>> Routing.from_json(r.to_json()) == r
    True
    """

    queue: Queue
    reason: str
    inside: bool | None
    path: tuple[PathStep, ...]
    lead: Unit | None = None
    co: tuple[CoUnit, ...] = ()
    asset: AssetHit | None = None
    location: Point | None = None
    nearest: PathStep | None = None
    distance_m: float | None = None
    neighbour: PathStep | None = None
    catalogue_version: str | None = None
    area_version: str | None = None
    mode: ModeInfo | None = field(default=None)

    def step(self, tier: Tier) -> PathStep | None:
        """The path's step at ``tier``, if any."""
        for s in self.path:
            if s.tier == tier:
                return s
        return None

    @property
    def county_code(self) -> str | None:
        """The county (tier 2) the order is in; None outside Leshan or without a location.

        The path runs from the city down, so this is its second step: the same value the
        ``orders.county_code`` column takes from ``routing -> 'path' -> 1 ->> 'code'``.
        """
        county = self.step(Tier.COUNTY)
        return county.code if county else None

    def order_context(self) -> OrderContext:
        """What the mode policies need to know about where the order is."""
        township = self.step(Tier.TOWNSHIP)
        assets = ((self.asset.code, str(self.asset.kind)),) if self.asset else ()
        return OrderContext(self.county_code, township.code if township else None, assets)

    def to_json(self) -> dict[str, Any]:
        """The stored and published ``routing`` object (the API contract).

        ``nearest``, ``distance_m`` and ``neighbour`` appear only outside Leshan, ``asset``
        only in the dispatch queue and ``mode`` once a mode has been applied, as always.
        """
        out: dict[str, Any] = {
            "inside": self.inside,
            "path": [s.as_dict() for s in self.path],
        }
        if self.inside is False:
            out["nearest"] = self.nearest.as_dict() if self.nearest else None
            out["distance_m"] = self.distance_m
            out["neighbour"] = self.neighbour.as_dict() if self.neighbour else None
        out.update(
            queue=self.queue.value,
            lead=self.lead.as_dict() if self.lead else None,
            co=[c.to_json() for c in self.co],
            reason=self.reason,
        )
        if self.queue is Queue.dispatch:
            out["asset"] = self.asset.as_dict() if self.asset else None
        out.update(
            location=self.location.to_json() if self.location else None,
            catalogue_version=self.catalogue_version,
            area_version=self.area_version,
        )
        if self.mode is not None:
            out["mode"] = self.mode.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Routing:
        """Read a stored ``routing`` object.

        ``Routing.from_json(r.to_json()) == r`` for every record :func:`route` makes. Older
        records made elsewhere (the demo's back-fill writes no versions, asset or mode)
        read with those fields empty.
        """
        lead = data.get("lead")
        asset = data.get("asset")
        location = data.get("location")
        mode = data.get("mode")
        distance = data.get("distance_m")
        return cls(
            queue=Queue(data["queue"]),
            reason=str(data.get("reason") or ""),
            inside=data.get("inside"),
            path=tuple(_step(s) for s in data.get("path") or ()),
            lead=Unit(str(lead["code"]), str(lead["name"])) if isinstance(lead, Mapping) else None,
            co=tuple(
                CoUnit(str(c["code"]), str(c.get("name", c["code"])), c.get("by"))
                for c in data.get("co") or ()
                if isinstance(c, Mapping)
            ),
            asset=(
                AssetHit(str(asset["code"]), str(asset["name"]), AssetKind(asset["kind"]))
                if isinstance(asset, Mapping)
                else None
            ),
            location=(
                Point(float(location["lon"]), float(location["lat"]))
                if isinstance(location, Mapping)
                else None
            ),
            nearest=_step_or_none(data.get("nearest")),
            distance_m=float(distance) if distance is not None else None,
            neighbour=_step_or_none(data.get("neighbour")),
            catalogue_version=data.get("catalogue_version"),
            area_version=data.get("area_version"),
            mode=ModeInfo.from_json(mode) if isinstance(mode, Mapping) else None,
        )


# -- the inputs ------------------------------------------------------------------------------


class RoutingGeography(Protocol):
    """The geography an order is routed with (``dispatch_center.geography.Geography``)."""

    @property
    def index(self) -> AreaIndex:
        """The areas of the four tiers, for locating points."""

    @property
    def catalogue(self) -> DutyCatalogue:
        """The duty catalogue in force."""

    @property
    def assets(self) -> AssetIndex:
        """The asset layers whose owners override the area's units."""

    @property
    def area_version(self) -> str:
        """Which areas these are (kept on the order)."""


class ReferenceTables(Protocol):
    """The reference data routing reads (``dispatch_center.center.ReferenceData``)."""

    @property
    def time_limits(self) -> Mapping[tuple[str, str | None, str | None], TimeLimit]:
        """Limits by (urgency, category, mode) as an admin set them."""

    @property
    def units(self) -> Mapping[str, Mapping[str, Any]]:
        """Units by code (their names, for co-dispatched units)."""

    def time_limit(self, urgency: str, category: str | None, mode: str) -> TimeLimit:
        """The most specific limit of the table (mode, then statutory)."""


@dataclass(frozen=True, slots=True)
class ReportedPoint:
    """A point as the caller gave it, in the datum it was given in."""

    lon: float
    lat: float
    datum: Datum = Datum.wgs84


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """What routing needs of a new order: its urgency, category and location."""

    urgency: Urgency
    category: str | None
    point: ReportedPoint | None


@dataclass(frozen=True, slots=True)
class RoutedOrder:
    """The decision for a new order: its urgency and time limit under the mode in force,
    and its routing.
    """

    urgency: Urgency
    time_limit: TimeLimit
    routing: Routing


# -- the steps -------------------------------------------------------------------------------


def locate_and_resolve(
    geography: RoutingGeography, category: str | None, point: ReportedPoint | None
) -> Routing:
    """Locate the point and ask the duty catalogue (with the asset layers) who leads.

    The result has no mode yet (see :func:`apply_mode`). Unplaceable or unclassified
    orders go to the manual queue with the reason; a point outside Leshan is a transfer.
    """
    unplaced = Routing(
        Queue.manual,
        "no location given: the dispatcher places the address on the map",
        inside=None,
        path=(city_step(geography.index),),
        catalogue_version=geography.catalogue.version,
        area_version=geography.area_version,
    )
    if point is None:
        return unplaced
    try:
        where = geography.index.locate(point.lon, point.lat, point.datum.value)
    except ValueError as exc:  # coordinates the index cannot place
        return replace(unplaced, reason=f"location not usable: {exc}")
    lon, lat = to_internal(point.lon, point.lat, point.datum)
    located = replace(
        unplaced,
        inside=where.inside,
        path=where.path,
        location=Point(round(lon, 7), round(lat, 7)),
    )
    if not where.inside:
        city = city_step(geography.index).name
        where_name = where.neighbour.name if where.neighbour else f"{city}外"
        return replace(
            located,
            queue=Queue.transfer,
            reason=f"outside Leshan ({where_name}): transfer to that city's 12345 hotline",
            nearest=where.nearest,
            distance_m=round(where.distance_m, 1) if where.distance_m is not None else None,
            neighbour=where.neighbour,
        )
    if category is None:
        return replace(located, reason="no category: the dispatcher classifies the request")
    try:
        found = geography.catalogue.resolve(category, where.path, geography.assets.hits(lon, lat))
    except Unroutable as exc:
        return replace(located, reason=exc.reason)
    return replace(
        located,
        queue=Queue.dispatch,
        reason=found.reason,
        lead=found.lead,
        co=tuple(CoUnit(u.code, u.name) for u in found.co),
        asset=found.asset,
    )


def time_limit_for(
    reference: ReferenceTables,
    active: ActiveMode,
    policy: ModePolicy,
    urgency: Urgency,
    category: str | None,
) -> TimeLimit:
    """The limit an order gets: an admin's row for this mode and category, else the
    policy's, else the reference table (mode, then statutory).
    """
    explicit = reference.time_limits.get((urgency.value, category, active.mode.value))
    if explicit is not None:
        return explicit
    return policy.time_limit(urgency, category) or reference.time_limit(
        urgency.value, category, active.mode.value
    )


def apply_mode(
    routing: Routing,
    urgency: Urgency,
    category: str | None,
    modes: ModeState,
    now: datetime,
    reference: ReferenceTables,
) -> RoutedOrder:
    """Urgency, time limit and co-dispatched units under the mode in force where the order
    is at ``now`` (the city-wide mode when the routing names no county).
    """
    active = modes.active(routing.county_code, now)
    policy = modes.policy(active)
    decision = policy.decide(urgency, category, routing.order_context(), active.emergency_type)
    limit = time_limit_for(reference, active, policy, decision.urgency, category)
    co = routing.co
    if decision.co_units:
        have = {c.code for c in co}
        lead = routing.lead.code if routing.lead else None
        co = co + tuple(
            CoUnit(code, (reference.units.get(code) or {}).get("name", code), by="mode")
            for code in decision.co_units
            if code not in have and code != lead
        )
    info = ModeInfo(
        mode=active.mode,
        emergency_type=active.emergency_type,
        declaration_id=str(active.declaration.id) if active.declaration else None,
        policy_version=policy.version,
        urgency_raised_from=decision.raised_from,
        co_dispatch=decision.co_units,
    )
    return RoutedOrder(decision.urgency, limit, replace(routing, co=co, mode=info))


def route(
    geography: RoutingGeography,
    request: RouteRequest,
    modes: ModeState,
    now: datetime,
    reference: ReferenceTables,
) -> RoutedOrder:
    """Route a new order: locate → resolve the duty catalogue → apply the mode in force.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from dispatch_center.core.deadlines import STATUTORY_TIME_LIMITS
    >>> from dispatch_center.geography.model import default_geography
    >>> from modes.state import ModeState
    >>> limits = {(u.value, None, None): t for u, t in STATUTORY_TIME_LIMITS.items()}
    >>> ref = SimpleNamespace(time_limits=limits, units={},
    ...                       time_limit=lambda u, c, m: limits[(u, None, None)])
    >>> req = RouteRequest(Urgency.general, "urban", ReportedPoint(103.7655, 29.5520))
    >>> done = route(default_geography(), req, ModeState(), datetime(2026, 11, 27), ref)
    >>> done.routing.queue.value, done.routing.county_code, done.routing.mode.mode.value
    ('dispatch', '511102', 'normal')
    """
    routing = locate_and_resolve(geography, request.category, request.point)
    return apply_mode(routing, request.urgency, request.category, modes, now, reference)
