"""Mode policies as data: what normal, holiday and emergency dispatch change.

A policy is a JSON document (``modes/policies/<mode>.json``, overridable by the
operator). :func:`parse_policy` validates one document and returns a frozen
:class:`ModePolicy`; a bad document raises :class:`PolicyError` naming the source and
the field, so the caller can refuse it and keep the policy that is running.

Category patterns are taxonomy codes (``flood.waterlogging``) or a code with ``.*``
(``flood.*`` matches ``flood`` and every code below it). Unit entries are unit codes or
placeholders filled from the order's routing: ``{township}`` (tier-3 step of the path)
and ``{scenic_committee}`` (the committee of the scenic area the order lies in).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dispatch_center.core.deadlines import Duration, LimitUnit, TimeLimit, Urgency
from modes.names import EmergencyType, ModeName, TriggerKind
from modes.policy_doc import SCHEMA_VERSION, DurationDoc, PolicyDoc

# The names a policy speaks in live in modes.names; they are part of this module's API.
__all__ = [
    "PLACEHOLDERS",
    "RANK",
    "SCHEMA_VERSION",
    "CoDispatchRule",
    "EmergencyType",
    "ModeDecision",
    "ModeName",
    "ModePolicy",
    "OrderContext",
    "PolicyError",
    "TriggerKind",
    "UrgencyRule",
    "default_policy",
    "example_policy",
    "matches",
    "parse_policy",
]

PLACEHOLDERS = frozenset({"{township}", "{scenic_committee}"})


# Emergency outranks holiday outranks normal where scopes overlap.
RANK: Mapping[ModeName, int] = {ModeName.normal: 0, ModeName.holiday: 1, ModeName.emergency: 2}


class PolicyError(ValueError):
    """A policy document that cannot be used; ``source`` and ``field`` say where."""

    def __init__(self, source: str, field: str, message: str) -> None:
        super().__init__(f"{source}: {field}: {message}")
        self.source = source
        self.field = field
        self.message = message


def matches(pattern: str, category: str | None) -> bool:
    """Whether a category pattern covers ``category``.

    Examples
    --------
    >>> matches("flood.*", "flood.waterlogging"), matches("flood.*", "water.drainage")
    (True, False)
    >>> matches("water.drainage", "water.drainage")
    True
    """
    if category is None:
        return False
    if pattern.endswith(".*"):
        stem = pattern[:-2]
        return category == stem or category.startswith(stem + ".")
    return category == pattern


def _specificity(pattern: str) -> int:
    # An exact code beats any wildcard; a longer stem beats a shorter one.
    return 1000 if not pattern.endswith(".*") else len(pattern)


# -- the policy the services use -------------------------------------------------------------


@dataclass(frozen=True)
class UrgencyRule:
    """Requests in these categories are raised to ``urgency`` (never lowered)."""

    categories: tuple[str, ...]
    urgency: Urgency
    emergency_types: frozenset[EmergencyType]


@dataclass(frozen=True)
class CoDispatchRule:
    """Co-dispatch these units for these categories (optionally only at a scenic area)."""

    categories: tuple[str, ...]
    units: tuple[str, ...]
    at: str
    emergency_types: frozenset[EmergencyType]


@dataclass(frozen=True)
class OrderContext:
    """Where an order is, as much as its routing says.

    ``assets`` are ``(code, kind)`` pairs of asset layers the order lies on.
    """

    county: str | None = None
    township: str | None = None
    assets: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_routing(cls, routing: Mapping[str, Any] | None) -> OrderContext:
        """Read county (tier 2), township (tier 3) and assets from a routing record.

        Examples
        --------
        >>> OrderContext.from_routing({"path": [{"tier": 1, "code": "511100"},
        ...                                      {"tier": 2, "code": "511111"}]}).county
        '511111'
        """
        routing = routing or {}
        county = township = None
        for step in routing.get("path") or ():
            tier = step.get("tier")
            if tier == 2:
                county = step.get("code")
            elif tier == 3:
                township = step.get("code")
        # The routing record names the asset that decided it ("asset") and may list
        # every asset the point lies on ("assets").
        found = [routing.get("asset"), *(routing.get("assets") or ())]
        assets = tuple(
            dict.fromkeys(
                (str(a.get("code")), str(a.get("kind")))
                for a in found
                if isinstance(a, Mapping) and a.get("code")
            )
        )
        return cls(county, township, assets)


@dataclass(frozen=True)
class ModeDecision:
    """What the policy in force decides for one new order."""

    urgency: Urgency
    raised_from: Urgency | None
    time_limit: TimeLimit | None
    co_units: tuple[str, ...]


@dataclass(frozen=True)
class ModePolicy:
    """One mode's policy, validated and frozen."""

    mode: ModeName
    version: str
    title_zh: str
    title_en: str
    urgency_rules: tuple[UrgencyRule, ...]
    time_limits: Mapping[tuple[Urgency, str | None], TimeLimit]
    tighten_open: tuple[str, ...]
    co_dispatch: tuple[CoDispatchRule, ...]
    scenic_committees: Mapping[str, str]
    escalation: Mapping[str, int]
    wallboard: Mapping[str, Any]
    alert_thresholds: Mapping[str, Mapping[str, float]]
    seats_on_duty: Mapping[str, int]
    auto_switch: frozenset[TriggerKind]
    source: str = "<dict>"
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def urgency_for(
        self, urgency: Urgency, category: str | None, emergency_type: EmergencyType | None = None
    ) -> Urgency:
        """The urgency a new request gets under this policy.

        Only a general request is raised: a consultation is answered at once anyway and
        an urgent one is already urgent.

        Examples
        --------
        >>> p = example_policy()
        >>> p.urgency_for(Urgency.general, "flood.waterlogging", EmergencyType.flood).value
        'urgent'
        >>> p.urgency_for(Urgency.general, "flood.waterlogging", EmergencyType.public_health).value
        'general'
        """
        if urgency is not Urgency.general:
            return urgency
        for rule in self.urgency_rules:
            if rule.emergency_types and emergency_type not in rule.emergency_types:
                continue
            if any(matches(p, category) for p in rule.categories):
                return rule.urgency
        return urgency

    def time_limit(self, urgency: Urgency, category: str | None) -> TimeLimit | None:
        """This policy's limit for (urgency, category), most specific pattern first.

        ``None`` means the policy says nothing and the reference table applies.

        Examples
        --------
        >>> example_policy().time_limit(Urgency.urgent, "flood.rescue").respond
        Duration(value=10, unit=<LimitUnit.minutes: 'minutes'>)
        >>> example_policy().time_limit(Urgency.urgent, "urban.sanitation") is None
        True
        """
        best: tuple[int, TimeLimit] | None = None
        for (u, pattern), limit in self.time_limits.items():
            if u is not urgency:
                continue
            if pattern is None:
                score = 0
            elif matches(pattern, category):
                score = _specificity(pattern)
            else:
                continue
            if best is None or score > best[0]:
                best = (score, limit)
        return best[1] if best else None

    def tightens(self, category: str | None) -> bool:
        """Whether open orders of ``category`` get this policy's (shorter) limits."""
        return any(matches(p, category) for p in self.tighten_open)

    def co_units(
        self,
        category: str | None,
        ctx: OrderContext,
        emergency_type: EmergencyType | None = None,
    ) -> tuple[str, ...]:
        """Units co-dispatched for a new order, placeholders filled from ``ctx``.

        Examples
        --------
        >>> ctx = OrderContext("511111", "511111001")
        >>> example_policy().co_units("flood.waterlogging", ctx, EmergencyType.flood)
        ('511100.flood_hq', '511111001')
        """
        out: list[str] = []
        for rule in self.co_dispatch:
            if rule.emergency_types and emergency_type not in rule.emergency_types:
                continue
            if not any(matches(p, category) for p in rule.categories):
                continue
            scenic = [code for code, kind in ctx.assets if kind == "scenic_area"]
            if rule.at == "scenic_area" and not scenic:
                continue
            for unit in rule.units:
                if unit == "{township}":
                    resolved: list[str] = [ctx.township] if ctx.township else []
                elif unit == "{scenic_committee}":
                    resolved = [
                        self.scenic_committees[s] for s in scenic if s in self.scenic_committees
                    ]
                else:
                    resolved = [unit]
                out.extend(u for u in resolved if u not in out)
        return tuple(out)

    def decide(
        self,
        urgency: Urgency,
        category: str | None,
        ctx: OrderContext,
        emergency_type: EmergencyType | None = None,
    ) -> ModeDecision:
        """Urgency, time limit and co-dispatch for one new order.

        Examples
        --------
        >>> d = example_policy().decide(Urgency.general, "flood.waterlogging",
        ...                             OrderContext("511111"), EmergencyType.flood)
        >>> d.urgency.value, d.raised_from.value, d.co_units
        ('urgent', 'general', ('511100.flood_hq',))
        """
        final = self.urgency_for(urgency, category, emergency_type)
        return ModeDecision(
            urgency=final,
            raised_from=urgency if final is not urgency else None,
            time_limit=self.time_limit(final, category),
            co_units=self.co_units(category, ctx, emergency_type),
        )

    def public(self) -> dict[str, Any]:
        """The document as published to the wallboard and operators."""
        return {**dict(self.document), "source": self.source}


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "schema" if part == "schema_" else str(part)
            out += f".{name}" if out else name
    return out or "(document)"


