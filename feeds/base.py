"""The adapter contract every connected system follows, like a Home Assistant integration.

An adapter is one module under ``feeds/systems/`` with the same small shape:

- ``DESCRIPTOR``: a :class:`FeedDescriptor` saying what the system is (names, owner, push or
  poll, interval, datum, what kind of source it is);
- ``normalize(payload, *, received_at) -> list[FeedEvent | OrderDraft]``: pure, bytes or an
  already-decoded dict in, events and order drafts out, :class:`PayloadError` naming the exact
  field when the payload is bad;
- ``simulate(ctx) -> list[dict | bytes]``: payloads in the same format, for the demo;
- ``PUBLIC_VALUES``: for each event kind it makes, the values that may leave the center
  (:data:`PublicValues`; ``dispatch_center.core.disclosure`` applies it).

Events are not all orders: a :class:`FeedEvent` updates a live map layer; an
:class:`OrderDraft` is the body of ``POST /api/v1/orders``. ``feeds.rules`` turns some events
into drafts and mode-trigger inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

__all__ = [
    "Area",
    "Attachment",
    "DraftCategory",
    "DraftLocation",
    "DraftReporter",
    "FeedAdapter",
    "FeedDescriptor",
    "FeedEvent",
    "Layer",
    "Normalized",
    "OrderDraft",
    "PayloadError",
    "Point",
    "PublicValues",
    "Severity",
]

Datum = Literal["wgs84", "gcj02"]
FeedMode = Literal["push", "poll"]

_SYSTEM = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_CHANNEL = re.compile(r"^(phone|email|wechat|sms|letter|web|open311|110|feed:[a-z0-9_\-]{1,40})$")
URGENCIES = ("consultation", "urgent", "general")
REQUEST_TYPES = ("consultation", "help", "complaint", "report", "suggestion")


class PayloadError(ValueError):
    """A payload the adapter cannot understand; ``field`` names the exact field at fault.

    ``field`` is a dotted path into the payload (``"data[2].Z"``, ``"info[0].area[0].polygon"``)
    or ``"body"`` when the payload as a whole is unreadable.

    Examples
    --------
    >>> e = PayloadError("alarmTime", "not a time: 'yesterday'")
    >>> (e.field, str(e))
    ('alarmTime', "alarmTime: not a time: 'yesterday'")
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Severity(StrEnum):
    """How serious an event is; CAP 1.2's scale, lower-cased."""

    unknown = "unknown"
    minor = "minor"
    moderate = "moderate"
    severe = "severe"
    extreme = "extreme"

    @property
    def rank(self) -> int:
        """0 (unknown) to 4 (extreme), for comparisons."""
        return list(Severity).index(self)


class Layer(StrEnum):
    """The live map layer an event updates (the wallboard draws one layer per value)."""

    cameras = "cameras"
    gauges = "gauges"
    rain = "rain"
    warnings = "warnings"
    crowds = "crowds"
    incidents = "incidents"
    cases = "cases"
    geohazards = "geohazards"
    utilities = "utilities"
    sites = "sites"
    linkage = "linkage"
    units = "units"  # field units (rescue teams, patrol vehicles): one entry per unit


@dataclass(frozen=True)
class FeedDescriptor:
    """What a connected system is; the catalogue is a list of these.

    ``interval_s`` is the poll period of a poll feed, and for a push feed the longest normal
    gap between arrivals (the runner's health uses it to tell "quiet" from "down").

    Examples
    --------
    >>> d = FeedDescriptor(system="skynet", name_zh="公安天网视频", name_en="Police Skynet video",
    ...     owner="市公安局", mode="push", interval_s=300, datum="wgs84", source_kind="video")
    >>> d.to_dict()["mode"]
    'push'
    """

    system: str
    name_zh: str
    name_en: str
    owner: str
    mode: FeedMode
    interval_s: float
    datum: Datum
    source_kind: str

    def __post_init__(self) -> None:
        if not _SYSTEM.match(self.system):
            raise ValueError(f"system id {self.system!r} must be lower-case snake_case")
        if self.mode not in ("push", "poll"):
            raise ValueError(f"mode must be push or poll, not {self.mode!r}")
        if self.interval_s <= 0:
            raise ValueError("interval_s must be positive")
        if self.datum not in ("wgs84", "gcj02"):
            raise ValueError(f"datum must be wgs84 or gcj02, not {self.datum!r}")

    @property
    def channel(self) -> str:
        """The order channel drafts from this system carry (``feed:<system>``)."""
        return f"feed:{self.system}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Point:
    """A point in a declared datum (the ingest converts to the internal WGS-84)."""

    lon: float
    lat: float
    datum: Datum = "wgs84"

    def __post_init__(self) -> None:
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise ValueError(f"({self.lon}, {self.lat}) is not a longitude/latitude pair")


Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Area:
    """One or more polygons (outer rings of ``(lon, lat)``), and circles, in a datum."""

    polygons: tuple[Ring, ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()  # (lon, lat, radius_km)
    geocodes: tuple[tuple[str, str], ...] = ()  # (valueName, value), e.g. ("adcode", "511111")
    datum: Datum = "wgs84"

    def to_geojson(self) -> dict[str, Any]:
        """The polygons as a GeoJSON MultiPolygon geometry (circles are left to the map).

        Examples
        --------
        >>> Area(polygons=(((1.0, 2.0), (3.0, 2.0), (3.0, 4.0), (1.0, 2.0)),)).to_geojson()["type"]
        'MultiPolygon'
        """
        return {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in ring]] for ring in self.polygons],
        }


