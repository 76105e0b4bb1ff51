"""Supervision (督), escalation, video supervision sessions, callbacks (回) and rates (评)."""

from __future__ import annotations

import asyncio
import html
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import AnyUser, CenterDep, PageGate, PageVisit, require
from dispatch_center.api.front.pages import page_denial, signed_out
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.supervision import (
    AmendmentPublic,
    AttachmentPublic,
    CallbackList,
    CallbackPublic,
    EscalationStepPublic,
    InstructionPublic,
    LadderPublic,
    MinutesPublic,
    MyWorkPublic,
    PresencePublic,
    RatesPublic,
    SessionList,
    SessionPublic,
    SupervisionOrderPublic,
    TaskList,
    TaskPublic,
    TickPublic,
)
from dispatch_center.core.lifecycle import Rating
from dispatch_center.core.roles import Role
from dispatch_center.core.supervision import EscalationStep, SupervisionLevel
from dispatch_center.errors import ServiceError
from dispatch_center.models import Location, PlausibleTime, ServiceTime, Strict
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
from dispatch_center.supervision.common import (
    CALLBACK_STAFF,
    INSTRUCTING,
    SESSION_RUNNERS,
    SUPERVISORS,
)
from dispatch_center.supervision.reminders import TICK_RUNNERS

router = PublicRouter(prefix="/api/v1/supervision", tags=["supervision"])
pages = APIRouter(tags=["pages"], include_in_schema=False)

# Who may call each route at all, declared on the route (the services check again, with
# the conditions that need the record: whose order, whose session).
Supervisor = Annotated[Principal, Depends(require(*SUPERVISORS))]
Answerer = Annotated[Principal, Depends(require(Role.handler, Role.admin))]
TickRunner = Annotated[Principal, Depends(require(*TICK_RUNNERS))]
SessionRunner = Annotated[Principal, Depends(require(*SESSION_RUNNERS))]
SessionRecorder = Annotated[Principal, Depends(require(*(SESSION_RUNNERS | INSTRUCTING)))]
Instructing = Annotated[Principal, Depends(require(*INSTRUCTING))]
CallbackStaff = Annotated[Principal, Depends(require(*CALLBACK_STAFF))]
CallbackReader = Annotated[
    Principal, Depends(require(*(CALLBACK_STAFF | {Role.leader, Role.auditor})))
]

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
    due: ServiceTime | None = None
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
    answer_by: ServiceTime


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


