"""Incidents: a major event over many orders and teams, its running log, its summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CenterDep, require
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.command import (
    IncidentList,
    IncidentLogLine,
    IncidentPublic,
    TaskPublic,
)
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.command import incidents
from dispatch_center.command.common import COMMAND_READERS, COMMANDERS
from dispatch_center.core.roles import Role
from dispatch_center.models import Strict

router = PublicRouter(prefix="/api/v1/incidents", tags=["incidents"])

Commander = Annotated[Principal, Depends(require(*COMMANDERS))]
# The special report's writers and the auditors read an incident's record too.
Reader = Annotated[Principal, Depends(require(*COMMAND_READERS, Role.auditor))]
# The wall marks the open incidents on its map: their list (titles, places, counties, no
# orders and no people) reads with a wall screen's token too; an incident's record does not.
ListReader = Annotated[Principal, Depends(require(*COMMAND_READERS, Role.auditor, wall=True))]

County = Annotated[str, Field(pattern=r"^\d{6}$")]


class IncidentCreate(Strict):
    """Open an incident: what (``title``), where (``place``, ``lon``/``lat``), which
    counties it touches.
    """

    title: str = Field(min_length=1, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    counties: list[County] = Field(default_factory=list, max_length=20)


class OrdersAttach(Strict):
    """Orders to attach."""

    order_ids: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        min_length=1, max_length=200
    )


class NoteCreate(Strict):
    """A line on the running log."""

    text: str = Field(min_length=1, max_length=4000)


class TeamSend(Strict):
    """A team to send to the incident's place."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    note: str | None = Field(default=None, max_length=1000)


class IncidentClose(Strict):
    """The summary a special report cites."""

    summary: str = Field(min_length=1, max_length=8000)


@router.get("", responses=errors(*SIGNED_IN, 422))
async def list_incidents(
    center: CenterDep,
    who: ListReader,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> IncidentList:
    """Incidents, newest first."""
    return IncidentList.model_validate({"items": await incidents.list_incidents(center, status)})


@router.post("", status_code=201, response_model=IncidentPublic, responses=errors(*SIGNED_IN, 422))
async def open_incident(center: CenterDep, who: Commander, body: IncidentCreate) -> Response:
    """Open an incident (flood and holiday HQs)."""
    view = await incidents.open_incident(
        center,
        who,
        title=body.title,
        place=body.place,
        lon=body.lon,
        lat=body.lat,
        counties=body.counties,
    )
    return model_response(IncidentPublic.model_validate(view), status_code=201)


@router.get("/{incident_id}", responses=errors(*SIGNED_IN, 404, 422))
async def get_incident(center: CenterDep, who: Reader, incident_id: str) -> IncidentPublic:
    """The incident with its orders, teams' tasks, log and (once closed) summary."""
    return IncidentPublic.model_validate(await incidents.get_incident(center, incident_id))


@router.post("/{incident_id}/orders", responses=errors(*SIGNED_IN, 404, 409, 422))
async def attach_orders(
    center: CenterDep, who: Commander, incident_id: str, body: OrdersAttach
) -> IncidentPublic:
    """Attach orders (each order's timeline says so)."""
    return IncidentPublic.model_validate(
        await incidents.attach_orders(center, who, incident_id, body.order_ids)
    )


@router.post(
    "/{incident_id}/notes",
    status_code=201,
    response_model=IncidentLogLine,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def add_note(
    center: CenterDep, who: Commander, incident_id: str, body: NoteCreate
) -> Response:
    """A line on the running log."""
    line = await incidents.add_note(center, who, incident_id, body.text)
    return model_response(IncidentLogLine.model_validate(line), status_code=201)


@router.post(
    "/{incident_id}/teams",
    status_code=201,
    response_model=TaskPublic,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def send_team(
    center: CenterDep, who: Commander, incident_id: str, body: TeamSend
) -> Response:
    """Send a team to the incident's place; 409 when the team is already tasked."""
    task = await incidents.send_team(center, who, incident_id, body.code, body.note)
    return model_response(TaskPublic.model_validate(task), status_code=201)


@router.post("/{incident_id}/close", responses=errors(*SIGNED_IN, 404, 409, 422))
async def close_incident(
    center: CenterDep, who: Commander, incident_id: str, body: IncidentClose
) -> IncidentPublic:
    """Close with a summary; a closed incident answers 409 to changes."""
    return IncidentPublic.model_validate(
        await incidents.close_incident(center, who, incident_id, body.summary)
    )