@dataclass(frozen=True)
class FeedEvent:
    """Something an outside system reported that updates a live layer."""

    system: str
    source_id: str
    kind: str
    occurred_at: datetime
    layer: Layer
    severity: Severity = Severity.minor
    location: Point | None = None
    area: Area | None = None
    title: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if not self.source_id:
            raise ValueError("source_id must not be empty")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times in ISO 8601 with offset)."""
        out = asdict(self)
        out["occurred_at"] = self.occurred_at.isoformat()
        out["layer"] = str(self.layer)
        out["severity"] = str(self.severity)
        out["values"] = dict(self.values)
        if self.area is not None:
            out["area"] = {**asdict(self.area), "geojson": self.area.to_geojson()}
        return out


@dataclass(frozen=True)
class DraftCategory:
    """``category`` of the order body: request type and taxonomy code."""

    type: str
    code: str | None = None

    def __post_init__(self) -> None:
        if self.type not in REQUEST_TYPES:
            raise ValueError(f"category type {self.type!r} not one of {REQUEST_TYPES}")


@dataclass(frozen=True)
class DraftLocation:
    """``location`` of the order body."""

    lon: float
    lat: float
    crs: Datum = "wgs84"


@dataclass(frozen=True)
class DraftReporter:
    """``reporter`` of the order body."""

    name: str | None = None
    phone: str | None = None
    #: 要求保密: the citizen asked that the handling units not learn who they are.
    confidential: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file that came with a request (e-mail attachment, letter scan, WeChat image)."""

    filename: str
    content_type: str
    content: bytes = b""
    url: str | None = None


@dataclass(frozen=True)
class OrderDraft:
    """A work order to create; ``to_order_body()`` is the ``POST /api/v1/orders`` body.

    ``attachments`` and ``extra`` (channel metadata such as a call's recording URL) are not
    part of the order body; the ingest stores them beside the order.

    Examples
    --------
    >>> d = OrderDraft(channel="feed:skynet", category=DraftCategory("report", "urban.sanitation"),
    ...     urgency="general", description="垃圾堆积", address="乐山市市中区",
    ...     source="skynet", source_id="A1")
    >>> d.to_order_body()["category"]
    {'type': 'report', 'code': 'urban.sanitation'}
    """

    channel: str
    category: DraftCategory
    urgency: str
    description: str
    location: DraftLocation | None = None
    address: str | None = None
    reporter: DraftReporter | None = None
    source: str | None = None
    source_id: str | None = None
    received_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _CHANNEL.match(self.channel):
            raise ValueError(f"channel {self.channel!r} is not an order channel")
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency {self.urgency!r} not one of {URGENCIES}")
        if not self.description.strip():
            raise ValueError("description must not be empty")
        if self.location is None and not self.address:
            raise ValueError("an order draft needs a location or an address")
        if (self.source is None) != (self.source_id is None):
            raise ValueError("source and source_id go together")
        if self.received_at is not None and self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")

    def to_order_body(self) -> dict[str, Any]:
        """The JSON body of ``POST /api/v1/orders`` (only the fields that API accepts)."""
        body: dict[str, Any] = {
            "channel": self.channel,
            "category": {"type": self.category.type, "code": self.category.code},
            "urgency": self.urgency,
            "description": self.description[:5000],
        }
        if self.location is not None:
            body["location"] = asdict(self.location)
        if self.address:
            body["address"] = self.address[:500]
        if self.reporter is not None:
            body["reporter"] = asdict(self.reporter)
        if self.source is not None:
            body["source"] = self.source
            body["source_id"] = self.source_id
        if self.received_at is not None:
            body["received_at"] = self.received_at.isoformat()
        return body


Normalized = list[FeedEvent | OrderDraft]

#: An adapter's allow-list: for each event kind it makes, the ``values`` keys that may be
#: shown outside the center's own handlers (the wall, the live layers). A key not listed
#: stays in the stored event and goes nowhere else.
PublicValues = Mapping[str, frozenset[str]]


class FeedAdapter(Protocol):
    """What the registry expects of a system module (checked by the registry test)."""

    DESCRIPTOR: FeedDescriptor
    PUBLIC_VALUES: PublicValues
    normalize: Callable[..., Normalized]
    simulate: Callable[..., list[Any]]
