"""Feeds and intake channels over HTTP: catalogue and health, push intake, CAP, dead letters,
the 110 linkage, and the voice, e-mail, WeChat, SMS and letter channels.

Intake routes authenticate the *source* (``X-Api-Key``, ``X-Timestamp`` + ``X-Signature``
(``intake.sources``), or an admin's token) rather than a user; each answers 202 once the
payload is durable. A signature is accepted once (:mod:`dispatch_center.accounts.signatures`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import Field, ValidationError

from dispatch_center.accounts import signatures as replays
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import Admin, AnyUser, CenterDep, Intake, source_or_staff
from dispatch_center.api.errors import error_body
from dispatch_center.api.responses import PublicRouter, model_response
from dispatch_center.api.schemas.common import BIGINT_MAX, SIGNED_IN, Public, errors, json_errors
from dispatch_center.api.schemas.feeds import (
    AcceptedPublic,
    CapAlertList,
    CapChainPublic,
    CapReceipt,
    DeadLetterList,
    FeedList,
    LayersPublic,
    LinkageMessageList,
    LinkageMessagePublic,
    MarkedSent,
    ReplayPublic,
    TransferPublic,
)
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, Unauthorized
from dispatch_center.intake import cap as cap_service
from dispatch_center.intake import police110 as linkage
from dispatch_center.intake import wechat_callback, wechat_reply
from dispatch_center.intake.channels import letter_payload
from dispatch_center.intake.dead_letters import list_dead_letters, replay_dead_letter
from dispatch_center.intake.errors import RateLimited, bad_payload
from dispatch_center.intake.ingest import Ingest
from dispatch_center.intake.runtime import IntakeRuntime, feeds_view, live_layers
from dispatch_center.models import Clean, ServiceTime
from dispatch_center.orders import service as orders
from feeds.base import PayloadError
from feeds.channels import wechat
from feeds.payload import parse_time

router = PublicRouter(prefix="/api/v1/feeds", tags=["feeds"])
intake = PublicRouter(prefix="/api/v1/intake", tags=["intake"])

# An intake route authenticates the source itself (X-Api-Key, a signature or an admin's
# bearer token), so its errors are the source's, not a signed-in user's.
INTAKE_ERRORS = errors(401, 403, 404, 413, 422, 429, 503)

STAFF = frozenset({Role.duty_officer, Role.dispatcher})
# Who a registered letter's receivedAt is checked as (DISPATCH_BACKDATE_SOURCES).
LETTER_SOURCE = Principal("feed:letter", Role.dispatcher)

# Who may post for a source with their own sign-in instead of the source's key: an admin,
# and for the channels staff feed by hand (the seat's call form) the seats too. The gate
# resolves the token in the one place (a wall screen's token is refused there).
SourceOrAdmin = Annotated[Principal | None, Depends(source_or_staff(Role.admin))]
SourceOrSeat = Annotated[Principal | None, Depends(source_or_staff(Role.admin, *STAFF))]


def _ingest(center: Center) -> Ingest:
    """The running intake of this process (503 when it is not running here)."""
    return center.runtimes.get(IntakeRuntime).ingest


async def _answer(
    call: Callable[[], Awaitable[Any]], model: type[Public], status: int = 202
) -> Response:
    """Run an intake call and answer its view as ``model``; 429 carries ``Retry-After``."""
    try:
        got = await call()
    except RateLimited as exc:
        return JSONResponse(
            status_code=429,
            content=error_body(exc.code, exc.message, exc.fields, **exc.extra),
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(got, Response):
        return got
    return model_response(model.model_validate(got), status)


async def _source(
    request: Request,
    center: Center,
    system: str,
    who: Principal | None,
    staff: frozenset[Role] = frozenset(),
) -> tuple[Ingest, bytes]:
    ingest = _ingest(center)
    body = await request.body()
    how = ingest.authenticate(system, request.headers, body, who, staff)
    if how == "signature":
        # The signature covers the timestamp and the body: the same one again is a replay.
        signature = request.headers.get("x-signature", "").strip().lower()
        if await replays.first_time(center, f"hmac:{system}", signature, body) != "new":
            raise Unauthorized(
                "this signature was used before: sign each request with its own X-Timestamp"
            )
    ingest.check_limits(system, len(body))
    return ingest, body


# -- catalogue, health, push intake ---------------------------------------------------------


@router.get("", responses=errors(*SIGNED_IN))
async def list_feeds(center: CenterDep, who: AnyUser) -> FeedList:
    """Every connected system with its descriptor and health (up / degraded / down)."""
    return FeedList.model_validate(await feeds_view(center))


@router.get("/layers", responses=errors(*SIGNED_IN))
async def layers(center: CenterDep, who: AnyUser) -> LayersPublic:
    """The live layers: newest gauge, rain, crowd, camera values and warnings."""
    return LayersPublic.model_validate({"layers": live_layers(center)})


@router.get("/dead-letters", responses=errors(*SIGNED_IN, 422))
async def dead_letters(
    center: CenterDep,
    who: Admin,
    system: Annotated[str | None, Query(max_length=40)] = None,
    include_replayed: bool = False,
    before_id: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLetterList:
    """Payloads that could not be understood, newest first."""
    return DeadLetterList.model_validate(
        await list_dead_letters(
            center,
            system=system,
            include_replayed=include_replayed,
            before_id=before_id,
            limit=limit,
        )
    )


@router.post(
    "/dead-letters/{dead_id}/replay",
    status_code=202,
    response_model=ReplayPublic,
    responses=errors(*SIGNED_IN, 404, 409, 422, 429),
)
async def replay(
    center: CenterDep,
    who: Admin,
    dead_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
    request: Request,
) -> Response:
    """Replay a dead letter; a request body, when given, is the corrected payload."""
    fixed = await request.body()
    ingest = _ingest(center)
    return await _answer(lambda: replay_dead_letter(ingest, dead_id, fixed or None), ReplayPublic)


@router.post(
    "/cap",
    status_code=202,
    response_model=CapReceipt,
    responses={
        200: {"model": CapReceipt, "description": "Seen before: the same id"},
        **INTAKE_ERRORS,
    },
)
async def post_cap(center: CenterDep, request: Request, who: SourceOrAdmin) -> Response:
    """A CAP 1.2 message (XML body): 202 with the alert's ``id``; a repeat: 200, same ``id``."""

    async def run() -> Response:
        ingest, body = await _source(request, center, cap_service.SYSTEM, who)
        got, new = await cap_service.post_cap(ingest, body, request.headers.get("content-type", ""))
        return model_response(CapReceipt.model_validate(got), 202 if new else 200)

    return await _answer(run, CapReceipt)


