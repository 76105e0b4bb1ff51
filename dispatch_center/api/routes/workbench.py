"""The handlers' workbench (承办工作台, ``/handler``): the page, its web-app manifest and
service worker, and the photos of a reply.

The page is phone-first (360×640 up to a tablet) and works on a weak network: its script
(``static/handler.js``) queues actions taken offline on the device and sends each once
(``client_id``), and the service worker (``/handler/sw.js``, scope ``/handler``) keeps the
page's shell so it opens without a network.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.security import Principal
from dispatch_center.api import workbench_i18n as i18n
from dispatch_center.api.deps import AnyUser, CenterDep, PageGate, PageVisit, require
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.pages import STATIC, STATIC_PATH, json_block
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, Public, errors
from dispatch_center.api.schemas.orders import PhotoPublic
from dispatch_center.center import Center
from dispatch_center.core.lifecycle import ACTION_LABELS_ZH, STATUS_LABELS_ZH
from dispatch_center.core.roles import Role
from dispatch_center.messaging import webpush
from dispatch_center.models import Strict
from dispatch_center.orders import photos

pages = APIRouter(include_in_schema=False)
_BINARY = {"type": "string", "format": "binary"}
router = PublicRouter(prefix="/api/v1/orders", tags=["orders"])
push = PublicRouter(prefix="/api/v1/push", tags=["push"])

_SW = (STATIC / "handler-sw.js").read_text(encoding="utf-8")


Handler = Annotated[Principal, Depends(require(Role.handler, Role.admin))]
WorkbenchVisit = Annotated[
    PageVisit,
    Depends(PageGate(Gate(frozenset({Role.handler, Role.admin})), deny=page_denial)),
]


def page_data(center: Center, who: Principal, lang: str) -> dict[str, Any]:
    """What the page's script needs: who is signed in, the strings, the lists' vocabulary
    and the working days ahead (an extension is asked in working days).
    """
    units = center.reference.units
    today = center.now().date()
    cal = center.reference.calendar
    working = [
        (today + timedelta(days=i)).isoformat()
        for i in range(0, 120)
        if cal.is_working_day(today + timedelta(days=i))
    ]
    return {
        "lang": lang,
        "user": who.username,
        "role": who.role.value,
        "unit": who.unit_code,
        "unit_name": units.get(who.unit_code or "", {}).get("name"),
        "strings": i18n.STRINGS[lang],
        "reasons": i18n.REASONS[lang],
        "outcomes": i18n.OUTCOME_LABELS[lang],
        "working_days": working,
        "status_labels": {st.value: label for st, label in STATUS_LABELS_ZH.items()}
        if lang == "zh-CN"
        else {},
        "action_labels": (
            {"receive": "受理", **{a.value: label for a, label in ACTION_LABELS_ZH.items()}}
            if lang == "zh-CN"
            else {}
        ),
        "static": STATIC_PATH,
    }


def _page(center: Center, who: Principal, lang: str, header: str) -> str:
    s = i18n.STRINGS[lang]
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="theme-color" content="#0f5fa8">
<title>{html.escape(s["title"])}</title>
<link rel="manifest" href="/handler/manifest.webmanifest" crossorigin="use-credentials">
<link rel="icon" href="{STATIC_PATH}/handler-icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<link rel="stylesheet" href="{STATIC_PATH}/handler.css">
<script type="application/json" id="dc-handler">{json_block(page_data(center, who, lang))}</script>
<script src="/static/vendor/leaflet/leaflet.js" defer></script>
<script type="module" src="{STATIC_PATH}/handler.js"></script>
</head>
<body>
{header}
<header id="top"><h1>{html.escape(s["title"])}</h1>
<span id="who"></span><span id="sync" hidden></span>
<button type="button" id="push" hidden>{html.escape(s["allow_push"])}</button>
<a id="lang" href="{s["lang_href"]}">{html.escape(s["lang_switch"])}</a></header>
<div id="offline" hidden>{html.escape(s["offline"])}</div>
<nav id="tabs"></nav>
<main id="list"></main>
<section id="card" hidden></section>
<dialog id="form"></dialog>
<div id="toast" role="status" hidden></div>
</body>
</html>"""


