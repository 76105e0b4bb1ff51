"""Dispatch modes (常规、假日、应急): the mode in force, switching, schedule, suggestions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query
from pydantic import AfterValidator, ConfigDict, Field

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CENTER_STAFF, Admin, AnyUser, CenterDep, CenterStaff, require
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import BIGINT_MAX, SIGNED_IN, errors
from dispatch_center.api.schemas.mode import (
    HolidayWindowList,
    ModeHistoryList,
    ModePublic,
    ModeSwitchPublic,
    PoliciesPublic,
    ScheduleCancelled,
    ScheduleView,
    SuggestionDecided,
    SuggestionList,
    TriggerPublic,
)
from dispatch_center.core.roles import Role
from dispatch_center.models import Clean, PlausibleDate, ServiceTime, refuse_nul
from dispatch_center.modeswitch import (
    history,
    policies,
    schedule,
    state,
    suggestions,
    switching,
)
from modes.policy import EmergencyType, ModeName
from modes.scope import SwitchRequest

router = PublicRouter(prefix="/api/v1/mode", tags=["mode"])

Switcher = Annotated[Principal, Depends(require(Role.admin, Role.flood_hq, Role.holiday_hq))]
HolidayHQ = Annotated[Principal, Depends(require(Role.admin, Role.holiday_hq))]
# The wall page lists open suggestions (a wall screen reads them; accepting needs a person).
StaffOrWall = Annotated[Principal, Depends(require(*CENTER_STAFF, wall=True))]


class ModeSwitchCreate(Clean):
    """A switch: now, or scheduled with ``starts_at``; ``ends_at`` reverts by itself."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mode: ModeName
    reason: str = Field(min_length=1, max_length=1000)
    emergency_type: EmergencyType | None = None
    scope: list[Annotated[str, Field(pattern=r"^\d{6}$")]] | None = Field(
        default=None, max_length=20
    )
    starts_at: ServiceTime | None = None
    ends_at: ServiceTime | None = None

    def request(self) -> SwitchRequest:
        """The pure domain request."""
        return SwitchRequest(
            self.mode,
            self.reason,
            self.emergency_type,
            frozenset(self.scope) if self.scope is not None else None,
            self.starts_at,
            self.ends_at,
        )


class ModeScheduleCreate(ModeSwitchCreate):
    """A scheduled switch: ``starts_at`` is required."""

    starts_at: ServiceTime


