"""The citizen's side of the loop (回、评, issue 21): the outbox of texts, the SMS
gateway's callbacks (delivery reports, citizens' replies) and the public status lookup.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Query

from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import CenterDep, require
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.citizen import Accepted, OutboxList
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.errors import Forbidden
from dispatch_center.messaging import outbox
from dispatch_center.messaging.gateways import KANNEL_DLR, DeliveryReport, callback_signature

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
    if not hmac.compare_digest(key, callback_signature(center.secret_key, id)):
        raise Forbidden("not a delivery report of ours")
    state = KANNEL_DLR.get(type)
    if state is not None:
        await outbox.apply_report(center, DeliveryReport(state, id, None, f"dlr:{type}"))
    return Accepted(ok=True)
