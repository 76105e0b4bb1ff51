"""Feed conditions that suggest a mode switch: triggers suggest, people decide.

The feed adapters (``feeds/``) turn what they receive into one of the event types
below and hand it to ``dispatch_center.modeswitch.suggestions.submit_trigger``, which calls
:func:`evaluate` and records the suggestion. A suggestion carries a ``dedupe_key``: the
same condition (the same warning area, the same gauge, the same scenic area) raises
exactly one open suggestion however often the feed repeats it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from modes.policy import EmergencyType, ModeName, TriggerKind

LESHAN_COUNTIES: frozenset[str] = frozenset(
    {
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
    }
)

CAP_SEVERE = frozenset({"Severe", "Extreme"})
CAP_CATEGORIES: Mapping[str, EmergencyType] = {
    "Met": EmergencyType.flood,
    "Geo": EmergencyType.geohazard,
}


@dataclass(frozen=True)
class CapAlert:
    """A CAP 1.2 alert, reduced to what matters here.

    ``counties`` are the adcodes the feed found the alert's area to intersect.
    """

    identifier: str
    sender: str
    event: str
    severity: str
    categories: tuple[str, ...]
    counties: tuple[str, ...]
    headline: str = ""
    # The warning's own words, shown as the suggestion's evidence.
    description: str = ""
    area_desc: str = ""


@dataclass(frozen=True)
class GaugeReading:
    """A river gauge's level against its warning level (metres)."""

    station_id: str
    station_name: str
    county: str
    level_m: float
    warning_level_m: float
    guarantee_level_m: float | None = None


@dataclass(frozen=True)
class ScenicCount:
    """Visitors counted in a scenic area against its capacity."""

    area_id: str
    area_name: str
    county: str
    count: int
    capacity: int


FeedEvent = CapAlert | GaugeReading | ScenicCount


@dataclass(frozen=True)
class Suggestion:
    """A proposed switch, for the HQ to accept or dismiss."""

    kind: TriggerKind
    dedupe_key: str
    mode: ModeName
    emergency_type: EmergencyType | None
    scope: tuple[str, ...]
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The condition behind it (a CAP chain, a gauge, a scenic area): when that condition
    # ends, the suggestion it holds up is withdrawn unless another still holds it.
    source: str = field(default="", compare=False, hash=False)


def evaluate(
    event: FeedEvent,
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
    counties: Collection[str] = LESHAN_COUNTIES,
) -> Suggestion | None:
    """The suggestion ``event`` raises, or ``None``.

    Parameters
    ----------
    event : CapAlert, GaugeReading or ScenicCount
    thresholds : mapping, optional
        The policy's ``alert_thresholds``: ``river_gauge.margin_m`` (metres above the
        warning level, default 0) and ``scenic_capacity.ratio`` (share of capacity,
        default 1.0).
    counties : collection of str
        The city's counties; an alert elsewhere raises nothing.

    Examples
    --------
    >>> s = evaluate(GaugeReading("g1", "五通桥水文站", "511112", 362.4, 361.0))
    >>> s.mode.value, s.emergency_type.value, s.scope, s.dedupe_key
    ('emergency', 'flood', ('511112',), 'river_gauge:g1')
    >>> evaluate(ScenicCount("emei", "峨眉山", "511181", 9000, 10000)) is None
    True
    """
    thresholds = thresholds or {}
    if isinstance(event, CapAlert):
        if event.severity not in CAP_SEVERE:
            return None
        kinds = [CAP_CATEGORIES[c] for c in event.categories if c in CAP_CATEGORIES]
        area = tuple(sorted(set(event.counties) & set(counties)))
        if not kinds or not area:
            return None
        etype = kinds[0]
        return Suggestion(
            TriggerKind.cap_alert,
            f"cap_alert:{etype.value}:{','.join(area)}",
            ModeName.emergency,
            etype,
            area,
            f"预警信息（{event.severity}）：{event.headline or event.event}",
            {
                "identifier": event.identifier,
                "sender": event.sender,
                "event": event.event,
                "severity": event.severity,
                "categories": list(event.categories),
                "headline": event.headline,
                "description": event.description,
                "area_desc": event.area_desc,
            },
            event.identifier,
        )
    if isinstance(event, GaugeReading):
        margin = float(thresholds.get("river_gauge", {}).get("margin_m", 0.0))
        if event.county not in counties or event.level_m <= event.warning_level_m + margin:
            return None
        return Suggestion(
            TriggerKind.river_gauge,
            f"river_gauge:{event.station_id}",
            ModeName.emergency,
            EmergencyType.flood,
            (event.county,),
            f"{event.station_name}水位{event.level_m:.2f}米，超警戒水位{event.warning_level_m:.2f}米",
            {
                "station_id": event.station_id,
                "station_name": event.station_name,
                "level_m": event.level_m,
                "warning_level_m": event.warning_level_m,
                "guarantee_level_m": event.guarantee_level_m,
            },
            f"river_gauge:{event.station_id}",
        )
    ratio = float(thresholds.get("scenic_capacity", {}).get("ratio", 1.0))
    if event.county not in counties or event.capacity <= 0 or event.count <= event.capacity * ratio:
        return None
    return Suggestion(
        TriggerKind.scenic_capacity,
        f"scenic_capacity:{event.area_id}",
        ModeName.holiday,
        None,
        (event.county,),
        f"{event.area_name}在园{event.count}人，超过最大承载量{event.capacity}人",
        {
            "area_id": event.area_id,
            "area_name": event.area_name,
            "count": event.count,
            "capacity": event.capacity,
        },
        f"scenic_capacity:{event.area_id}",
    )


def _metres(value: Any) -> float | None:
    """An optional level in metres (absent, null or empty: none)."""
    return None if value in (None, "") else float(value)


def event_from_dict(data: Mapping[str, Any]) -> FeedEvent:
    """Build an event from its JSON form ``{"kind": ..., ...fields}``.

    Raises
    ------
    ValueError
        On an unknown kind or missing/ill-typed fields.

    Examples
    --------
    >>> event_from_dict({"kind": "scenic_capacity", "area_id": "emei", "area_name": "峨眉山",
    ...                  "county": "511181", "count": 12000, "capacity": 10000}).count
    12000
    """
    kind = data.get("kind")
    body = {k: v for k, v in data.items() if k != "kind"}
    try:
        if kind == TriggerKind.cap_alert:
            return CapAlert(
                identifier=str(body["identifier"]),
                sender=str(body.get("sender", "")),
                event=str(body.get("event", "")),
                severity=str(body["severity"]),
                categories=tuple(map(str, body.get("categories", ()))),
                counties=tuple(map(str, body.get("counties", ()))),
                headline=str(body.get("headline", "")),
                description=str(body.get("description") or ""),
                area_desc=str(body.get("area_desc") or ""),
            )
        if kind == TriggerKind.river_gauge:
            return GaugeReading(
                str(body["station_id"]),
                str(body.get("station_name", body["station_id"])),
                str(body["county"]),
                float(body["level_m"]),
                float(body["warning_level_m"]),
                _metres(body.get("guarantee_level_m")),
            )
        if kind == TriggerKind.scenic_capacity:
            return ScenicCount(
                str(body["area_id"]),
                str(body.get("area_name", body["area_id"])),
                str(body["county"]),
                int(body["count"]),
                int(body["capacity"]),
            )
    except KeyError as exc:
        raise ValueError(f"{kind}: missing field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{kind}: {exc}") from exc
    raise ValueError(
        f"unknown trigger kind {kind!r}; expected one of {[k.value for k in TriggerKind]}"
    )