class Decision(Clean):
    """An optional note with a one-click decision."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=1000)


@router.get("", responses=errors(*SIGNED_IN))
async def get_mode(center: CenterDep, who: AnyUser) -> ModePublic:
    """The mode in force: ``mode``, ``since``, ``by``, ``reason``, per county, schedule."""
    return ModePublic.model_validate(state.mode_view(center))


@router.post("", responses=errors(*SIGNED_IN, 409, 422))
async def set_mode(center: CenterDep, who: Switcher, body: ModeSwitchCreate) -> ModeSwitchPublic:
    """Switch (or schedule); asking for the mode already in force is a no-op."""
    return ModeSwitchPublic.model_validate(await switching.switch(center, who, body.request()))


@router.get("/history", responses=errors(*SIGNED_IN, 422))
async def get_history(
    center: CenterDep,
    who: CenterStaff,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
) -> ModeHistoryList:
    """Every switch, schedule, start, end and suggestion decision, newest first."""
    return ModeHistoryList.model_validate(await history.history(center, limit, before_id))


@router.get("/schedule", responses=errors(*SIGNED_IN))
async def get_schedule(center: CenterDep, who: CenterStaff) -> ScheduleView:
    """Declarations in force and still to start, and the next start or end."""
    return ScheduleView.model_validate(schedule.schedule_view(center))


@router.post("/schedule", responses=errors(*SIGNED_IN, 409, 422))
async def schedule_mode(
    center: CenterDep, who: Switcher, body: ModeScheduleCreate
) -> ModeSwitchPublic:
    """Schedule a switch for ``starts_at`` (optionally ending at ``ends_at``)."""
    return ModeSwitchPublic.model_validate(await switching.switch(center, who, body.request()))


@router.delete("/schedule/{declaration_id}", responses=errors(*SIGNED_IN, 404, 409, 422))
async def cancel_schedule(
    center: CenterDep, who: Switcher, declaration_id: str
) -> ScheduleCancelled:
    """Cancel a declaration that has not started."""
    return ScheduleCancelled.model_validate(
        await switching.cancel_scheduled(center, who, declaration_id)
    )


@router.get("/suggestions", responses=errors(*SIGNED_IN, 422))
async def get_suggestions(
    center: CenterDep,
    who: StaffOrWall,
    status: Annotated[str | None, Query(pattern="^(open|accepted|dismissed|withdrawn)$")] = None,
) -> SuggestionList:
    """Suggestions raised by feed triggers, newest first."""
    return SuggestionList.model_validate(await suggestions.list_suggestions(center, status))


@router.post("/suggestions/{suggestion_id}/accept", responses=errors(*SIGNED_IN, 404, 409, 422))
async def accept_suggestion(
    center: CenterDep,
    who: Switcher,
    suggestion_id: str,
    body: Annotated[Decision | None, Body()] = None,
) -> SuggestionDecided:
    """One click: switch as suggested (recorded with who accepted)."""
    return SuggestionDecided.model_validate(
        await suggestions.accept_suggestion(center, who, suggestion_id, (body or Decision()).note)
    )


@router.post("/suggestions/{suggestion_id}/dismiss", responses=errors(*SIGNED_IN, 404, 409, 422))
async def dismiss_suggestion(
    center: CenterDep,
    who: Switcher,
    suggestion_id: str,
    body: Annotated[Decision | None, Body()] = None,
) -> SuggestionDecided:
    """One click: dismiss (recorded with who dismissed and why)."""
    return SuggestionDecided.model_validate(
        await suggestions.dismiss_suggestion(center, who, suggestion_id, (body or Decision()).note)
    )


@router.post("/triggers", responses=errors(*SIGNED_IN, 422))
async def submit_trigger(
    center: CenterDep,
    who: Admin,
    event: Annotated[dict[str, Any], Body(), AfterValidator(refuse_nul)],
) -> TriggerPublic:
    """Evaluate a feed event by hand (feeds call the service in-process)."""
    return TriggerPublic.model_validate(
        {"suggestion": await suggestions.submit_trigger(center, event)}
    )


@router.get("/policies", responses=errors(*SIGNED_IN))
async def get_policies(center: CenterDep, who: AnyUser) -> PoliciesPublic:
    """The policies in force (the wallboard reads its layout here)."""
    return PoliciesPublic.model_validate(policies.policies_view(center))


@router.post("/policies/reload", responses=errors(*SIGNED_IN, 422))
async def reload_policies(center: CenterDep, who: Admin) -> PoliciesPublic:
    """Re-read the policy files; a bad one is refused (422) and the running policies stay."""
    return PoliciesPublic.model_validate(await policies.reload_policies(center, who))


@router.get("/holiday-windows", responses=errors(*SIGNED_IN, 422))
async def get_holiday_windows(
    center: CenterDep,
    who: CenterStaff,
    start: PlausibleDate | None = None,
    days: Annotated[int, Query(ge=1, le=800)] = 366,
) -> HolidayWindowList:
    """Holiday-mode windows proposed from the statutory calendar."""
    return HolidayWindowList.model_validate(schedule.holiday_windows(center, start, days))


@router.post("/holiday-windows/{key}/confirm", responses=errors(*SIGNED_IN, 404, 409, 422))
async def confirm_holiday_window(
    center: CenterDep, who: HolidayHQ, key: str, body: Annotated[Decision | None, Body()] = None
) -> ModeSwitchPublic:
    """The holiday HQ confirms a proposed window: holiday mode is scheduled for it."""
    return ModeSwitchPublic.model_validate(
        await schedule.confirm_holiday_window(center, who, key, (body or Decision()).note)
    )
