"""Work orders: create, read, list and act (接转办督回评)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Response

from dispatch_center.api.deps import AnyUser, CenterDep, Intake
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import BIGINT_MAX, SIGNED_IN, errors
from dispatch_center.api.schemas.orders import OrderList, OrderPublic
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.store.orders import OrderFilter

router = PublicRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post(
    "",
    status_code=201,
    responses={
        200: {"model": OrderPublic, "description": "The order already made from this source"},
        **errors(*SIGNED_IN, 413, 422),
    },
)
async def create_order(
    center: CenterDep, who: Intake, data: OrderCreate, response: Response
) -> OrderPublic:
    """Create a work order; the same source + source_id returns the existing one (200).

    ``received_at`` may lie a few minutes ahead of the server clock at most, and back
    further than ``DISPATCH_RECEIVED_AT_LATE_S`` only for the roles allowed to backdate.
    """
    orders.check_received_at(center, who, data.received_at)
    view, created = await orders.create_order(center, who, data)
    if not created:
        response.status_code = 200
    return OrderPublic.model_validate(view)


@router.get("", responses=errors(*SIGNED_IN, 422))
async def list_orders(
    center: CenterDep,
    who: AnyUser,
    status: Annotated[list[str] | None, Query(max_length=12)] = None,
    urgency: Annotated[str | None, Query(pattern="^(consultation|urgent|general)$")] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    queue: Annotated[str | None, Query(pattern="^(dispatch|manual|transfer)$")] = None,
    overdue: bool = False,
    number: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> OrderList:
    """Orders, newest first; page with ``before_id`` = the last id seen.

    ``queue=manual`` is the city center's manual-dispatch queue: orders that routed to
    no unit (the reason is in ``routing.reason``), still waiting (status ``received``
    unless ``status`` says otherwise). ``number`` finds an order by the number people
    read (LS2026…): a list of one, or empty when there is none the reader may see.
    """
    if queue == "manual" and not status:
        status = ["received"]
    f = OrderFilter(
        statuses=status or (),
        queue=queue,
        urgency=urgency,
        unit=unit,
        county=county,
        category=category,
        number=number.strip() if number else None,
        after_id=before_id,
        limit=limit,
    )
    items = await orders.list_orders(center, who, f, overdue)
    return OrderList.model_validate(
        {"orders": items, "next_before_id": items[-1]["id"] if len(items) == limit else None}
    )


@router.get("/{order_id}", responses=errors(*SIGNED_IN, 404, 422))
async def get_order(center: CenterDep, who: AnyUser, order_id: str) -> OrderPublic:
    """One order with its append-only timeline."""
    return OrderPublic.model_validate(await orders.get_order(center, who, order_id))


@router.post("/{order_id}/actions/{action}", responses=errors(*SIGNED_IN, 404, 409, 422))
async def act(
    center: CenterDep,
    who: AnyUser,
    order_id: str,
    action: str,
    body: Annotated[OrderAction | None, Body()] = None,
) -> OrderPublic:
    """Take a lifecycle action; 409 names the current state and the allowed actions."""
    return OrderPublic.model_validate(
        await orders.act(center, who, order_id, action, body or OrderAction())
    )