@router.post(
    "/orders/{order_id}/supervision-orders",
    status_code=201,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def issue_supervision_order(
    center: CenterDep, who: Supervisor, order_id: str, body: SupervisionOrderCreate
) -> SupervisionOrderPublic:
    """Issue a 督办单 (duty officers, leaders)."""
    return SupervisionOrderPublic.model_validate(
        await supervision_orders.issue_supervision_order(
            center, who, order_id, body.level.value, body.requirement, body.answer_by
        )
    )


@router.post("/supervision-orders/{sid}/answer", responses=errors(*SIGNED_IN, 404, 409, 422))
async def answer_supervision_order(
    center: CenterDep, who: Answerer, sid: str, body: SupervisionAnswer
) -> SupervisionOrderPublic:
    """The handling unit answers a 督办单."""
    return SupervisionOrderPublic.model_validate(
        await supervision_orders.answer_supervision_order(center, who, sid, body.answer)
    )


@router.post(
    "/orders/{order_id}/escalations", status_code=201, responses=errors(*SIGNED_IN, 404, 409, 422)
)
async def escalate(
    center: CenterDep, who: Supervisor, order_id: str, body: EscalationCreate
) -> EscalationStepPublic:
    """Record a step of the ladder: 领导研究, 部门会商, 现场/视频督办, 电台直播."""
    return EscalationStepPublic.model_validate(
        await ladder.escalate(center, who, order_id, body.step.value, body.details, body.note)
    )


@router.get("/orders/{order_id}", responses=errors(*SIGNED_IN, 404, 422))
async def order_supervision(center: CenterDep, who: AnyUser, order_id: str) -> LadderPublic:
    """The ladder, the steps taken, supervision orders, reminders and sessions of an order."""
    return LadderPublic.model_validate(await ladder.ladder(center, who, order_id))


@router.post("/tick", responses=errors(*SIGNED_IN))
async def tick(center: CenterDep, who: TickRunner) -> TickPublic:
    """Run the reminder timer's pass now (admins, duty officers)."""
    return TickPublic.model_validate(await reminders.tick_now(center, who))


# -- video supervision sessions ----------------------------------------------------------------


@router.post("/sessions", status_code=201, responses=errors(*SIGNED_IN, 404, 422))
async def create_session(
    center: CenterDep, who: SessionRunner, body: SessionCreate
) -> SessionPublic:
    """Open a session (duty officers); each linked order's timeline records it."""
    return SessionPublic.model_validate(
        await sessions.create_session(center, who, body.model_dump(mode="python"))
    )


@router.get("/sessions", responses=errors(*SIGNED_IN, 422))
async def list_sessions(
    center: CenterDep,
    who: AnyUser,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> SessionList:
    """Sessions, newest first."""
    return SessionList.model_validate(
        {"sessions": await sessions.list_sessions(center, who, status)}
    )


@router.get("/sessions/{session_id}", responses=errors(*SIGNED_IN, 404, 422))
async def get_session(center: CenterDep, who: AnyUser, session_id: str) -> SessionPublic:
    """A session with participants (joined_at/left_at), instructions and, closed, the minutes."""
    return SessionPublic.model_validate(await sessions.get_session(center, who, session_id))


@router.post("/sessions/{session_id}/join", responses=errors(*SIGNED_IN, 404, 409, 422))
async def join(center: CenterDep, who: AnyUser, session_id: str) -> PresencePublic:
    """The caller joins (any signed-in user)."""
    return PresencePublic.model_validate(await sessions.join_session(center, who, session_id))


@router.post("/sessions/{session_id}/leave", responses=errors(*SIGNED_IN, 404, 409, 422))
async def leave(center: CenterDep, who: AnyUser, session_id: str) -> PresencePublic:
    """The caller leaves."""
    return PresencePublic.model_validate(await sessions.leave_session(center, who, session_id))


@router.post(
    "/sessions/{session_id}/instructions",
    status_code=201,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def add_instruction(
    center: CenterDep, who: Instructing, session_id: str, body: InstructionCreate
) -> InstructionPublic:
    """A leader's instruction: a tracked task, or a work order when it names a unit/place."""
    return InstructionPublic.model_validate(
        await instructions.add_instruction(
            center, who, session_id, body.model_dump(mode="json") | {"due": body.due}
        )
    )


@router.post(
    "/sessions/{session_id}/attachments",
    status_code=201,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def add_attachment(
    center: CenterDep, who: SessionRecorder, session_id: str, body: AttachmentCreate
) -> AttachmentPublic:
    """Attach a recording link or a document by URL."""
    return AttachmentPublic.model_validate(
        await instructions.add_attachment(center, who, session_id, body.model_dump())
    )


@router.post("/sessions/{session_id}/close", responses=errors(*SIGNED_IN, 404, 409, 422))
async def close_session(center: CenterDep, who: SessionRunner, session_id: str) -> SessionPublic:
    """End the session; the minutes are frozen, later changes answer 409."""
    return SessionPublic.model_validate(await sessions.close_session(center, who, session_id))


@router.post(
    "/sessions/{session_id}/amendments",
    status_code=201,
    responses=errors(*SIGNED_IN, 404, 409, 422),
)
async def add_amendment(
    center: CenterDep, who: SessionRecorder, session_id: str, body: AmendmentCreate
) -> AmendmentPublic:
    """Append a correction to the record."""
    return AmendmentPublic.model_validate(
        await sessions.add_amendment(center, who, session_id, body.text)
    )


@router.get(
    "/sessions/{session_id}/minutes",
    response_model=MinutesPublic,
    responses={
        200: {
            "description": "The minutes: HTML (default), PDF, or JSON with ``format=json``",
            "content": {"text/html": {}, "application/pdf": {}},
        },
        **errors(*SIGNED_IN, 404, 409, 422),
    },
)
async def minutes(
    center: CenterDep,
    who: AnyUser,
    session_id: str,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "html",
) -> Response:
    """The minutes (纪要) of a closed session as HTML, PDF or JSON."""
    data = await sessions.minutes_data(center, who, session_id)
    if format == "json":
        return model_response(MinutesPublic.model_validate(data))
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


@router.post("/webhooks/video", responses=errors(401, 404, 409, 422, 503))
async def video_webhook(
    request: Request,
    center: CenterDep,
    x_signature: Annotated[str | None, Header()] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
) -> PresencePublic:
    """Joins and leaves from the city's video-conference system (no token): signed like a
    feed, ``X-Timestamp`` + ``X-Signature`` over the timestamp and the body, each signature
    accepted once.
    """
    return PresencePublic.model_validate(
        await webhook.video_webhook(center, await request.body(), x_signature, x_timestamp)
    )


# -- tasks, callbacks, rates, consoles -----------------------------------------------------------


@router.get("/tasks", responses=errors(*SIGNED_IN, 422))
async def list_tasks(
    center: CenterDep,
    who: AnyUser,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[Literal["open", "done", "cancelled"] | None, Query()] = None,
) -> TaskList:
    """Tracked tasks (leaders' instructions)."""
    return TaskList.model_validate({"tasks": await tasks.list_tasks(center, who, owner, status)})


@router.post("/tasks/{task_id}/finish", responses=errors(*SIGNED_IN, 404, 409, 422))
async def finish_task(
    center: CenterDep, who: AnyUser, task_id: str, body: TaskFinish
) -> TaskPublic:
    """Mark a task done or cancelled."""
    return TaskPublic.model_validate(
        await tasks.finish_task(center, who, task_id, body.status, body.result)
    )


@router.get("/callbacks", responses=errors(*SIGNED_IN))
async def list_callbacks(center: CenterDep, who: CallbackReader) -> CallbackList:
    """Callback tasks waiting for a call."""
    return CallbackList.model_validate({"callbacks": await callbacks.list_callbacks(center, who)})


@router.post(
    "/orders/{order_id}/callback", status_code=201, responses=errors(*SIGNED_IN, 404, 409, 422)
)
async def open_callback(center: CenterDep, who: CallbackStaff, order_id: str) -> CallbackPublic:
    """The callback task of a replied order (made now if the timer has not yet)."""
    return CallbackPublic.model_validate(await callbacks.open_callback(center, who, order_id))


@router.post("/callbacks/{callback_id}", responses=errors(*SIGNED_IN, 404, 409, 422))
async def record_callback(
    center: CenterDep, who: CallbackStaff, callback_id: str, body: CallbackResult
) -> CallbackPublic:
    """Record the citizen's rating and whether it was solved; close or reopen (重办)."""
    return CallbackPublic.model_validate(
        await callbacks.record_callback(
            center, who, callback_id, body.rating.value, body.solved, body.note
        )
    )


@router.get("/rates", responses=errors(*SIGNED_IN, 422))
async def rates(
    center: CenterDep,
    who: AnyUser,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[PlausibleTime | None, Query(alias="from")] = None,
    to: Annotated[PlausibleTime | None, Query()] = None,
) -> RatesPublic:
    """Response, resolution, satisfaction, on-time, return and reopen rates per unit."""
    return RatesPublic.model_validate(await unit_rates.rates(center, who, unit, from_, to))


@router.get("/my", responses=errors(*SIGNED_IN))
async def my(center: CenterDep, who: AnyUser) -> MyWorkPublic:
    """A handler's orders and supervision items; a leader's sessions and instructions."""
    return MyWorkPublic.model_validate(await consoles.my_view(center, who))


def _console_denied(request: Request, error: ServiceError) -> Response:
    if signed_out(request):
        return page_denial(request, error)
    if error.status == 401:
        text = f"<p>登录已失效，请重新登录（{html.escape(error.message)}）</p>"
    else:
        text = f"<p>无权访问督办工作台：{html.escape(error.message)}</p>"
    return HTMLResponse(text, status_code=error.status)


ConsoleVisit = Annotated[PageVisit, Depends(PageGate(Gate(), deny=_console_denied))]


@pages.get("/supervision", response_class=HTMLResponse)
async def console(request: Request, visit: ConsoleVisit) -> Response:
    """The old supervision console's address: a person is sent on to ``/leader`` (303),
    keeping the query string (``?lang=en``). ``?token=`` once is first moved into the
    session cookie, so the token never reaches ``/leader``'s address.
    """
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    query = request.url.query
    return RedirectResponse(
        "/leader" + (f"?{query}" if query else ""),
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )
