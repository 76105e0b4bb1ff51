"""The schema of a mode policy document (``modes/policies/<mode>.json``), as pydantic models.

Pydantic here is validation, not I/O: :func:`modes.policy.parse_policy` validates a document
with :class:`PolicyDoc` and turns it into the frozen :class:`modes.policy.ModePolicy`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dispatch_center.core.deadlines import LimitUnit, Urgency
from modes.names import EmergencyType, ModeName, TriggerKind

SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DurationDoc(_Doc):
    """A duration as written: a value and its unit."""

    value: int = Field(ge=0, le=100_000)
    unit: LimitUnit


class _UrgencyRule(_Doc):
    categories: list[str] = Field(min_length=1)
    urgency: Literal["urgent", "general"]
    emergency_types: list[EmergencyType] = Field(default_factory=list)


class _TimeLimitRule(_Doc):
    urgency: Urgency
    category: str | None = None
    respond: DurationDoc
    reply: DurationDoc


class _CoDispatchRule(_Doc):
    categories: list[str] = Field(min_length=1)
    units: list[str] = Field(min_length=1)
    at: Literal["anywhere", "scenic_area"] = "anywhere"
    emergency_types: list[EmergencyType] = Field(default_factory=list)


class _Escalation(_Doc):
    due_soon_minutes: int = Field(ge=0, le=10_000)
    overdue_escalate_minutes: int = Field(ge=0, le=100_000)
    leader_after_overdue: int = Field(ge=1, le=10_000)


class _Wallboard(_Doc):
    theme: str = Field(min_length=1, max_length=40)
    layers: list[str] = Field(min_length=1)
    panels: list[str] = Field(min_length=1)
    emphasised_feeds: list[str] = Field(default_factory=list)


class _Seats(_Doc):
    minimum: int = Field(ge=1, le=1000)
    expert: int = Field(ge=0, le=100)


class PolicyDoc(_Doc):
    """One policy document as written."""

    schema_: int = Field(alias="schema")
    mode: ModeName
    version: str = Field(min_length=1, max_length=40)
    title: dict[Literal["zh", "en"], str]
    urgency_overrides: list[_UrgencyRule] = Field(default_factory=list)
    time_limits: list[_TimeLimitRule] = Field(default_factory=list)
    tighten_open: list[str] = Field(default_factory=list)
    co_dispatch: list[_CoDispatchRule] = Field(default_factory=list)
    scenic_committees: dict[str, str] = Field(default_factory=dict)
    escalation: _Escalation
    wallboard: _Wallboard
    alert_thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    seats_on_duty: _Seats
    auto_switch: list[TriggerKind] = Field(default_factory=list)

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema {v} is not supported (expected {SCHEMA_VERSION})")
        return v
