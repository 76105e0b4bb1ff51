"""The citizen's side of the loop (回、评, issue 21): the outbox of texts, the SMS
gateway's callbacks (delivery reports, citizens' replies) and the public status lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CenterDep, PageGate, PageVisit, require
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.citizen import (
    Accepted,
    CallbackDesk,
    DeskReply,
    OutboxList,
    PublicStatus,
)
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.citizen import desk, status
from dispatch_center.citizen import pages as citizen_pages
from dispatch_center.errors import Forbidden, ServiceError, TooManyRequests
from dispatch_center.intake.sms_gateway import accept_gateway_text
from dispatch_center.messaging import outbox
from dispatch_center.messaging.gateways import (
    KANNEL_DLR,
    DeliveryReport,
    callback_signature,
    inbound_key,
)

router = PublicRouter(prefix="/api/v1", tags=["citizen"])
OutboxReader = Annotated[Principal, Depends(require(*outbox.OUTBOX_READERS))]


@router.get("/outbox", responses=errors(*SIGNED_IN, 422))
async def list_outbox(
    center: CenterDep,
    who: OutboxReader,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    order_id: Annotated[str | None, Query(max_length=20)] = None,
) -> OutboxList:
    """Outbound messages (newest first) with their template, state and masked number."""
    rows = await outbox.list_outbox(center, who, channel, order_id)
    return OutboxList.model_validate({"messages": rows})


@router.get("/sms/dlr", responses=errors(403, 422))
async def sms_delivery_report(
    center: CenterDep,
    id: Annotated[int, Query(ge=1, le=2**62)],
    key: Annotated[str, Query(max_length=64)],
    type: Annotated[int, Query(ge=0, le=255)],
) -> Accepted:
    """The SMS gateway's delivery report (Kannel's ``dlr-url``), signed per message."""
    if not hmac.compare_digest(key.encode(), callback_signature(center.secret_key, id).encode()):
        raise Forbidden("not a delivery report of ours")
    state = KANNEL_DLR.get(type)
    if state is not None:
        # Kept for a later pass if the database cannot take it now (Kannel does not retry).
        await outbox.receive_report(center, DeliveryReport(state, id, None, f"dlr:{type}"))
    return Accepted(ok=True)


@router.get("/sms/inbound", responses=errors(403, 422, 429, 503))
async def sms_inbound(
    center: CenterDep,
    key: Annotated[str, Query(max_length=64)],
    sender: Annotated[str, Query(alias="from", min_length=3, max_length=32)],
    text: Annotated[str, Query(max_length=2000)],
    to: Annotated[str, Query(max_length=32)] = "12345",
    id: Annotated[str | None, Query(max_length=64)] = None,
) -> Accepted:
    """A citizen's text from the SMS gateway (Kannel's ``sms-service`` ``get-url``):
    a survey reply becomes the evaluation, anything else an order.
    """
    if not hmac.compare_digest(key.encode(), inbound_key(center.secret_key).encode()):
        raise Forbidden("not our SMS gateway")
    usable = id if id and re.fullmatch(r"[A-Za-z0-9-]{8,64}", id) else None
    msg_id = usable or hashlib.sha256(f"{sender}|{to}|{text}|{center.now()}".encode()).hexdigest()
    await accept_gateway_text(center, sender, to, text, msg_id[:64])
    return Accepted(ok=True)


DeskSeat = Annotated[Principal, Depends(require(*desk.DESK_ROLES))]


@router.get("/callback-desk", responses=errors(*SIGNED_IN))
async def callback_desk(center: CenterDep, who: DeskSeat) -> CallbackDesk:
    """Callbacks due (soonest first, with the number to call) and unmatched replies."""
    return CallbackDesk.model_validate(await desk.desk(center, who))


@router.post("/callback-desk/replies/{reply_id}/done", responses=errors(*SIGNED_IN, 404, 422))
async def reply_done(center: CenterDep, who: DeskSeat, reply_id: str) -> DeskReply:
    """An unmatched reply dealt with."""
    return DeskReply.model_validate(await desk.reply_handled(center, who, reply_id))


@router.get("/public/status", responses=errors(404, 422, 429))
async def public_status(
    center: CenterDep,
    request: Request,
    number: Annotated[str, Query(max_length=40)],
    phone4: Annotated[str, Query(max_length=8)],
) -> PublicStatus:
    """Where a citizen's request stands: its number and the phone's last four digits.
    No token; one 404 for a wrong number and for wrong digits; 429 when throttled.
    """
    address = request.client.host if request.client else None
    return PublicStatus.model_validate(await status.look_up(center, number, phone4, address))


# -- pages ----------------------------------------------------------------------------------

pages = APIRouter(tags=["pages"], include_in_schema=False)


DeskVisit = Annotated[
    PageVisit, Depends(PageGate(Gate(frozenset(desk.DESK_ROLES)), deny=page_denial))
]


@pages.get("/callbacks", response_class=HTMLResponse)
async def desk_page(
    request: Request,
    center: CenterDep,
    visit: DeskVisit,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """The callback desk (回访台): callbacks due, soonest first, the number to call, the
    outcome in two clicks; texts that matched no survey.
    """
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    work = await desk.desk(center, visit.who)
    header = str(await header_for(request, visit.who, "callbacks"))
    language = citizen_pages.language(lang)
    page = citizen_pages.render_desk(visit.who, work, language, center.now(), header)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@pages.get("/status", response_class=HTMLResponse)
async def status_page(
    center: CenterDep,
    request: Request,
    number: Annotated[str | None, Query(max_length=40)] = None,
    phone4: Annotated[str | None, Query(max_length=8)] = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """The citizen's status page (public, mobile-first): the same lookup, rules and
    throttle as ``GET /api/v1/public/status``, answered as a page with no script.
    """
    language = citizen_pages.language(lang)
    headers = {"Cache-Control": "no-store"}
    if not number or not phone4:
        return HTMLResponse(citizen_pages.render_status(language), headers=headers)
    address = request.client.host if request.client else None
    try:
        found = await status.look_up(center, number, phone4, address)
    except ServiceError as exc:
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        page = citizen_pages.render_status(language, number, error=exc.message)
        return HTMLResponse(page, status_code=exc.status, headers=headers)
    page = citizen_pages.render_status(language, number, found=found)
    return HTMLResponse(page, headers=headers)
