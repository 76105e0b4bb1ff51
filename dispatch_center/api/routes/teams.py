"""Field teams (救援队伍): the board, sending a team, the nearest teams, ending a task."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import Field, model_validator

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CenterDep, require
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.command import NearestTeams, TaskPublic, TeamList
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.command import teams
from dispatch_center.command.common import COMMAND_READERS, COMMANDERS
from dispatch_center.core.teams import NEAREST_MAX
from dispatch_center.models import Strict, field_error

router = PublicRouter(prefix="/api/v1/teams", tags=["teams"])

Commander = Annotated[Principal, Depends(require(*COMMANDERS))]
Reader = Annotated[Principal, Depends(require(*COMMAND_READERS))]
# The wall draws the teams' taskings too; a leader follows them.
BoardReader = Annotated[Principal, Depends(require(*COMMAND_READERS, wall=True))]
TeamCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class TaskCreate(Strict):
    """Send a team: to an order (``order_id``: the order's place) or to a point
    (``lon``, ``lat``, with a ``note`` saying what to do there).
    """

    order_id: str | None = Field(default=None, min_length=1, max_length=20)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    note: str | None = Field(default=None, max_length=1000)
    place: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_target(self) -> TaskCreate:
        point = self.lon is not None or self.lat is not None
        if self.order_id is None and not point:
            raise field_error("order_id", "give order_id, or lon and lat")
        if self.order_id is not None and point:
            raise field_error("order_id", "give order_id or lon and lat, not both")
        if point and (self.lon is None or self.lat is None):
            raise field_error("lat" if self.lat is None else "lon", "lon and lat go together")
        return self


class TaskEnd(Strict):
    """An optional note when a task ends."""

    note: str | None = Field(default=None, max_length=1000)


@router.get("", responses=errors(*SIGNED_IN))
async def list_teams(center: CenterDep, who: BoardReader) -> TeamList:
    """Every team: status (在岗/出动/到场/返回/失联), position, position age, tasking."""
    return TeamList.model_validate({"items": await teams.board(center)})


@router.get("/nearest", responses=errors(*SIGNED_IN, 422))
async def nearest_teams(
    center: CenterDep,
    who: Reader,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    n: Annotated[int, Query(ge=1, le=NEAREST_MAX)] = 3,
) -> NearestTeams:
    """The ``n`` available teams nearest to a place: ``distance_m`` in a straight line."""
    return NearestTeams.model_validate(await teams.nearest(center, lon, lat, n))


@router.post(
    "/{code}/tasks",
    status_code=201,
    response_model=TaskPublic,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def send_team(
    center: CenterDep, who: Commander, code: TeamCode, body: TaskCreate
) -> Response:
    """Send a team; 409 when it already has a task in progress (saying which)."""
    view = await teams.send_team(
        center,
        who,
        code,
        order_id=body.order_id,
        lon=body.lon,
        lat=body.lat,
        note=body.note,
        place=body.place,
    )
    return model_response(TaskPublic.model_validate(view), status_code=201)


@router.post("/{code}/tasks/current/done", responses=errors(*SIGNED_IN, 404, 409, 422))
async def end_task(
    center: CenterDep,
    who: Commander,
    code: TeamCode,
    body: Annotated[TaskEnd | None, Body()] = None,
) -> TaskPublic:
    """The team's task in progress is done: the team is free for another."""
    return TaskPublic.model_validate(
        await teams.end_task(center, who, code, (body or TaskEnd()).note)
    )
