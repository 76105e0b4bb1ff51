"""JSON responses: orjson for plain content, and routers whose response models answer
exactly the keys the service's view has.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel


class FastJSONResponse(JSONResponse):
    """A JSONResponse that renders with orjson; non-ASCII (Chinese) stays as UTF-8."""

    def render(self, content: Any) -> bytes:
        """Encode ``content``; datetimes become ISO 8601 with their offset."""
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class PublicRouter(APIRouter):
    """An APIRouter whose routes serialise their response model with ``exclude_unset``.

    Handlers validate a service's view (a dict) into its ``...Public`` model; a key the
    view leaves out (an outside point's ``nearest``, a no-op switch's ``orders``) must not
    come back as ``null``, so every route leaves unset fields out, whatever its decorator
    says.

    Examples
    --------
    >>> from dispatch_center.api.schemas.common import Public
    >>> class Item(Public):
    ...     a: int
    ...     b: int | None = None
    >>> r = PublicRouter()
    >>> @r.get("/item")
    ... async def item() -> Item:
    ...     return Item.model_validate({"a": 1})
    >>> r.routes[0].response_model_exclude_unset
    True
    """

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        """Register a route, always with ``response_model_exclude_unset=True``."""
        kwargs["response_model_exclude_unset"] = True
        super().add_api_route(path, endpoint, **kwargs)


def model_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``model`` as JSON with only the keys its view had, as a :class:`PublicRouter` route
    answers: for handlers that choose the status or answer other media types too.

    Examples
    --------
    >>> from dispatch_center.api.schemas.common import Public
    >>> class Item(Public):
    ...     a: int
    ...     b: int | None = None
    >>> model_response(Item.model_validate({"a": 1}), 202).body
    b'{"a":1}'
    """
    return Response(
        model.model_dump_json(by_alias=True, exclude_unset=True),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
