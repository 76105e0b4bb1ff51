"""Open311 GeoReport v2 under ``/open311/v2/``: every method in ``.json`` and ``.xml``.

Real clients work unchanged: form-encoded (or multipart) POSTs, ``jurisdiction_id`` accepted
and ignored (one jurisdiction), errors as the spec's ``errors`` document with its HTTP status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dispatch_center.api.deps import CenterDep
from dispatch_center.intake import open311 as service
from dispatch_center.intake.errors import RateLimited
from dispatch_center.intake.runtime import IntakeRuntime
from feeds import open311 as spec

router = APIRouter(prefix="/open311/v2", tags=["open311"])

_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

_ANY: dict[str, Any] = {"application/json": {"schema": {}}, "text/xml": {"schema": {}}}


def _documented(success: int, *failures: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an Open311 route: the spec's documents in JSON or XML, errors
    as its ``errors`` list with their HTTP status (declared so the document says what a
    client meets: the fuzz of it in tests/fuzz checks every status against it).
    """
    out: dict[int | str, dict[str, Any]] = {success: {"description": "Open311", "content": _ANY}}
    for status in failures:
        out[status] = {"description": "Open311 errors document", "content": _ANY}
    return out


def _split(name: str) -> tuple[str, str]:
    """``"urban.sanitation.json"`` → ``("urban.sanitation", "json")``."""
    stem, _, fmt = name.rpartition(".")
    if not stem or fmt not in _TYPES:
        raise spec.Open311Error([(400, f"unknown format in {name!r}: use .json or .xml")])
    return stem, fmt


def _render(fmt: str, root: str, document: Any, status: int = 200) -> Response:
    body = spec.to_json(document) if fmt == "json" else spec.to_xml(root, document)
    return Response(body, status_code=status, media_type=_TYPES[fmt])


async def _run(
    name: str, root: str, call: Callable[[str], Awaitable[Any]], status: int = 200
) -> Response:
    fmt = "xml" if name.endswith(".xml") else "json"
    try:
        stem, fmt = _split(name)
        return _render(fmt, root, await call(stem), status)
    except spec.Open311Error as exc:
        return _render(fmt, "errors", exc.as_list(), exc.status)
    except RateLimited as exc:
        resp = _render(fmt, "errors", [{"code": 429, "description": exc.message}], 429)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp


@router.get("/{name}", response_model=None, responses=_documented(200, 400, 404, 429))
async def top(center: CenterDep, request: Request, name: str) -> Response:
    """``discovery``, ``services`` and ``requests`` (GET)."""

    async def call(stem: str) -> Any:
        if stem == "discovery":
            return service.discovery(center, str(request.base_url).rstrip("/") + router.prefix)
        if stem == "services":
            return spec.service_list(service.services(center))
        if stem == "requests":
            return await service.get_requests(center, dict(request.query_params))
        raise spec.Open311Error([(404, f"no such resource: {stem}")])

    root = {"discovery": "discovery", "services": "services"}.get(
        name.rpartition(".")[0], "service_requests"
    )
    return await _run(name, root, call)


@router.post("/{name}", response_model=None, responses=_documented(201, 400, 403, 404, 429))
async def post_request(center: CenterDep, request: Request, name: str) -> Response:
    """``POST requests``: a new service request (form fields, ``api_key`` required)."""

    async def call(stem: str) -> Any:
        if stem != "requests":
            raise spec.Open311Error([(404, f"no such resource: {stem}")])
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            try:
                data = await request.json()
            except ValueError:  # not JSON, or not UTF-8: the client's, so a 400 and no crash
                raise spec.Open311Error([(400, "the body is not valid JSON")]) from None
            if not isinstance(data, dict):
                raise spec.Open311Error([(400, "the body must be form fields")])
            pairs = [(str(k), str(v)) for k, v in data.items() if v is not None]
        else:
            form = await request.form()
            pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        # A client may put api_key in the query string, as many do.
        pairs += [(k, v) for k, v in request.query_params.multi_items() if k == "api_key"]
        ingest = center.runtimes.get(IntakeRuntime).ingest
        return await service.post_request(center, ingest, pairs)

    return await _run(name, "service_requests", call, 201)


@router.get("/services/{name}", response_model=None, responses=_documented(200, 400, 404))
async def service_definition(center: CenterDep, name: str) -> Response:
    """``services/{service_code}``: the service definition with its attributes."""

    async def call(stem: str) -> Any:
        return spec.service_definition(service.service(center, stem))

    return await _run(name, "service_definition", call)


@router.get("/requests/{name}", response_model=None, responses=_documented(200, 400, 404))
async def one_request(center: CenterDep, name: str) -> Response:
    """``requests/{service_request_id}``."""

    async def call(stem: str) -> Any:
        return await service.get_request(center, stem)

    return await _run(name, "service_requests", call)


@router.get("/tokens/{name}", response_model=None, responses=_documented(200, 400, 404))
async def token(center: CenterDep, name: str) -> Response:
    """``tokens/{token}``: the request id a token stands for."""

    async def call(stem: str) -> Any:
        return await service.get_token(center, stem)

    return await _run(name, "service_requests", call)
