"""Supervision (督), escalation, video supervision sessions, callbacks (回) and rates (评)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from dispatch_center.accounts.security import decode_token
from dispatch_center.api.deps import AnyUser, CenterDep
from dispatch_center.core.lifecycle import Rating
from dispatch_center.core.supervision import EscalationStep, SupervisionLevel
from dispatch_center.models import Location, Strict
from dispatch_center.supervision import (
    callbacks,
    instructions,
    ladder,
    reminders,
    sessions,
    tasks,
    webhook,
)
from dispatch_center.supervision import console as consoles
from dispatch_center.supervision import minutes as minutes_doc
from dispatch_center.supervision import orders as supervision_orders
from dispatch_center.supervision import rates as unit_rates

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])
pages = APIRouter(tags=["pages"], include_in_schema=False)

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Invitee(Strict):
    """Someone invited to a session (a user of the product or an outside participant)."""

    name: Name
    user: str | None = Field(default=None, max_length=100)
    role: str | None = Field(default=None, max_length=40)
    unit: str | None = Field(default=None, max_length=100)


class SessionCreate(Strict):
    """A video supervision session on the city's video-conference system."""

    topic: Text
    order_ids: list[str | int] = Field(default_factory=list, max_length=100)
    room_url: str = Field(min_length=1, max_length=1000)
    emergency: str | None = Field(default=None, max_length=200)
    mode: Literal["normal", "holiday", "emergency"] | None = None
    affected_area: list[str] = Field(default_factory=list, max_length=200)
    invited: list[Invitee] = Field(default_factory=list, max_length=200)


class InstructionCreate(Strict):
    """A leader's instruction or decision; naming a unit or a place makes it a work order."""

    text: Text
    owner: Name
    due: datetime | None = None
    kind: Literal["instruction", "decision"] = "instruction"
    unit_code: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=500)
    location: Location | None = None


class AttachmentCreate(Strict):
    """A recording link or a document, by URL."""

    kind: Literal["recording", "document", "link"]
    title: Name
    url: str = Field(min_length=1, max_length=2000)


class AmendmentCreate(Strict):
    """A correction appended to a session's record."""

    text: Text


class SupervisionOrderCreate(Strict):
    """A 督办单: level, answer deadline and what must be answered."""

    level: SupervisionLevel
    requirement: Text
    answer_by: datetime


class SupervisionAnswer(Strict):
    """The handling unit's answer to a 督办单."""

    answer: Text


class EscalationCreate(Strict):
    """One step of the escalation ladder with its details."""

    step: EscalationStep
    details: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=2000)


class CallbackResult(Strict):
    """The citizen's answer at the callback."""

    rating: Rating
    solved: bool
    note: str | None = Field(default=None, max_length=2000)


class TaskFinish(Strict):
    """A task done (or cancelled), with its result."""

    status: Literal["done", "cancelled"] = "done"
    result: str | None = Field(default=None, max_length=4000)


# -- 督: supervision orders and the ladder -------------------------------------------------------


@router.post("/orders/{order_id}/supervision-orders", status_code=201)
async def issue_supervision_order(
    center: CenterDep, who: AnyUser, order_id: str, body: SupervisionOrderCreate
) -> dict[str, Any]:
    """Issue a 督办单 (duty officers, leaders)."""
    return await supervision_orders.issue_supervision_order(
        center, who, order_id, body.level.value, body.requirement, body.answer_by
    )


@router.post("/supervision-orders/{sid}/answer")
async def answer_supervision_order(
    center: CenterDep, who: AnyUser, sid: str, body: SupervisionAnswer
) -> dict[str, Any]:
    """The handling unit answers a 督办单."""
    return await supervision_orders.answer_supervision_order(center, who, sid, body.answer)


@router.post("/orders/{order_id}/escalations", status_code=201)
async def escalate(
    center: CenterDep, who: AnyUser, order_id: str, body: EscalationCreate
) -> dict[str, Any]:
    """Record a step of the ladder: 领导研究, 部门会商, 现场/视频督办, 电台直播."""
    return await ladder.escalate(center, who, order_id, body.step.value, body.details, body.note)


@router.get("/orders/{order_id}")
async def order_supervision(center: CenterDep, who: AnyUser, order_id: str) -> dict[str, Any]:
    """The ladder, the steps taken, supervision orders, reminders and sessions of an order."""
    return await ladder.ladder(center, who, order_id)


