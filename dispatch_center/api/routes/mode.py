"""Dispatch modes (常规、假日、应急): the mode in force, switching, schedule, suggestions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import Admin, AnyUser, CenterDep, CenterStaff, require
from dispatch_center.core.roles import Role
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

router = APIRouter(prefix="/api/v1/mode", tags=["mode"])

Switcher = Annotated[Principal, Depends(require(Role.admin, Role.flood_hq, Role.holiday_hq))]
HolidayHQ = Annotated[Principal, Depends(require(Role.admin, Role.holiday_hq))]


class ModeSwitchCreate(BaseModel):
    """A switch: now, or scheduled with ``starts_at``; ``ends_at`` reverts by itself."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mode: ModeName
    reason: str = Field(min_length=1, max_length=1000)
    emergency_type: EmergencyType | None = None
    scope: list[Annotated[str, Field(pattern=r"^\d{6}$")]] | None = Field(
        default=None, max_length=20
    )
    starts_at: datetime | None = None
    ends_at: datetime | None = None

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

    starts_at: datetime


class Decision(BaseModel):
    """An optional note with a one-click decision."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=1000)


@router.get("")
async def get_mode(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """The mode in force: ``mode``, ``since``, ``by``, ``reason``, per county, schedule."""
    return state.mode_view(center)


@router.post("")
async def set_mode(center: CenterDep, who: Switcher, body: ModeSwitchCreate) -> dict[str, Any]:
    """Switch (or schedule); asking for the mode already in force is a no-op."""
    return await switching.switch(center, who, body.request())


@router.get("/history")
async def get_history(
    center: CenterDep,
    who: CenterStaff,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Every switch, schedule, start, end and suggestion decision, newest first."""
    return await history.history(center, limit, before_id)


@router.get("/schedule")
async def get_schedule(center: CenterDep, who: CenterStaff) -> dict[str, Any]:
    """Declarations in force and still to start, and the next start or end."""
    return schedule.schedule_view(center)


@router.post("/schedule")
async def schedule_mode(
    center: CenterDep, who: Switcher, body: ModeScheduleCreate
) -> dict[str, Any]:
    """Schedule a switch for ``starts_at`` (optionally ending at ``ends_at``)."""
    return await switching.switch(center, who, body.request())


@router.delete("/schedule/{declaration_id}")
async def cancel_schedule(center: CenterDep, who: Switcher, declaration_id: str) -> dict[str, Any]:
    """Cancel a declaration that has not started."""
    return await switching.cancel_scheduled(center, who, declaration_id)


@router.get("/suggestions")
async def get_suggestions(
    center: CenterDep,
    who: CenterStaff,
    status: Annotated[str | None, Query(pattern="^(open|accepted|dismissed|withdrawn)$")] = None,
) -> dict[str, Any]:
    """Suggestions raised by feed triggers, newest first."""
    return await suggestions.list_suggestions(center, status)


@router.post("/suggestions/{suggestion_id}/accept")
async def accept_suggestion(
    center: CenterDep,
    who: Switcher,
    suggestion_id: str,
    body: Annotated[Decision | None, Body()] = None,
) -> dict[str, Any]:
    """One click: switch as suggested (recorded with who accepted)."""
    return await suggestions.accept_suggestion(
        center, who, suggestion_id, (body or Decision()).note
    )


@router.post("/suggestions/{suggestion_id}/dismiss")
async def dismiss_suggestion(
    center: CenterDep,
    who: Switcher,
    suggestion_id: str,
    body: Annotated[Decision | None, Body()] = None,
) -> dict[str, Any]:
    """One click: dismiss (recorded with who dismissed and why)."""
    return await suggestions.dismiss_suggestion(
        center, who, suggestion_id, (body or Decision()).note
    )


@router.post("/triggers")
async def submit_trigger(
    center: CenterDep, who: Admin, event: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Evaluate a feed event by hand (feeds call the service in-process)."""
    return {"suggestion": await suggestions.submit_trigger(center, event)}


@router.get("/policies")
async def get_policies(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """The policies in force (the wallboard reads its layout here)."""
    return policies.policies_view(center)


@router.post("/policies/reload")
async def reload_policies(center: CenterDep, who: Admin) -> dict[str, Any]:
    """Re-read the policy files; a bad one is refused (422) and the running policies stay."""
    return await policies.reload_policies(center, who)


@router.get("/holiday-windows")
async def get_holiday_windows(
    center: CenterDep,
    who: CenterStaff,
    start: date | None = None,
    days: Annotated[int, Query(ge=1, le=800)] = 366,
) -> dict[str, Any]:
    """Holiday-mode windows proposed from the statutory calendar."""
    return schedule.holiday_windows(center, start, days)


@router.post("/holiday-windows/{key}/confirm")
async def confirm_holiday_window(
    center: CenterDep, who: HolidayHQ, key: str, body: Annotated[Decision | None, Body()] = None
) -> dict[str, Any]:
    """The holiday HQ confirms a proposed window: holiday mode is scheduled for it."""
    return await schedule.confirm_holiday_window(center, who, key, (body or Decision()).note)
