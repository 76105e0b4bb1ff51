"""The base of every response model, the error envelope and shared small types."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[
    str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-11-27T09:30:00+08:00"])
]
"""ISO 8601 with its offset, as the services format it (kept as text, never re-formatted)."""

Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-10-01"])]
"""A calendar day, ``YYYY-MM-DD``."""

Number = int | float

BIGINT_MAX = 2**63 - 1
"""The largest row id PostgreSQL's ``bigint`` holds: an integer id from a client is bounded
by it, so a larger one is a 422 and never reaches the database (where it was a 500)."""
"""A JSON number that may be whole: an ``int`` stays ``5``, never becomes ``5.0``."""

Json = dict[str, Any]
"""An open JSON object (a feed event's values, a stored document)."""


class Public(BaseModel):
    """A response body: the keys the service's view has, in the view's order.

    Unknown keys are kept (``extra="allow"``) so a model never drops what a client reads;
    routes serialise with ``exclude_unset``, so a key the view leaves out stays out.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorDetail(Public):
    """What went wrong: a stable ``code``, a message for people, the fields at fault.

    Some errors add context beside these (a 409 on an order names ``current_status``
    and ``allowed_actions``; a 429 names ``retry_after``).
    """

    code: str = Field(examples=["invalid"])
    message: str = Field(examples=["invalid input: urgency: Field required"])
    fields: dict[str, Any] = Field(examples=[{"urgency": "Field required"}])


class ErrorBody(Public):
    """The one error envelope under ``/api/v1``."""

    error: ErrorDetail


_MEANING = {
    400: "Bad request",
    401: "Not signed in, or the token or signature is wrong",
    403: "Signed in, but this role (or a wall-screen token) may not do this",
    404: "No such resource (or not visible to the caller)",
    409: "Conflict with the current state (someone else changed it first, or it is closed)",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input; ``error.fields`` names each field at fault",
    429: "Too many requests; ``Retry-After`` says when to try again",
    503: "A dependency (database, bus, intake) is not available",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status answered with :class:`ErrorBody`.

    Examples
    --------
    >>> sorted(errors(404, 401))
    [401, 404]
    >>> errors(409)[409]["model"].__name__
    'ErrorBody'
    """
    return {s: {"model": ErrorBody, "description": _MEANING[s]} for s in sorted(statuses)}


SIGNED_IN = (401, 403)
"""What a route behind a bearer token can answer before its handler runs (401: no valid
token, or a revoked one; 403: a role the route does not admit, or a wall screen's token
outside the wall)."""


def json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """:func:`errors` for a route whose success is not JSON (plain text, a document): the
    envelope is named as JSON explicitly, since FastAPI would list a ``model`` under the
    route's own media type.

    Examples
    --------
    >>> errors = json_errors(401)[401]["content"]["application/json"]["schema"]
    >>> errors["$ref"]
    '#/components/schemas/ErrorBody'
    """
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    return {
        s: {"description": _MEANING[s], "content": {"application/json": {"schema": ref}}}
        for s in sorted(statuses)
    }
