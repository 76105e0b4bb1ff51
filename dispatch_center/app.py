"""The one app factory, used by the CLI, the tests and the docker image."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch_center.accounts.ledger import start_ledger
from dispatch_center.accounts.passwords import stop_password_work
from dispatch_center.api.browser import install_browser_security
from dispatch_center.api.errors import (
    document_unparseable_bodies,
    error_body,
    install_error_handlers,
)
from dispatch_center.api.flat_routes import include_flat
from dispatch_center.api.input_guard import NulGuard
from dispatch_center.api.logs import install_log_redaction
from dispatch_center.api.metrics import AppMetrics, MetricsSampler, RequestMetrics
from dispatch_center.api.pages import mount_page_scripts
from dispatch_center.api.request_log import RequestId, install_request_logging
from dispatch_center.api.responses import FastJSONResponse
from dispatch_center.api.routes import (
    auth,
    calendar,
    citizen,
    desk,
    desk_page,
    feeds,
    front,
    geo,
    geofences,
    health,
    hq,
    incidents,
    kb,
    kb_page,
    leader,
    metrics,
    mode,
    open311,
    orders,
    reference,
    reports,
    reports_page,
    supervision,
    teams,
    workbench,
)
from dispatch_center.api.routes.docs import mount_docs
from dispatch_center.background import BackgroundLoop
from dispatch_center.bus.factory import bus_from_url
from dispatch_center.center import Center
from dispatch_center.citizen.replies import start_replies
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.geography import geofences as geofence_versions
from dispatch_center.geography.model import default_geography
from dispatch_center.intake.runtime import start_intake, stop_intake
from dispatch_center.intake.sms_gateway import sms_text_in
from dispatch_center.messaging.outbox import start_messaging, stop_messaging
from dispatch_center.messaging.webpush import start_webpush
from dispatch_center.modeswitch.schedule import ModeScheduler
from dispatch_center.modeswitch.state import start_modes
from dispatch_center.reference.seed import seed_reference
from dispatch_center.reporting.reports import stop_renderer
from dispatch_center.reporting.rollups import RollupWorker
from dispatch_center.reporting.schedule import DailyReportScheduler
from dispatch_center.settings import Settings, demo_secret
from dispatch_center.store.database import Database, prepare_database, resolve_database_url
from dispatch_center.supervision.reminders import SupervisionTimer
from wallboard import install as install_wallboard
from wallboard import start_hub, stop_hub

log = logging.getLogger(__name__)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before reading them whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body as it is read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_413(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # An HTTPException passes through FastAPI's body parsing untouched
                    # and reaches the JSON error handler as a 413.
                    raise HTTPException(413, f"request body over {self.limit} bytes")
            return message

        await self.app(scope, counted, send)


async def _send_413(send: Send, limit: int) -> None:
    import json

    body = json.dumps(error_body("payload_too_large", f"request body over {limit} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def start_center(settings: Settings) -> Center:
    """Connect the database and bus, migrate, seed and load reference data."""
    started = time.perf_counter()
    # The geography index (about a second of shapely work) builds while the database
    # starts and migrates: initdb and the server are other processes.
    geography_task = asyncio.ensure_future(asyncio.to_thread(default_geography))
    url, embedded = await asyncio.to_thread(resolve_database_url, settings)
    path = await asyncio.to_thread(
        prepare_database, url, datetime.now(SHANGHAI).date(), settings.partition_months_ahead
    )
    db = Database(
        url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        acquire_timeout=settings.db_acquire_timeout_s,
    )
    await db.open()
    bus = bus_from_url(settings.redis_url)
    await bus.connect()
    secret = settings.secret_key or demo_secret(settings.data_dir)
    log.info("database ready after %.1f s", time.perf_counter() - started)
    geography = await geography_task
    if geography.city.code != settings.city_code:
        # Routing, unit codes and the demo's accounts all start from the city's code: a
        # center configured for one city must not route with another city's boundaries.
        raise ValueError(
            f"DISPATCH_CITY_CODE is {settings.city_code}, but the geography is of"
            f" {geography.city.name} ({geography.city.code})"
        )
    center = Center(
        settings=settings, db=db, bus=bus, storage_path=path, secret_key=secret, geography=geography
    )
    await seed_reference(center)
    await center.reload_reference()
    # Imported geofences and the catalogue in force replace the built-in defaults.
    await geofence_versions.load_active_geography(center)
    log.info(
        "center ready after %.1f s: database %s (%s), bus %s",
        time.perf_counter() - started,
        "embedded" if embedded else "external",
        path,
        "redis" if settings.redis_url else "in-process",
    )
    return center


async def stop_center(center: Center) -> None:
    """Close the bus and the pool."""
    await center.bus.disconnect()
    await center.db.close()


def settle_heap() -> None:
    """Exempt everything built at start-up from the cyclic garbage collector's full passes.

    The start-up heap (the geography index, reference data, policies, modules) is large
    and lives as long as the process; each full collection walked all of it, pausing the
    event loop that sends the wall's deltas for 85-230 ms several times a minute under
    load (measured with gc.callbacks during benchmarks/wallboard.py). ``gc.freeze`` moves
    it to the permanent generation, so full passes only walk what came after.

    Examples
    --------
    >>> import gc
    >>> settle_heap()
    >>> gc.get_freeze_count() > 0
    True
    """
    gc.collect()
    gc.freeze()


def api_routers() -> list[APIRouter]:
    """The API's routers, in the order their routes are matched (the wall's and the docs'
    are registered by :func:`wallboard.install` and :func:`mount_docs`).
    """
    return [
        desk.router,  # before orders: /orders/similar is not an order id
        *(
            m.router
            for m in (health, metrics, auth, orders, calendar, reference, geo, geofences, mode)
        ),
        reports.router,
        feeds.router,
        feeds.intake,
        open311.router,
        leader.router,
        supervision.router,
        supervision.pages,
        front.pages,
        desk_page.pages,
        kb.router,
        leader.pages,
        reports_page.pages,
        kb_page.pages,
        workbench.router,
        workbench.push,
        workbench.pages,
        citizen.router,
        citizen.pages,
        teams.router,
        incidents.router,
        hq.pages,
    ]


L = TypeVar("L", bound=BackgroundLoop)


def _start(stack: AsyncExitStack, loop: L) -> L:
    """Start a background loop and have ``stack`` stop it."""
    loop.start()
    stack.push_async_callback(loop.stop)
    return loop


def create_app(settings: Settings | None = None, *, demo_password: str | None = None) -> FastAPI:
    """Build the ASGI app; the center starts in its lifespan.

    Examples
    --------
    >>> app = create_app(Settings(demo=True))  # doctest: +SKIP
    """
    settings = settings or Settings()
    # No ?token= (nor Open311 api_key) in the server's request logs.
    install_log_redaction()
    install_request_logging(settings.log_format)
    app_metrics = AppMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # Every part registers how it stops as it starts: a failure half way stops what
        # had started, and shutdown runs in the reverse order of start-up.
        async with AsyncExitStack() as stack:
            # Again here: the server configured its logging after the app was created.
            install_log_redaction()
            install_request_logging(settings.log_format)
            center = await start_center(settings)
            stack.push_async_callback(stop_center, center)
            app.state.center = center
            app.state.secret_key = center.secret_key
            if settings.demo:
                # The demo's accounts and story; nothing in production imports the demo.
                from dispatch_center.demo.startup import prepare_demo

                await prepare_demo(center, demo_password)
            # Revoked tokens: every user's generation, kept current across workers.
            app.state.token_follower = _start(stack, await start_ledger(center))
            stack.callback(stop_password_work, center)
            await start_modes(center)
            # Web Push to the handlers' phones, when a VAPID key is set (the demo makes one).
            start_webpush(center)
            app.state.mode_scheduler = _start(stack, ModeScheduler(center))
            # Other workers' imports and rollbacks arrive on the bus; reload when they do.
            _start(stack, geofence_versions.GeographyFollower(center))
            # The SMS gateway the settings choose (issue 21); the timer below sends through it.
            # A citizen's text read on an SMPP bind goes where Kannel's MO calls go.
            await start_messaging(center, on_text=partial(sms_text_in, center))
            start_replies(center)
            stack.push_async_callback(stop_messaging, center)
            # Reminders and callback tasks; a database lock keeps it to one worker per pass.
            app.state.supervision_timer = _start(
                stack, SupervisionTimer(center, settings.supervision_tick_seconds)
            )
            await start_hub(app, center)
            stack.push_async_callback(stop_hub, app)
            # Analysis: rollups follow the change log; the daily report is made at 08:00.
            app.state.rollup_worker = _start(stack, RollupWorker(center.db))
            stack.callback(stop_renderer)
            _start(stack, DailyReportScheduler(center))
            # Feeds: the intake consumers, the health runner and the live layers.
            intake = await start_intake(center)
            stack.push_async_callback(stop_intake, center)
            app.state.simulator = None
            # Only `dispatch-center demo` (or DISPATCH_SIMULATOR=1) plays the outside
            # world: a demo-mode center in the tests must stay quiet.
            if settings.simulator:
                from dispatch_center.demo.startup import play_outside_world

                app.state.simulator = await play_outside_world(center, intake.ingest, stack)
            if app_metrics.multiprocess:
                # Other workers answer scrapes too: keep this one's gauges current there.
                _start(stack, MetricsSampler(center, app_metrics))
            settle_heap()
            yield {}

    app = FastAPI(
        title="乐山12345心连心 指挥调度中心 API",
        version="0.1.0",
        description="Work orders under statutory time limits, four-tier routing, modes and feeds.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=FastJSONResponse,
    )
    app.state.metrics = app_metrics
    mount_docs(app)
    mount_page_scripts(app)
    install_error_handlers(app)
    document_unparseable_bodies(app)
    for router in api_routers():
        include_flat(app, router)
    install_wallboard(app)
    # Inside BodyLimit: a form body it reads whole is already held to the size limit.
    app.add_middleware(NulGuard)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # Outermost, so the 413 of BodyLimit and every other answer carries the headers too.
    install_browser_security(app, settings)
    # Outside all of it: the latency counts every answer, and the request id is set
    # before anything logs.
    app.add_middleware(RequestMetrics, metrics=app_metrics)
    app.add_middleware(RequestId)
    return app