@router.get("/cap/active", responses=errors(*SIGNED_IN))
async def cap_active(center: CenterDep, who: AnyUser) -> CapAlertList:
    """CAP warnings in force (current version of each chain, not cancelled or expired)."""
    return CapAlertList.model_validate(await cap_service.active_alerts(center))


@router.get("/cap/{sender}/{identifier}", responses=errors(*SIGNED_IN, 404, 422))
async def cap_alert(
    center: CenterDep, who: AnyUser, sender: str, identifier: str
) -> CapChainPublic:
    """One CAP message with its whole chain (Alert, Updates, Cancel)."""
    return CapChainPublic.model_validate(await cap_service.alert_chain(center, sender, identifier))


# -- 12345 ↔ 110 ------------------------------------------------------------------------------


class TransferBody(Clean):
    """An order handed to the police desk."""

    order_id: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=500)


class StatusBody(Clean):
    """Status of a case 110 transferred to us."""

    order_id: str = Field(max_length=32)
    status: str = Field(pattern="^(已受理|处理中|已办结|已退回)$")
    note: str = Field(default="", max_length=1000)


class CallBody(Clean):
    """A three-way call (citizen, 12345 seat, 110 operator)."""

    call_id: str = Field(min_length=1, max_length=64)
    start: ServiceTime
    end: ServiceTime
    ref_no: str = Field(min_length=1, max_length=64)
    recording_url: str | None = Field(default=None, max_length=500)
    order_id: str | None = Field(default=None, max_length=32)


class SentBody(Clean):
    """Outgoing messages the connector handed to the 110 platform."""

    ids: list[str] = Field(max_length=1000)


@router.post(
    "/police110/messages",
    status_code=202,
    response_model=AcceptedPublic,
    responses=INTAKE_ERRORS,
)
async def police110_in(center: CenterDep, request: Request, who: SourceOrAdmin) -> Response:
    """A message from 110 (TRANSFER, ACK, STATUS, CALL), authenticated as the police110 source."""

    async def run() -> dict[str, Any]:
        ingest, body = await _source(request, center, "police110", who)
        return await ingest.accept("police110", body, request.headers.get("content-type", ""))

    return await _answer(run, AcceptedPublic)


@router.post("/police110/transfers", status_code=201, responses=errors(*SIGNED_IN, 404, 409, 422))
async def police110_transfer(center: CenterDep, who: Intake, body: TransferBody) -> TransferPublic:
    """Transfer an order to 110 (lifecycle ``transfer_to_110`` + an outgoing TRANSFER)."""
    return TransferPublic.model_validate(
        await linkage.transfer_to_110(center, who, body.order_id, body.reason)
    )


