"""Work orders: create, read, list and act (接转办督回评)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from dispatch_center.api.deps import AnyUser, CenterDep, Intake
from dispatch_center.api.responses import FastJSONResponse
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.store.orders import OrderFilter

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post("", status_code=201, response_model=None)
async def create_order(center: CenterDep, who: Intake, data: OrderCreate) -> FastJSONResponse:
    """Create a work order; the same source + source_id returns the existing one (200)."""
    view, created = await orders.create_order(center, who, data)
    # Views are JSON-native already: skip the generic encoder on the hot path.
    return FastJSONResponse(view, status_code=201 if created else 200)


@router.get("")
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
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Orders, newest first; page with ``before_id`` = the last id seen.

    ``queue=manual`` is the city center's manual-dispatch queue: orders that routed to
    no unit (the reason is in ``routing.reason``), still waiting (status ``received``
    unless ``status`` says otherwise)."""
    if queue == "manual" and not status:
        status = ["received"]
    f = OrderFilter(
        statuses=status or (),
        queue=queue,
        urgency=urgency,
        unit=unit,
        county=county,
        category=category,
        after_id=before_id,
        limit=limit,
    )
    items = await orders.list_orders(center, who, f, overdue)
    return {"orders": items, "next_before_id": items[-1]["id"] if len(items) == limit else None}


@router.get("/{order_id}")
async def get_order(center: CenterDep, who: AnyUser, order_id: str) -> dict[str, Any]:
    """One order with its append-only timeline."""
    return await orders.get_order(center, who, order_id)


@router.post("/{order_id}/actions/{action}")
async def act(
    center: CenterDep,
    who: AnyUser,
    order_id: str,
    action: str,
    body: Annotated[OrderAction | None, Body()] = None,
) -> dict[str, Any]:
    """Take a lifecycle action; 409 names the current state and the allowed actions."""
    return await orders.act(center, who, order_id, action, body or OrderAction())
