"""Route registration that keeps the app's route table flat.

Since FastAPI 0.137, ``include_router`` keeps each included router as one lazy node
(``_IncludedRouter``) in the app's routes and resolves it on every request: each node
re-derives its routes' version, then matches its routes, twice (once to find the route,
once to handle it). With the center's 113 routes in 18 routers a request for a route
near the end of the table cost about 0.8 ms of CPU before its handler ran (measured on
the 2-core benchmark machine: ``GET /healthz`` 0.23 ms, a 404 1.06 ms). The feed intake
and the order intake take hundreds of calls a second, so that was a tenth of a worker.

:func:`include_flat` registers a router's routes on the app itself, as ``include_router``
did before 0.137: the same paths, in the same order, with the same settings, each
matched once per request by Starlette's plain loop.
"""

from __future__ import annotations

import inspect

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter, APIWebSocketRoute

# What add_api_route accepts, read from the installed FastAPI, so a setting a newer
# release adds to routes is carried over without an edit here.
_ROUTE_SETTINGS = tuple(
    name
    for name in inspect.signature(APIRouter.add_api_route).parameters
    if name not in {"self", "path", "endpoint", "route_class_override"}
)


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """Register every route of ``router`` directly on ``app``, in order.

    ``router`` must carry its prefix and dependencies itself (``APIRouter(prefix=...)``):
    unlike ``include_router`` this takes no include-time prefix, tags or dependencies.

    Parameters
    ----------
    app : FastAPI
        The application.
    router : APIRouter
        A router of HTTP and WebSocket routes.

    Raises
    ------
    TypeError
        When the router holds another kind of route (a mount, a nested router).

    Examples
    --------
    >>> from fastapi import FastAPI, APIRouter
    >>> r = APIRouter(prefix="/api/v1/x")
    >>> @r.get("/y")
    ... async def y() -> int:
    ...     return 1
    >>> app = FastAPI()
    >>> include_flat(app, r)
    >>> [type(x).__name__ for x in app.routes if getattr(x, "path", "") == "/api/v1/x/y"]
    ['APIRoute']
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            settings = {n: getattr(route, n) for n in _ROUTE_SETTINGS if hasattr(route, n)}
            app.router.add_api_route(
                route.path, route.endpoint, route_class_override=type(route), **settings
            )
        elif isinstance(route, APIWebSocketRoute):
            app.router.add_api_websocket_route(
                route.path, route.endpoint, name=route.name, dependencies=route.dependencies
            )
        else:
            raise TypeError(f"cannot register {type(route).__name__} flat: {route!r}")
