"""The call-taker's desk: similar open orders, category suggestions, the screen pop and
calls passed to another city's hotline.

Registered before :mod:`.orders`, so ``/api/v1/orders/similar`` is not read as an order id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dispatch_center.api.deps import CenterDep, Intake
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.desk import CategorySuggestionList, SimilarOrderList
from dispatch_center.desk import similar as similar_service
from dispatch_center.desk import suggest as suggest_service
from dispatch_center.errors import Invalid

router = PublicRouter(prefix="/api/v1", tags=["desk"])


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