def _check_codes(
    doc: PolicyDoc,
    source: str,
    categories: Collection[str] | None,
    units: Collection[str] | None,
) -> None:
    def pattern_ok(p: str) -> bool:
        assert categories is not None
        stem = p[:-2] if p.endswith(".*") else p
        return stem in categories

    if categories is not None:
        named: list[tuple[str, str]] = []
        for i, r in enumerate(doc.urgency_overrides):
            named += [
                (f"urgency_overrides[{i}].categories[{j}]", p) for j, p in enumerate(r.categories)
            ]
        for i, t in enumerate(doc.time_limits):
            if t.category is not None:
                named.append((f"time_limits[{i}].category", t.category))
        named += [(f"tighten_open[{j}]", p) for j, p in enumerate(doc.tighten_open)]
        for i, c in enumerate(doc.co_dispatch):
            named += [(f"co_dispatch[{i}].categories[{j}]", p) for j, p in enumerate(c.categories)]
        for where, pattern in named:
            if not pattern_ok(pattern):
                raise PolicyError(source, where, f"{pattern!r} is not a taxonomy category")
    if units is not None:
        for i, c in enumerate(doc.co_dispatch):
            for j, u in enumerate(c.units):
                if u not in PLACEHOLDERS and u not in units:
                    raise PolicyError(
                        source, f"co_dispatch[{i}].units[{j}]", f"{u!r} is not a known unit"
                    )
        for asset, u in doc.scenic_committees.items():
            if u not in units:
                raise PolicyError(
                    source, f"scenic_committees.{asset}", f"{u!r} is not a known unit"
                )
    seen: set[tuple[str, str | None]] = set()
    for i, t in enumerate(doc.time_limits):
        key = (t.urgency.value, t.category)
        if key in seen:
            raise PolicyError(source, f"time_limits[{i}]", f"a second limit for {key}")
        seen.add(key)
        for part in ("respond", "reply"):
            d: DurationDoc = getattr(t, part)
            if d.unit is LimitUnit.immediate and d.value != 0:
                raise PolicyError(
                    source, f"time_limits[{i}].{part}.value", "immediate takes value 0"
                )


