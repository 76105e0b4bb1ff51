"""The app registers its routes flat (no lazy ``_IncludedRouter`` nodes resolved per
request), and the result is the API that ``include_router`` would have built."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from dispatch_center.api.flat_routes import include_flat
from dispatch_center.api.responses import FastJSONResponse
from dispatch_center.app import api_routers, create_app
from dispatch_center.settings import Settings
from wallboard import live, pages


def _routers() -> list[APIRouter]:
    return [*api_routers(), live.router, pages.router, pages.api]


def _app(register: Any) -> FastAPI:
    app = FastAPI(title="t", version="1", default_response_class=FastJSONResponse)
    for router in _routers():
        register(app, router)
    return app


def _table(app: FastAPI) -> list[tuple[Any, ...]]:
    """Each route as FastAPI resolves it for a request (an included router's routes with
    the include's effective settings)."""
    rows: list[tuple[Any, ...]] = []
    for ctx in iter_route_contexts(app.routes):
        kind = ctx.original_route
        if isinstance(kind, APIRoute):
            rows.append(
                (
                    ctx.path,
                    sorted(ctx.methods or ()),
                    ctx.name,
                    ctx.endpoint,
                    ctx.status_code,
                    ctx.response_class,
                    ctx.include_in_schema,
                    [d.dependency for d in ctx.dependencies],
                )
            )
        elif isinstance(kind, APIWebSocketRoute):
            rows.append((ctx.path, "websocket", ctx.name, ctx.endpoint))
    return rows


def test_the_center_app_has_no_lazy_router_nodes() -> None:
    app = create_app(Settings(demo=True))
    kinds = {type(r).__name__ for r in app.routes}
    assert kinds <= {"APIRoute", "APIWebSocketRoute", "Mount", "Route"}, kinds
    paths = [getattr(r, "path", None) for r in app.routes]
    # The hot intake routes are in the table itself, so Starlette finds them in one pass.
    assert "/api/v1/orders" in paths
    assert "/api/v1/feeds/{system}/events" in paths
    assert "/ws/wallboard" in paths


def test_flat_registration_builds_the_same_api_as_include_router() -> None:
    lazy = _app(lambda app, router: app.include_router(router))
    flat = _app(include_flat)
    # Same OpenAPI document: paths, methods, parameters, bodies, responses, operation ids.
    assert flat.openapi() == lazy.openapi()
    # include_router's routes as resolved per request match the flat ones one for one,
    # in order, with the same effective settings.
    lazy_rows = _table(lazy)
    assert _table(flat) == lazy_rows
    assert len(lazy_rows) > 100


def test_flat_routes_answer_like_included_ones() -> None:
    lazy = TestClient(_app(lambda app, router: app.include_router(router)))
    flat = TestClient(_app(include_flat))
    # No lifespan runs (no center): these answers come from routing alone.
    for method, path in [
        ("GET", "/healthz"),
        ("DELETE", "/api/v1/orders"),  # 405 with Allow
        ("PUT", "/api/v1/feeds/hydrology/events"),  # 405, a path parameter
        ("GET", "/api/v1/nowhere"),  # 404
        ("GET", "/healthz/"),  # redirect_slashes
    ]:
        a, b = lazy.request(method, path), flat.request(method, path)
        assert (b.status_code, b.headers.get("allow")) == (a.status_code, a.headers.get("allow"))


def test_include_flat_refuses_what_it_cannot_register() -> None:
    router = APIRouter()
    router.routes.append(Mount("/static", app=FastAPI()))
    with pytest.raises(TypeError, match="Mount"):
        include_flat(FastAPI(), router)
