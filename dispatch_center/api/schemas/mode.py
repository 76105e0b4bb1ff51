"""Dispatch modes (常规、假日、应急): the mode in force, switches, schedule, suggestions."""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Day, Json, Public, Timestamp


class ModeTitle(Public):
    """The mode's name in both languages."""

    zh: str = Field(examples=["应急调度模式"])
    en: str = Field(examples=["Emergency dispatch"])


class ActiveModePublic(Public):
    """The mode in force in one place (the whole city, or one county)."""

    mode: str = Field(examples=["emergency"])
    emergency_type: str | None
    declaration_id: str | None
    since: Timestamp | None
    until: Timestamp | None
    by: str | None


class CountyModePublic(Public):
    """The mode in force in one county."""

    county: str = Field(examples=["511111"])
    name: str = Field(examples=["沙湾区"])
    mode: str
    emergency_type: str | None
    declaration_id: str | None
    since: Timestamp | None
    until: Timestamp | None
    by: str | None


class DeclarationPublic(Public):
    """A declaration of a mode, in force or scheduled; ``scope`` null is city-wide."""

    id: str
    mode: str
    emergency_type: str | None
    scope: list[str] | None
    scope_label: str = Field(examples=["沙湾区、峨边彝族自治县"])
    starts_at: Timestamp
    ends_at: Timestamp | None
    by: str
    reason: str


class NextChangePublic(Public):
    """The next scheduled start or end."""

    at: Timestamp
    kind: str = Field(examples=["start"])
    declaration_id: str


class WallboardLayoutPublic(Public):
    """What the wall shows in this mode."""

    theme: str
    layers: list[str]
    panels: list[str]
    emphasised_feeds: list[str]


class ModePublic(Public):
    """``GET /api/v1/mode``: the headline mode (``mode``, ``since``, ``by``, ``reason``),
    per county, in force and scheduled declarations, and the wall's layout.
    """

    mode: str = Field(examples=["normal"])
    emergency_type: str | None
    scope: list[str] | None
    since: Timestamp | None
    until: Timestamp | None
    by: str | None
    reason: str | None
    declaration_id: str | None
    title: ModeTitle
    policy_version: str
    city_wide: ActiveModePublic
    scopes: list[CountyModePublic]
    in_force: list[DeclarationPublic]
    scheduled: list[DeclarationPublic]
    next_change: NextChangePublic | None
    wallboard: WallboardLayoutPublic
    as_of: Timestamp


class OrdersTouched(Public):
    """What a switch did to open orders: deadlines tightened, others noted."""

    tightened: int | None = None
    noted: int | None = None


class ModeSwitchPublic(Public):
    """A switch or schedule: ``changed`` false when it asked for what is already so."""

    changed: bool
    mode: ModePublic
    history_id: str | None
    orders: OrdersTouched | None = None


class ScheduleCancelled(Public):
    """A scheduled declaration cancelled before it started."""

    cancelled: str
    mode: ModePublic


class ScheduleView(Public):
    """Declarations in force and still to start, and the next start or end."""

    in_force: list[DeclarationPublic]
    scheduled: list[DeclarationPublic]
    next_change: NextChangePublic | None


class HistoryEntryPublic(Public):
    """One switch, schedule, start, end or suggestion decision."""

    id: str
    at: Timestamp
    action: str = Field(examples=["declare"])
    by: str
    role: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    emergency_type: str | None
    scope: list[str] | None
    reason: str | None
    starts_at: Timestamp | None
    ends_at: Timestamp | None
    status: str | None
    declaration_id: str | None
    suggestion_id: str | None
    data: Json | None


class ModeHistoryList(Public):
    """The history, newest first; pass ``next_before_id`` for the next page."""

    history: list[HistoryEntryPublic]
    next_before_id: str | None


class SuggestionPublic(Public):
    """A switch a feed trigger suggests (a river over its warning level, a CAP warning)."""

    id: str
    kind: str = Field(examples=["river_gauge"])
    dedupe_key: str
    mode: str
    emergency_type: str | None
    scope: list[str]
    scope_label: str
    reason: str
    evidence: Json
    status: str = Field(examples=["open"])
    raised_at: Timestamp
    seen_count: int
    last_seen_at: Timestamp
    decided_at: Timestamp | None
    decided_by: str | None
    decision_note: str | None
    declaration_id: str | None
    sources: list[str]
    condition_ended_at: Timestamp | None
    condition_note: str | None
    created: bool | None = Field(default=None, description="on a trigger: whether it is new")
    auto_switched: bool | None = None


class SuggestionList(Public):
    """Suggestions, newest first."""

    suggestions: list[SuggestionPublic]


class SuggestionDecided(Public):
    """A suggestion accepted (with the switch it made) or dismissed."""

    suggestion: SuggestionPublic
    changed: bool | None = None
    mode: ModePublic | None = None
    history_id: str | None = None
    orders: OrdersTouched | None = None


class TriggerPublic(Public):
    """The suggestion a hand-submitted feed event raised, or null."""

    suggestion: SuggestionPublic | None


class PoliciesPublic(Public):
    """The policies in force per mode (SLA table, routing overrides, wall layout)."""

    policies: dict[str, Json]


class HolidayWindowPublic(Public):
    """A holiday-mode window proposed from the statutory calendar."""

    key: str = Field(examples=["2026-10-01:National Day"])
    name: str
    name_zh: str
    first_day: Day
    last_day: Day
    starts_at: Timestamp
    ends_at: Timestamp
    scheduled: bool
    declaration_id: str | None


class HolidayWindowList(Public):
    """Proposed windows and the years the calendar covers (first, last)."""

    windows: list[HolidayWindowPublic]
    calendar_covers: list[int] | None