@router.post("/police110/status", status_code=201, responses=errors(*SIGNED_IN, 404, 422))
async def police110_status(
    center: CenterDep, who: Intake, body: StatusBody
) -> LinkageMessagePublic:
    """Tell 110 how a case it transferred to us stands."""
    return LinkageMessagePublic.model_validate(
        await linkage.send_status(center, who, body.order_id, body.status, body.note)
    )


@router.post("/police110/calls", status_code=201, responses=errors(*SIGNED_IN, 404, 422))
async def police110_call(center: CenterDep, who: Intake, body: CallBody) -> LinkageMessagePublic:
    """Record a three-way call and send its record to 110."""
    if body.start.tzinfo is None or body.end.tzinfo is None:
        raise Invalid("times need a UTC offset", fields={"start": "must carry an offset"})
    return LinkageMessagePublic.model_validate(
        await linkage.record_call(
            center,
            who,
            call_id=body.call_id,
            start=body.start,
            end=body.end,
            ref_no=body.ref_no,
            recording_url=body.recording_url,
            order_id=body.order_id,
        )
    )


@router.get("/police110/messages", responses=errors(*SIGNED_IN, 404, 422))
async def police110_messages(
    center: CenterDep,
    who: AnyUser,
    direction: Annotated[str | None, Query(pattern="^(in|out)$")] = None,
    order_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> LinkageMessageList:
    """Linkage messages both ways, newest first; the caller's name and number only for the
    seats that run the linkage (duty officers, dispatchers), masked for everyone else.
    """
    return LinkageMessageList.model_validate(
        await linkage.messages(
            center, reader=who, direction=direction, order_id=order_id, limit=limit
        )
    )


@router.get("/police110/outbox", response_model=LinkageMessageList, responses=INTAKE_ERRORS)
async def police110_outbox(center: CenterDep, request: Request, who: SourceOrAdmin) -> Response:
    """Outgoing messages not yet handed over (for the 110 platform's connector)."""

    async def run() -> dict[str, Any]:
        await _source(request, center, "police110", who)
        return await linkage.messages(center, reader=None, direction="out", pending=True)

    return await _answer(run, LinkageMessageList, 200)


@router.post("/police110/outbox/sent", response_model=MarkedSent, responses=INTAKE_ERRORS)
async def police110_sent(center: CenterDep, request: Request, who: SourceOrAdmin) -> Response:
    """Mark outgoing messages handed over."""

    async def run() -> dict[str, Any]:
        _, raw = await _source(request, center, "police110", who)
        try:
            body = SentBody.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            # The body is read raw (the source signs it), so FastAPI never validated it:
            # its errors go through the same 422 as any other body's.
            raise RequestValidationError(exc.errors(include_url=False)) from exc
        return await linkage.mark_sent(center, body.ids)

    return await _answer(run, MarkedSent, 200)


@router.post(
    "/{system}/events", status_code=202, response_model=AcceptedPublic, responses=INTAKE_ERRORS
)
async def push_events(
    center: CenterDep, system: str, request: Request, who: SourceOrAdmin
) -> Response:
    """A connected system's payload (its own format): 202 once durable, 422 naming the field."""

    async def run() -> dict[str, Any]:
        ingest, body = await _source(request, center, system, who)
        if system not in ingest.catalogue:
            raise Invalid(
                f"{system} is an intake channel: use /api/v1/intake", fields={"system": system}
            )
        return await ingest.accept(system, body, request.headers.get("content-type", ""))

    return await _answer(run, AcceptedPublic)


# -- intake channels --------------------------------------------------------------------------


def _channel(name: str, staff: frozenset[Role] = frozenset()) -> Callable[..., Awaitable[Response]]:
    async def accept(center: Center, request: Request, who: Principal | None) -> Response:
        async def run() -> dict[str, Any]:
            ingest, body = await _source(request, center, name, who, staff)
            return await ingest.accept(name, body, request.headers.get("content-type", ""))

        return await _answer(run, AcceptedPublic)

    # The gate is part of the signature FastAPI reads, so each kind has its own handler.
    async def staffed(center: CenterDep, request: Request, who: SourceOrSeat) -> Response:
        return await accept(center, request, who)

    async def unstaffed(center: CenterDep, request: Request, who: SourceOrAdmin) -> Response:
        return await accept(center, request, who)

    handler = staffed if staff else unstaffed
    handler.__name__ = f"intake_{name}"
    return handler


intake.add_api_route(
    "/voice/events",
    _channel("voice"),
    methods=["POST"],
    status_code=202,
    response_model=AcceptedPublic,
    responses=INTAKE_ERRORS,
    summary="Call-centre (CTI) event: RING, ANSWER, HANGUP",
)
intake.add_api_route(
    "/voice/form",
    _channel("voice_form", STAFF),
    methods=["POST"],
    status_code=202,
    response_model=AcceptedPublic,
    responses=INTAKE_ERRORS,
    summary="The seat's form for a call (becomes a phone order)",
)
intake.add_api_route(
    "/email",
    _channel("email"),
    methods=["POST"],
    status_code=202,
    response_model=AcceptedPublic,
    responses=INTAKE_ERRORS,
    summary="Inbound e-mail webhook: the raw RFC 5322 message as the body",
)
intake.add_api_route(
    "/sms",
    _channel("sms"),
    methods=["POST"],
    status_code=202,
    response_model=AcceptedPublic,
    responses=INTAKE_ERRORS,
    summary="SMS gateway uplink webhook (one call per part; long messages reassembled)",
)


PLAIN = {"content": {"text/plain": {"schema": {"type": "string"}}}}


@intake.get(
    "/wechat",
    response_class=PlainTextResponse,
    responses={200: {**PLAIN, "description": "echostr"}, **json_errors(401, 422)},
)
async def wechat_verify(
    center: CenterDep,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
) -> str:
    """The platform's server verification: echo ``echostr`` when the signature is right."""
    if not wechat.verify(wechat_callback.token(center), timestamp, nonce, signature):
        raise Unauthorized("WeChat signature does not match")
    return echostr


@intake.post(
    "/wechat",
    response_class=PlainTextResponse,
    response_model=None,
    responses={
        200: {**PLAIN, "description": "success"},
        **json_errors(401, 403, 404, 413, 422, 429, 503),
    },
)
async def wechat_message(
    center: CenterDep,
    request: Request,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    encrypt_type: str = "",
    msg_signature: str = "",
) -> Response:
    """A message callback (text, location, image); answers ``success`` as the platform wants.

    Safe mode (``encrypt_type=aes``, ``msg_signature`` over the encrypted message) is the
    one accepted unless ``DISPATCH_WECHAT_PLAIN_MODE`` is on; a nonce is taken once.
    """

    async def run() -> Response:
        ingest = _ingest(center)
        body = await request.body()
        ingest.check_limits("wechat", len(body))
        message = await wechat_callback.open_callback(
            center,
            body,
            signature=signature,
            timestamp=timestamp,
            nonce=nonce,
            encrypt_type=encrypt_type,
            msg_signature=msg_signature,
        )
        await ingest.accept("wechat", message, "application/xml")
        # A text is answered with its order number, or "查询 LS…" with the status (issue 21).
        reply = await wechat_reply.passive_reply(center, message, nonce, encrypt_type == "aes")
        if reply is not None:
            return Response(reply, media_type="application/xml")
        return PlainTextResponse("success")

    return await _answer(run, AcceptedPublic)


@intake.post(
    "/letters",
    status_code=202,
    response_model=AcceptedPublic,
    responses=errors(*SIGNED_IN, 413, 422, 429),
)
async def letters(
    center: CenterDep,
    who: Intake,
    registration_no: Annotated[str, Form(alias="registrationNo", min_length=1, max_length=64)],
    summary: Annotated[str, Form(min_length=1, max_length=5000)],
    received_at: Annotated[str, Form(alias="receivedAt", min_length=8, max_length=40)],
    scan: Annotated[UploadFile, File()],
    sender_name: Annotated[str | None, Form(alias="senderName", max_length=100)] = None,
    sender_phone: Annotated[str | None, Form(alias="senderPhone", max_length=40)] = None,
    sender_address: Annotated[str | None, Form(alias="senderAddress", max_length=500)] = None,
    postmark_date: Annotated[str | None, Form(alias="postmarkDate", max_length=20)] = None,
    type_: Annotated[str | None, Form(alias="type", max_length=20)] = None,
    code: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """A letter registered by staff, with its scan (multipart)."""
    content = await scan.read()
    ingest = _ingest(center)
    try:
        at = parse_time(received_at, "receivedAt")
    except PayloadError as exc:
        raise bad_payload("letter", exc) from exc
    # A letter is registered after it arrived: dated as the letter source may date it.
    orders.check_received_at(center, LETTER_SOURCE, at, "receivedAt")

    async def run() -> dict[str, Any]:
        form = {
            "registrationNo": registration_no,
            "summary": summary,
            "receivedAt": received_at,
            "senderName": sender_name,
            "senderPhone": sender_phone,
            "senderAddress": sender_address,
            "postmarkDate": postmark_date,
            "type": type_,
            "code": code,
            "registeredBy": who.username,
        }
        try:
            payload = letter_payload(
                form,
                content,
                scan.filename or "scan",
                scan.content_type or "application/octet-stream",
            )
        except PayloadError as exc:
            raise bad_payload("letter", exc) from exc
        ingest.check_limits("letter", len(payload))
        return await ingest.accept("letter", payload, "application/json")

    return await _answer(run, AcceptedPublic)
