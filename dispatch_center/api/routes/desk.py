"""The call-taker's desk: similar open orders, category suggestions, the screen pop and
calls passed to another city's hotline.

Registered before :mod:`.orders`, so ``/api/v1/orders/similar`` is not read as an order id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field

from dispatch_center.api.deps import CenterDep, Intake
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.desk import (
    CategorySuggestionList,
    CityTransferPublic,
    NeighbourPublic,
    ScreenPopPublic,
    SimilarOrderList,
)
from dispatch_center.desk import screenpop, transfers
from dispatch_center.desk import similar as similar_service
from dispatch_center.desk import suggest as suggest_service
from dispatch_center.errors import Invalid
from dispatch_center.models import Strict

SEAT = r"^[A-Za-z0-9_.\-]{1,32}$"

router = PublicRouter(prefix="/api/v1", tags=["desk"])


class CityTransferCreate(Strict):
    """A call passed to a neighbouring city's 12345."""

    city: str = Field(pattern=r"^\d{6}$", examples=["511400"])
    call_id: str | None = Field(default=None, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    note: str = Field(default="", max_length=500)


@router.get("/orders/similar", responses=errors(*SIGNED_IN, 422))
async def similar_orders(
    center: CenterDep,
    who: Intake,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    category: Annotated[str | None, Query(max_length=64)] = None,
    text: Annotated[str | None, Query(max_length=2000)] = None,
) -> SimilarOrderList:
    """Open orders within ``DISPATCH_DESK_SIMILAR_RADIUS_M`` (250 m) of the WGS-84 point,
    received in the last ``DISPATCH_DESK_SIMILAR_DAYS`` (30), with the same ``category``
    or words in common with ``text``; best first, with the calls already attached to each.
    """
    if not (category or "").strip() and not (text or "").strip():
        raise Invalid(
            "give a category or a text to compare",
            fields={"category": "required without text", "text": "required without category"},
        )
    items = await similar_service.similar_orders(center, lon, lat, category, text)
    return SimilarOrderList.model_validate({"items": items})


@router.get("/orders/suggest-category", responses=errors(*SIGNED_IN, 422))
async def suggest_category(
    center: CenterDep,
    who: Intake,
    text: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=10)] = 3,
) -> CategorySuggestionList:
    """The likeliest taxonomy categories for a description as typed, best first (a naive
    Bayes model trained on the taxonomy, seed phrases and the latest orders); empty when
    none of its words is known.
    """
    items = await suggest_service.suggest_categories(center, text, k)
    return CategorySuggestionList.model_validate({"items": items})


@router.get("/desk/screen-pop", responses=errors(*SIGNED_IN, 422))
async def screen_pop(
    center: CenterDep,
    who: Intake,
    seat: Annotated[str, Query(pattern=SEAT)],
    known: Annotated[str, Query(max_length=100)] = "",
    wait: Annotated[float, Query(ge=0, le=25)] = 0,
) -> ScreenPopPublic:
    """The call the CTI put through to ``seat`` (its ``agentId``) and who is calling: the
    number (masked for roles that do not see numbers), their earlier and open orders, and
    whether they called before this month. A long poll: with ``wait`` seconds, answers as
    soon as the call differs from ``known`` (the ``key`` of the last answer).
    """
    view = await screenpop.wait_for_change(center, who, seat, known, wait)
    return ScreenPopPublic.model_validate(view)


@router.get("/desk/neighbour", responses=errors(*SIGNED_IN, 422))
async def neighbour(
    center: CenterDep,
    who: Intake,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> NeighbourPublic:
    """Whether a WGS-84 point is inside Leshan, else the neighbouring city and its 12345."""
    return NeighbourPublic.model_validate(transfers.neighbour_of(center, lon, lat))


@router.post("/desk/city-transfers", status_code=201, responses=errors(*SIGNED_IN, 422))
async def city_transfer(
    center: CenterDep, who: Intake, body: CityTransferCreate
) -> CityTransferPublic:
    """Record a call passed to a neighbouring city's 12345 (转外市热线); 422 when the point
    lies inside Leshan.
    """
    view = await transfers.transfer_to_city(
        center,
        who,
        city=body.city,
        call_id=body.call_id,
        lon=body.lon,
        lat=body.lat,
        note=body.note,
    )
    return CityTransferPublic.model_validate(view)
