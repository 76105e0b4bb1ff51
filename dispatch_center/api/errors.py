"""One JSON error shape everywhere under /api/v1:
``{"error": {"code": ..., "message": ..., "fields": {...}}}``.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch_center.bus.base import BusError
from dispatch_center.center import RETRY_AFTER_S, unavailable
from dispatch_center.errors import ServiceError, TooManyRequests, Unauthorized
from dispatch_center.models import FIELD_CTX

log = logging.getLogger(__name__)


def error_body(
    code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The error envelope.

    Examples
    --------
    >>> error_body("invalid", "bad", {"urgency": "required"})["error"]["fields"]
    {'urgency': 'required'}
    """
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    body.update({k: v for k, v in extra.items() if v is not None})
    return {"error": body}


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "reporter", "phone") -> "reporter.phone"; query/path keep their name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def install_error_handlers(app: FastAPI) -> None:
    """Map validation, service and HTTP errors onto the JSON envelope."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            named = (err.get("ctx") or {}).get(FIELD_CTX)
            name = _field_name((*loc, named) if named else loc)
            if err.get("type") == "json_invalid":
                name = "body"
            fields.setdefault(name, str(err.get("msg", "invalid")))
        first = next(iter(fields), "body")
        return JSONResponse(
            status_code=422,
            content=error_body("invalid", f"invalid input: {first}: {fields.get(first)}", fields),
        )

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(
            status_code=exc.status,
            content=error_body(exc.code, exc.message, exc.fields, **exc.extra),
            headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(code, str(exc.detail)),
            headers=getattr(exc, "headers", None),
        )

    async def _dependency(request: Request, exc: Exception) -> JSONResponse:
        what = unavailable(exc)
        if what is None:
            return await _unexpected(request, exc)
        # The database or the bus is away: the client may retry, nothing was its fault.
        log.warning("%s unavailable on %s %s: %s", what, request.method, request.url.path, exc)
        return JSONResponse(
            status_code=503,
            content=error_body("unavailable", f"the {what} is unavailable; retry shortly"),
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    for dependency_error in (psycopg.OperationalError, BusError):
        app.add_exception_handler(dependency_error, _dependency)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if unavailable(exc) is not None:  # raised outside a route (a middleware)
            return await _dependency(request, exc)
        # A bug of ours, never the client's input: log it whole, say little.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content=error_body("internal", "internal error"))


UNPARSEABLE_BODY = {
    "description": "Bad request: the body could not be parsed (not JSON, not UTF-8, a broken form)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
OVERSIZED_BODY = {
    "description": "Content too large: the body is over DISPATCH_MAX_BODY_BYTES",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def document_unparseable_bodies(app: FastAPI) -> None:
    """Declare the 400 that every operation with a body answers to bytes it cannot parse,
    and the 413 it answers to a body over the size limit.

    FastAPI (and the body limit) answer them before any handler runs, so no route can list
    them; the fuzz of the document (tests/fuzz) met both as undeclared statuses.

    Examples
    --------
    >>> app = FastAPI()
    >>> @app.post("/echo")
    ... async def echo(body: dict[str, int]) -> dict[str, int]:
    ...     return body
    >>> document_unparseable_bodies(app)
    >>> sorted(app.openapi()["paths"]["/echo"]["post"]["responses"])
    ['200', '400', '413', '422']
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    answers = operation.setdefault("responses", {})
                    answers.setdefault("400", UNPARSEABLE_BODY)
                    answers.setdefault("413", OVERSIZED_BODY)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