def parse_policy(
    document: Mapping[str, Any] | str,
    *,
    source: str = "<dict>",
    expected_mode: ModeName | str | None = None,
    categories: Collection[str] | None = None,
    units: Collection[str] | None = None,
) -> ModePolicy:
    """Validate a policy document and return the frozen policy.

    Parameters
    ----------
    document : mapping or str
        The parsed JSON, or its text.
    source : str
        Where it came from (a file name), used in error messages.
    expected_mode : ModeName or str, optional
        The mode the document must declare (a file named ``holiday.json`` must say holiday).
    categories, units : collections of str, optional
        Known taxonomy and unit codes; when given, every code the policy names must be one.

    Raises
    ------
    PolicyError
        Naming ``source`` and the first bad field.

    Examples
    --------
    >>> parse_policy({"mode": "normal"}, source="normal.json")
    Traceback (most recent call last):
    ...
    modes.policy.PolicyError: normal.json: schema: Field required
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicyError(source, f"line {exc.lineno} column {exc.colno}", exc.msg) from exc
    if not isinstance(document, Mapping):
        raise PolicyError(source, "(document)", "must be a JSON object")
    try:
        doc = PolicyDoc.model_validate(dict(document))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PolicyError(source, _field_path(tuple(first["loc"])), first["msg"]) from exc
    if expected_mode is not None and doc.mode.value != str(expected_mode):
        raise PolicyError(source, "mode", f"is {doc.mode.value!r}, expected {str(expected_mode)!r}")
    _check_codes(doc, source, categories, units)
    limits = {
        (t.urgency, t.category): TimeLimit(
            t.urgency,
            Duration(t.respond.value, t.respond.unit),
            Duration(t.reply.value, t.reply.unit),
        )
        for t in doc.time_limits
    }
    return ModePolicy(
        mode=doc.mode,
        version=doc.version,
        title_zh=doc.title.get("zh", doc.mode.value),
        title_en=doc.title.get("en", doc.mode.value),
        urgency_rules=tuple(
            UrgencyRule(tuple(r.categories), Urgency(r.urgency), frozenset(r.emergency_types))
            for r in doc.urgency_overrides
        ),
        time_limits=limits,
        tighten_open=tuple(doc.tighten_open),
        co_dispatch=tuple(
            CoDispatchRule(tuple(c.categories), tuple(c.units), c.at, frozenset(c.emergency_types))
            for c in doc.co_dispatch
        ),
        scenic_committees=dict(doc.scenic_committees),
        escalation=doc.escalation.model_dump(),
        wallboard=doc.wallboard.model_dump(),
        alert_thresholds={k: dict(v) for k, v in doc.alert_thresholds.items()},
        seats_on_duty=doc.seats_on_duty.model_dump(),
        auto_switch=frozenset(doc.auto_switch),
        source=source,
        document=doc.model_dump(mode="json", by_alias=True),
    )


def default_policy(mode: ModeName | str) -> ModePolicy:
    """A policy that changes nothing: the statutory limits, no overrides, no auto switch.

    Used before the policy files are loaded.

    Examples
    --------
    >>> default_policy("holiday").auto_switch
    frozenset()
    """
    name = ModeName(mode)
    return parse_policy(
        {
            "schema": SCHEMA_VERSION,
            "mode": name.value,
            "version": "default",
            "title": {"zh": name.value, "en": name.value},
            "escalation": {
                "due_soon_minutes": 60,
                "overdue_escalate_minutes": 120,
                "leader_after_overdue": 10,
            },
            "wallboard": {
                "theme": name.value,
                "layers": ["counties", "orders"],
                "panels": ["mode", "kpi"],
            },
            "seats_on_duty": {"minimum": 1, "expert": 0},
        },
        source=f"default:{name.value}",
    )


def example_policy() -> ModePolicy:
    """A small flood-emergency policy for examples and tests.

    Examples
    --------
    >>> example_policy().mode.value
    'emergency'
    """
    return parse_policy(
        {
            "schema": SCHEMA_VERSION,
            "mode": "emergency",
            "version": "example",
            "title": {"zh": "应急", "en": "Emergency"},
            "urgency_overrides": [
                {
                    "categories": ["flood.*", "water.drainage"],
                    "urgency": "urgent",
                    "emergency_types": ["flood"],
                },
            ],
            "time_limits": [
                {
                    "urgency": "urgent",
                    "category": "flood.rescue",
                    "respond": {"value": 10, "unit": "minutes"},
                    "reply": {"value": 12, "unit": "hours"},
                },
            ],
            "tighten_open": ["flood.*"],
            "co_dispatch": [
                {
                    "categories": ["flood.*"],
                    "units": ["511100.flood_hq", "{township}"],
                    "emergency_types": ["flood"],
                },
            ],
            "escalation": {
                "due_soon_minutes": 10,
                "overdue_escalate_minutes": 30,
                "leader_after_overdue": 3,
            },
            "wallboard": {"theme": "emergency", "layers": ["counties"], "panels": ["mode"]},
            "seats_on_duty": {"minimum": 30, "expert": 2},
        },
        source="example",
    )