@pages.get("/handler", response_class=HTMLResponse)
async def workbench(request: Request, center: CenterDep, visit: WorkbenchVisit) -> Response:
    """The handlers' workbench (handlers, admin)."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    lang = i18n.pick(request.query_params.get("lang"))
    header = str(await header_for(request, visit.who, "handler"))
    return HTMLResponse(
        _page(center, visit.who, lang, header), headers={"Cache-Control": "no-store"}
    )


@pages.get("/handler/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    """The workbench's web-app manifest (installable on a phone's home screen)."""
    body = {
        "name": "乐山12345 承办工作台",
        "short_name": "承办工作台",
        "lang": "zh-CN",
        "start_url": "/handler",
        "scope": "/handler",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0f5fa8",
        "icons": [
            {
                "src": f"{STATIC_PATH}/handler-icon.svg",
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any maskable",
            }
        ],
    }
    return Response(json_block(body), media_type="application/manifest+json")


@pages.get("/handler/sw.js")
async def service_worker() -> Response:
    """The workbench's service worker, from our origin; its scope is ``/handler`` (the page
    itself and below), which the ``Service-Worker-Allowed`` header permits.
    """
    return Response(
        _SW,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/handler"},
    )


@router.post(
    "/{order_id}/photos",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"image/jpeg": {"schema": _BINARY}}}},
    responses=errors(*SIGNED_IN, 404, 413, 422),
)
async def upload_photo(
    request: Request,
    center: CenterDep,
    who: AnyUser,
    order_id: str,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
) -> PhotoPublic:
    """A reply's photo (JPEG, the body itself), by the unit holding the order or a
    co-handling unit. Its metadata is stripped; its GPS position, or else ``lon``/``lat``
    (read by the phone from the original), becomes the reply's place.
    """
    data = await request.body()
    kind = request.headers.get("content-type", "")
    return PhotoPublic.model_validate(
        await photos.upload_photo(center, who, order_id, data, kind, lon=lon, lat=lat)
    )


@router.get(
    "/{order_id}/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {"schema": _BINARY}}},
        **errors(*SIGNED_IN, 404, 422),
    },
)
async def get_photo(center: CenterDep, who: AnyUser, order_id: str, photo_id: str) -> Response:
    """A reply's photo, for whoever may read the order."""
    got = await photos.read_photo(center, who, order_id, photo_id)
    return Response(
        bytes(got["data"]),
        media_type=got["content_type"],
        headers={"Cache-Control": "private, max-age=86400"},
    )


class PushKeys(Strict):
    """A browser subscription's keys."""

    p256dh: str = Field(min_length=16, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscription(Strict):
    """What ``PushManager.subscribe()`` gives the page (``subscription.toJSON()``)."""

    endpoint: str = Field(min_length=8, max_length=1000, pattern=r"^https?://")
    keys: PushKeys
    expirationTime: int | None = None


class PushSubscribed(Public):
    """A kept subscription: pushes for ``unit`` go to ``endpoint``."""

    endpoint: str
    unit: str | None


class PushKeyPublic(Public):
    """The center's VAPID public key (the browser's ``applicationServerKey``); null when
    push is off.
    """

    public_key: str | None


@push.get("/key", responses=errors(*SIGNED_IN))
async def push_key(center: CenterDep, who: AnyUser) -> PushKeyPublic:
    """The VAPID public key a phone subscribes with."""
    keys = center.runtimes.find(webpush.PushKeys)
    return PushKeyPublic(public_key=keys.public_key if keys else None)


@push.post("/subscriptions", responses=errors(*SIGNED_IN, 409, 422))
async def subscribe(center: CenterDep, who: Handler, body: PushSubscription) -> PushSubscribed:
    """Keep this phone's push subscription: new orders, reminders and 督办 of the caller's
    unit reach it (handlers, admin).
    """
    await webpush.subscribe(center, who.username, body.endpoint, body.keys.p256dh, body.keys.auth)
    return PushSubscribed(endpoint=body.endpoint, unit=who.unit_code)
