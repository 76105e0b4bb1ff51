"""Pure rules: which feed events become work orders, flood alerts and mode-trigger inputs.

Events are not all orders. A camera that sees rubbish piling up becomes a city-management
order; a river gauge above its warning level becomes a flood alert (a warning-layer event)
and a :class:`TriggerInput` for the mode triggers; a scenic area over capacity becomes a
trigger input; a CAP alert of severity Severe or Extreme (Met or Geo) becomes one too.

The contract with ``modes/triggers`` is :class:`TriggerInput`: stateless and keyed. ``key``
names the thing that is in a bad state (a gauge, a scenic area, a CAP alert chain), so the
same condition reported again has the same key and raises one suggestion, not many. An input
with ``active=False`` (a CAP ``Cancel``, a gauge reported back below its warning level with
``below_after_above``) says the condition has ended. The rules keep no state; readings below
threshold simply produce no input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from feeds.base import (
    DraftCategory,
    DraftLocation,
    FeedEvent,
    Layer,
    OrderDraft,
    PublicValues,
    Severity,
)

__all__ = ["DEFAULT_RULES", "PUBLIC_VALUES", "RuleOutcome", "TriggerInput", "apply_rules"]

TriggerKind = Literal["cap", "gauge", "crowd"]


@dataclass(frozen=True)
class TriggerInput:
    """A feed condition the mode triggers consider (they suggest; people decide).

    Attributes
    ----------
    kind : "cap" | "gauge" | "crowd"
    key : str
        Stable id of the condition: ``cap:<sender>,<first identifier>`` (Updates and the Cancel
        of one alert share it), ``gauge:<station code>``, ``crowd:<scenic code>``.
    severity : Severity
        ``severe`` at warning level / capacity, ``extreme`` at guarantee level / 120 %
        capacity / a CAP Extreme.
    county_codes : tuple of str
        Leshan county adcodes affected (``511111``...); empty when the source gave none.
    detail : mapping
        What a person needs to decide: station, level, warning level; scenic area, count,
        capacity; CAP event, headline, category, urgency.
    occurred_at : datetime or None
    active : bool
        False when the condition has ended (CAP Cancel).
    """

    kind: TriggerKind
    key: str
    severity: Severity
    county_codes: tuple[str, ...]
    detail: Mapping[str, Any]
    occurred_at: datetime | None = None
    active: bool = True


@dataclass
class RuleOutcome:
    """Everything the rules derived from a batch of normalized items."""

    events: list[FeedEvent] = field(default_factory=list)
    drafts: list[OrderDraft] = field(default_factory=list)
    triggers: list[TriggerInput] = field(default_factory=list)


Rule = Callable[[FeedEvent], RuleOutcome]

# Canonical camera alarm types (the skynet adapter maps vendor codes to these) that make orders.
CAMERA_ORDERS: Mapping[str, tuple[str, str, str, str]] = {
    # alarm type: (taxonomy code, request type, urgency, what the order says)
    "rubbish": ("urban.sanitation", "report", "general", "视频智能分析发现垃圾堆积"),
    "street_vendor": ("urban.street_vendor", "report", "general", "视频智能分析发现占道经营"),
    "waterlogging": ("flood.waterlogging", "help", "urgent", "视频智能分析发现道路积水"),
}
CAMERA_MIN_CONFIDENCE = 0.8
#: A river this close under its warning level (metres) is shown as nearing it: on a flood
#: morning the duty officer watches the gauges that will cross next.
GAUGE_NEAR_WARNING_M = 0.5


def _draft_from(
    event: FeedEvent, rule: str, code: str, rtype: str, urgency: str, text: str
) -> OrderDraft:
    where = event.values.get("address") or event.title or None
    loc = event.location
    return OrderDraft(
        channel=f"feed:{event.system}",
        category=DraftCategory(rtype, code),
        urgency=urgency,
        description=f"{text}：{event.title}" if event.title else text,
        location=DraftLocation(loc.lon, loc.lat, loc.datum) if loc else None,
        address=str(where) if where else ("乐山市" if loc is None else None),
        source=event.system,
        source_id=f"{event.source_id}#{rule}",
        received_at=event.occurred_at,
        extra={"rule": rule, "event_kind": event.kind},
    )


def camera_orders(event: FeedEvent) -> RuleOutcome:
    """A confident camera alarm of a kind that needs handling becomes an order.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from feeds.base import Point
    >>> e = FeedEvent("skynet", "A1", "camera.alarm", datetime(2026, 11, 27, tzinfo=timezone.utc),
    ...     Layer.cameras, location=Point(103.76, 29.55),
    ...     values={"alarm_type": "rubbish", "confidence": 0.93})
    >>> camera_orders(e).drafts[0].category.code
    'urban.sanitation'
    """
    spec = CAMERA_ORDERS.get(str(event.values.get("alarm_type")))
    if spec is None or float(event.values.get("confidence", 0)) < CAMERA_MIN_CONFIDENCE:
        return RuleOutcome()
    code, rtype, urgency, text = spec
    return RuleOutcome(drafts=[_draft_from(event, "camera-order", code, rtype, urgency, text)])


def gauge_alert(event: FeedEvent) -> RuleOutcome:
    """A river gauge at or above its warning level: a flood alert and a trigger input; back
    under it after being over (``below_after_above``): the alert's end and the end of the
    condition.
    """
    level = event.values.get("level_m")
    warning = event.values.get("warning_level_m")
    station = str(event.values.get("station_code", event.source_id))
    counties = tuple(c for c in [event.values.get("adcode")] if c)
    if level is None or warning is None:
        return RuleOutcome()
    detail = {
        "station_code": station,
        "station": event.title,
        "river": event.values.get("river"),
        "level_m": level,
        "warning_level_m": warning,
    }

    def alert(suffix: str, sev: Severity, title: str, values: dict[str, Any]) -> FeedEvent:
        # One live-layer key per station (station_code): the end replaces the alert.
        return FeedEvent(
            system=event.system,
            source_id=f"{event.source_id}#{suffix}",
            kind="flood.alert",
            occurred_at=event.occurred_at,
            layer=Layer.warnings,
            severity=sev,
            location=event.location,
            title=title,
            values=values,
        )

    if level < warning:
        if not event.values.get("below_after_above"):
            return RuleOutcome()
        # The river is back under its mark: the alert on the wall ends, and so does the
        # condition behind any mode suggestion it raised.
        ended = alert(
            "flood-alert-end",
            Severity.minor,
            f"{event.title}水位回落至警戒水位以下",
            {**detail, "ended": True},
        )
        trig = TriggerInput(
            "gauge",
            f"gauge:{station}",
            Severity.minor,
            counties,
            detail,
            event.occurred_at,
            active=False,
        )
        return RuleOutcome(events=[ended], triggers=[trig])
    guarantee = event.values.get("guarantee_level_m")
    sev = Severity.extreme if guarantee is not None and level >= guarantee else Severity.severe
    over = round(float(level) - float(warning), 2)
    detail |= {"guarantee_level_m": guarantee, "over_warning_m": over}
    flood = alert("flood-alert", sev, f"{event.title}超警戒水位{over:.2f}米", detail)
    trig = TriggerInput("gauge", f"gauge:{station}", sev, counties, detail, event.occurred_at)
    return RuleOutcome(events=[flood], triggers=[trig])


def crowd_over_capacity(event: FeedEvent) -> RuleOutcome:
    """A scenic area at or over its maximum capacity: a trigger input."""
    count = event.values.get("count")
    capacity = event.values.get("capacity")
    if not count or not capacity or count < capacity:
        return RuleOutcome()
    ratio = count / capacity
    sev = Severity.extreme if ratio >= 1.2 else Severity.severe
    code = str(event.values.get("scenic_code", event.source_id))
    counties = tuple(c for c in [event.values.get("adcode")] if c)
    detail = {
        "scenic_code": code,
        "scenic": event.title,
        "count": count,
        "capacity": capacity,
        "ratio": round(ratio, 3),
    }
    return RuleOutcome(
        triggers=[TriggerInput("crowd", f"crowd:{code}", sev, counties, detail, event.occurred_at)]
    )


def cap_trigger(event: FeedEvent) -> RuleOutcome:
    """An actual CAP alert, Severe or Extreme, category Met or Geo: a trigger input.

    A Cancel of such a chain (info-less Cancels included), or an Update that lowers it below
    Severe, gives an ``active=False`` input: the condition behind a suggestion has ended.
    """
    v = event.values
    cats = set(v.get("categories", ()))
    cancel = v.get("msg_type") == "Cancel"
    lowered = v.get("msg_type") == "Update" and event.severity.rank < Severity.severe.rank
    if v.get("status") != "Actual" or v.get("msg_type") not in ("Alert", "Update", "Cancel"):
        return RuleOutcome()
    if (cats and not cats & {"Met", "Geo"}) or (not cats and not cancel):
        return RuleOutcome()
    if not (cancel or lowered) and event.severity.rank < Severity.severe.rank:
        return RuleOutcome()
    counties = tuple(c for c in v.get("adcodes", ()) if str(c).startswith("5111"))
    detail = {
        k: v.get(k)
        for k in (
            "event",
            "headline",
            "description",
            "area_desc",
            "sender",
            "identifier",
            "msg_type",
            "urgency",
            "certainty",
            "categories",
            "expires",
        )
    }
    return RuleOutcome(
        triggers=[
            TriggerInput(
                "cap",
                f"cap:{v.get('chain_key')}",
                event.severity,
                counties,
                detail,
                event.occurred_at,
                active=not (cancel or lowered),
            )
        ]
    )


def geohazard_orders(event: FeedEvent) -> RuleOutcome:
    """An orange or red geohazard warning: an urgent landslide order for the township."""
    if event.severity.rank < Severity.severe.rank:
        return RuleOutcome()
    return RuleOutcome(
        drafts=[
            _draft_from(
                event, "geohazard-order", "flood.landslide", "help", "urgent", "地质灾害监测点预警"
            )
        ]
    )


def gas_orders(event: FeedEvent) -> RuleOutcome:
    """A severe gas leak alarm: an urgent gas order (the gas company co-handles)."""
    if event.severity.rank < Severity.severe.rank:
        return RuleOutcome()
    return RuleOutcome(
        drafts=[_draft_from(event, "gas-order", "utility.gas", "help", "urgent", "燃气泄漏报警")]
    )


def lift_orders(event: FeedEvent) -> RuleOutcome:
    """People trapped in a lift: an urgent lift-safety order."""
    if event.values.get("alarm_type") != "trapped":
        return RuleOutcome()
    return RuleOutcome(
        drafts=[_draft_from(event, "lift-order", "housing.lift", "help", "urgent", "电梯困人报警")]
    )


#: The events the rules make, like an adapter's (``feeds.base.PublicValues``): a flood alert
#: is a river's reading against its marks, all of it public.
PUBLIC_VALUES: PublicValues = {
    "flood.alert": frozenset(
        {
            "station_code",
            "station",
            "river",
            "level_m",
            "warning_level_m",
            "guarantee_level_m",
            "over_warning_m",
            "ended",
        }
    ),
}

DEFAULT_RULES: Mapping[str, tuple[Rule, ...]] = {
    "camera.alarm": (camera_orders,),
    "gauge.reading": (gauge_alert,),
    "crowd.count": (crowd_over_capacity,),
    "cap.alert": (cap_trigger,),
    "geohazard.reading": (geohazard_orders,),
    "gas.alarm": (gas_orders,),
    "lift.alarm": (lift_orders,),
}


def apply_rules(
    items: Iterable[FeedEvent | OrderDraft],
    rules: Mapping[str, tuple[Rule, ...]] = DEFAULT_RULES,
) -> RuleOutcome:
    """Run the rules over ``normalize``'s output; drafts and events pass through.

    Examples
    --------
    >>> apply_rules([]).drafts
    []
    """
    out = RuleOutcome()
    for item in items:
        if isinstance(item, OrderDraft):
            out.drafts.append(item)
            continue
        out.events.append(item)
        for rule in rules.get(item.kind, ()):
            got = rule(item)
            out.events.extend(got.events)
            out.drafts.extend(got.drafts)
            out.triggers.extend(got.triggers)
    return out
