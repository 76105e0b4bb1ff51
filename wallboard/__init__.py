"""The "1+3+N" wall screen, the dispatcher console and the live protocol behind them.

- :mod:`wallboard.protocol`: messages (snapshot, numbered deltas, heartbeats), masking.
- :mod:`wallboard.hub`: one bus subscriber per process reading the change log forward.
- :mod:`wallboard.live`: the ``/ws/wallboard`` endpoint.
- :mod:`wallboard.sections`: the snapshot's sections and their providers.
- :mod:`wallboard.pages`, :mod:`wallboard.basemap`: the pages and the base map (folium's
  script, served as a file: every script is a file, the page's data sits in JSON blocks).

The app factory calls :func:`install` once and :func:`start_hub` / :func:`stop_hub` in
its lifespan.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as leaflet
import xstatic.pkg.leaflet_markercluster as cluster
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dispatch_center.api.flat_routes import include_flat
from dispatch_center.center import Center
from wallboard import live, pages, tiles
from wallboard.hub import LiveHub

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages, the WebSocket, the JSON helpers and the static files.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> install(app)
    >>> "/static/wallboard" in {getattr(r, "path", "") for r in app.routes}
    True
    """
    include_flat(app, live.router)
    include_flat(app, pages.router)
    include_flat(app, pages.api)
    include_flat(app, tiles.router)
    app.mount(
        "/static/vendor/leaflet.markercluster",
        StaticFiles(directory=cluster.BASE_DIR),
        name="vendor-cluster",
    )
    app.mount(
        "/static/vendor/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="vendor-leaflet"
    )
    app.mount("/static/wallboard", StaticFiles(directory=STATIC), name="wallboard-static")


async def start_hub(app: FastAPI, center: Center) -> None:
    """Start this process's live hub (after the center is up)."""
    hub = LiveHub(center, tick_s=center.settings.wall_tick_ms / 1000)
    await hub.start()
    app.state.wallboard_hub = hub
    center.runtimes.attach(hub)  # /readyz reports its heartbeat


async def stop_hub(app: FastAPI) -> None:
    """Stop the hub (before the center closes its bus and pool)."""
    hub = getattr(app.state, "wallboard_hub", None)
    if hub is not None:
        await hub.stop()