@router.post("/tick")
async def tick(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """Run the reminder timer's pass now (admins, duty officers)."""
    return await reminders.tick_now(center, who)


# -- video supervision sessions ----------------------------------------------------------------


@router.post("/sessions", status_code=201)
async def create_session(center: CenterDep, who: AnyUser, body: SessionCreate) -> dict[str, Any]:
    """Open a session (duty officers); each linked order's timeline records it."""
    return await sessions.create_session(center, who, body.model_dump(mode="python"))


@router.get("/sessions")
async def list_sessions(
    center: CenterDep,
    who: AnyUser,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> dict[str, Any]:
    """Sessions, newest first."""
    return {"sessions": await sessions.list_sessions(center, who, status)}


@router.get("/sessions/{session_id}")
async def get_session(center: CenterDep, who: AnyUser, session_id: str) -> dict[str, Any]:
    """A session with participants (joined_at/left_at), instructions and, closed, the minutes."""
    return await sessions.get_session(center, who, session_id)


@router.post("/sessions/{session_id}/join")
async def join(center: CenterDep, who: AnyUser, session_id: str) -> dict[str, Any]:
    """The caller joins (any signed-in user)."""
    return await sessions.join_session(center, who, session_id)


@router.post("/sessions/{session_id}/leave")
async def leave(center: CenterDep, who: AnyUser, session_id: str) -> dict[str, Any]:
    """The caller leaves."""
    return await sessions.leave_session(center, who, session_id)


@router.post("/sessions/{session_id}/instructions", status_code=201)
async def add_instruction(
    center: CenterDep, who: AnyUser, session_id: str, body: InstructionCreate
) -> dict[str, Any]:
    """A leader's instruction: a tracked task, or a work order when it names a unit/place."""
    return await instructions.add_instruction(
        center, who, session_id, body.model_dump(mode="json") | {"due": body.due}
    )


@router.post("/sessions/{session_id}/attachments", status_code=201)
async def add_attachment(
    center: CenterDep, who: AnyUser, session_id: str, body: AttachmentCreate
) -> dict[str, Any]:
    """Attach a recording link or a document by URL."""
    return await instructions.add_attachment(center, who, session_id, body.model_dump())


@router.post("/sessions/{session_id}/close")
async def close_session(center: CenterDep, who: AnyUser, session_id: str) -> dict[str, Any]:
    """End the session; the minutes are frozen, later changes answer 409."""
    return await sessions.close_session(center, who, session_id)


@router.post("/sessions/{session_id}/amendments", status_code=201)
async def add_amendment(
    center: CenterDep, who: AnyUser, session_id: str, body: AmendmentCreate
) -> dict[str, Any]:
    """Append a correction to the record."""
    return await sessions.add_amendment(center, who, session_id, body.text)


@router.get("/sessions/{session_id}/minutes", response_model=None)
async def minutes(
    center: CenterDep,
    who: AnyUser,
    session_id: str,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "html",
) -> Response | dict[str, Any]:
    """The minutes (纪要) of a closed session as HTML, PDF or JSON."""
    data = await sessions.minutes_data(center, who, session_id)
    if format == "json":
        return data
    areas = {code: u["name"] for code, u in center.reference.units.items()}
    if format == "html":
        return HTMLResponse(minutes_doc.render_html(data, areas))
    font = str(center.settings.pdf_font) if center.settings.pdf_font else None
    pdf = await asyncio.to_thread(minutes_doc.render_pdf, data, areas, font)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="minutes-{session_id}.pdf"'},
    )


@router.post("/webhooks/video")
async def video_webhook(
    request: Request,
    center: CenterDep,
    x_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Joins and leaves from the city's video-conference system (HMAC-signed, no token)."""
    return await webhook.video_webhook(center, await request.body(), x_signature)


# -- tasks, callbacks, rates, consoles -----------------------------------------------------------


@router.get("/tasks")
async def list_tasks(
    center: CenterDep,
    who: AnyUser,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[Literal["open", "done", "cancelled"] | None, Query()] = None,
) -> dict[str, Any]:
    """Tracked tasks (leaders' instructions)."""
    return {"tasks": await tasks.list_tasks(center, who, owner, status)}


@router.post("/tasks/{task_id}/finish")
async def finish_task(
    center: CenterDep, who: AnyUser, task_id: str, body: TaskFinish
) -> dict[str, Any]:
    """Mark a task done or cancelled."""
    return await tasks.finish_task(center, who, task_id, body.status, body.result)


@router.get("/callbacks")
async def list_callbacks(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """Callback tasks waiting for a call."""
    return {"callbacks": await callbacks.list_callbacks(center, who)}


@router.post("/orders/{order_id}/callback", status_code=201)
async def open_callback(center: CenterDep, who: AnyUser, order_id: str) -> dict[str, Any]:
    """The callback task of a replied order (made now if the timer has not yet)."""
    return await callbacks.open_callback(center, who, order_id)


@router.post("/callbacks/{callback_id}")
async def record_callback(
    center: CenterDep, who: AnyUser, callback_id: str, body: CallbackResult
) -> dict[str, Any]:
    """Record the citizen's rating and whether it was solved; close or reopen (重办)."""
    return await callbacks.record_callback(
        center, who, callback_id, body.rating.value, body.solved, body.note
    )


@router.get("/rates")
async def rates(
    center: CenterDep,
    who: AnyUser,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """Response, resolution, satisfaction, on-time, return and reopen rates per unit."""
    return await unit_rates.rates(center, who, unit, from_, to)


@router.get("/my")
async def my(center: CenterDep, who: AnyUser) -> dict[str, Any]:
    """A handler's orders and supervision items; a leader's sessions and instructions."""
    return await consoles.my_view(center, who)


@pages.get("/supervision", response_class=HTMLResponse)
async def console(
    request: Request,
    center: CenterDep,
    token: Annotated[str | None, Query(max_length=4000)] = None,
) -> HTMLResponse:
    """The supervision console (zh-CN): a handler's orders, reminders and 督办单; a
    leader's or duty officer's sessions and instructions. No outside assets."""
    raw = token or request.cookies.get("dc_session")
    if not raw:
        return HTMLResponse("<p>请先登录：/supervision?token=…</p>", status_code=401)
    who = decode_token(raw, request.app.state.secret_key)
    my = await consoles.my_view(center, who)
    html = minutes_doc.render_console(who, my, raw)
    response = HTMLResponse(html)
    if token:  # later links on the page (minutes) carry the session cookie
        response.set_cookie("dc_session", token, httponly=True, samesite="strict")
    return response
