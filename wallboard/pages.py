"""The pages: ``/wallboard`` (the wall screen, kiosk) and ``/dispatch`` (the console),
plus the small JSON helpers they call (one snapshot section, an order's candidates).

Kiosk sign-in: ``/wallboard?token=...`` checks the token, stores it in the ``dc_session``
cookie (HttpOnly, SameSite=Strict) and redirects to the clean URL, so the token does not
stay in the address bar or the history; no login form is ever shown. The gates
(:mod:`dispatch_center.api.deps`) do that: the wall page and its sections admit a wall
screen's token, the dispatcher console does not.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.scope import reading_scope
from dispatch_center.api.deps import CenterDep, Intake, PageGate, PageVisit, WallOrUser
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial, signed_out
from dispatch_center.api.pages import json_block
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.wallboard import CandidatesPublic, SectionPublic
from dispatch_center.center import Center
from dispatch_center.core.lifecycle import OPEN_UNREPLIED, WAITING_FOR_DISPATCH, Status
from dispatch_center.errors import NotFound, ServiceError
from feeds.rules import GAUGE_NEAR_WARNING_M
from modes.policy import ModeName
from wallboard import candidates as cand
from wallboard.basemap import MAP_ID, BaseMap, build_map
from wallboard.i18n import STRINGS, pick_lang
from wallboard.protocol import mask
from wallboard.sections import _SECTIONS, SnapshotContext, _run
from wallboard.tiles import max_native_zoom, tile_url

router = APIRouter(include_in_schema=False)
api = PublicRouter(prefix="/api/v1", tags=["wallboard"])

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)
VERSION = str(int(time.time()))
_CACHE: dict[tuple[str, str, str | None, str, str], str] = {}
_MAPS: dict[tuple[str, str | None, str], BaseMap] = {}


def page_config(center: Center, page: str, lang: str) -> dict[str, Any]:
    """What the page's script needs from the server: its strings, and the facts it would
    otherwise copy (which statuses are live on the map and which wait for a dispatcher,
    how close under its warning level a river is "near", the layout of a mode whose
    policy names none: normal mode's).
    """
    normal = center.modes.policies.get(ModeName.normal)
    return {
        "page": page,
        "lang": lang,
        "strings": STRINGS[lang],
        "tiles": bool(tile_url(center.settings)),
        "live_statuses": [s.value for s in OPEN_UNREPLIED],
        "waiting_statuses": [s.value for s in WAITING_FOR_DISPATCH],
        # A unit handed the order back (退单待审): the console tags it and offers 改派.
        "returned_status": Status.return_requested.value,
        "near_warning_m": GAUGE_NEAR_WARNING_M,
        "default_layout": dict(normal.wallboard) if normal is not None else None,
        # The command console's parts (wallboard/static/command.js): 失联 after this age,
        # the alert sound and its quiet hours.
        "team_lost_after_s": center.settings.team_lost_after_s,
        "quiet_hours": center.settings.wall_quiet_hours,
        "alert_sound": "/static/wallboard/alert.wav",
    }


def _render(request: Request, page: str, lang: str) -> str:
    center: Center = request.app.state.center
    tiles = tile_url(center.settings)
    config_json = json_block(page_config(center, page, lang))
    map_version = _base_map(center).version
    # A reloaded policy (a new default layout) or a rebuilt base map (folium names its
    # layers afresh each build) renders the page anew.
    key = (page, lang, tiles, config_json, map_version)
    if key not in _CACHE:
        # Scripts are files and the page's data sits in JSON blocks: the
        # Content-Security-Policy allows no inline script.
        _CACHE[key] = TEMPLATES.get_template("page.html").render(
            s=STRINGS[lang],
            page=page,
            lang=lang,
            version=VERSION,
            config_json=config_json,
            map_id=MAP_ID,
            map_version=map_version,
        )
    return _CACHE[key]


def _base_map(center: Center) -> BaseMap:
    # folium takes a second or so for the boundaries: once per geography and tile server.
    # Keyed by the geography's version, not its object (an id can be reused once the old
    # object is gone), and only the current one kept.
    geo = center.geography
    key = (geo.area_version, tile_url(center.settings), center.settings.tile_attribution)
    base = _MAPS.get(key)
    if base is None:
        _MAPS.clear()
        base = _MAPS[key] = build_map(
            geo,
            tile_url=tile_url(center.settings),
            max_native_zoom=max_native_zoom(center),
            tile_attribution=center.settings.tile_attribution,
        )
    return base


#: Where a page's header goes: the cached page is the same for everyone, the header is not.
HEADER_SLOT = "<!--dc-header-->"


def _denied(request: Request, error: ServiceError) -> Response:
    lang = pick_lang(request.query_params.get("lang"))
    if signed_out(request):
        # Nobody signed in and no wall link: say what the screen needs, not "invalid token".
        return page_denial(request, error)
    s = STRINGS[lang]
    body = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(s['title'])}</title>"
        '<style>body{background:#0b1220;color:#e6edf7;font:32px "Noto Sans CJK SC",sans-serif;'
        "display:flex;align-items:center;justify-content:center;height:100vh;margin:0}</style></head>"
        f"<body><div>{html.escape(s['expired'])}: {html.escape(error.message)}</div></body></html>"
    )
    return HTMLResponse(body, status_code=error.status)


async def _page(request: Request, page: str, visit: PageVisit) -> Response:
    if visit.answer is not None:
        return visit.answer
    lang = pick_lang(request.query_params.get("lang"))
    body = _render(request, page, lang)
    # The shared header for a person (a duty officer's wall at the desk); none for a wall
    # screen's token, whose screen is a kiosk (header_for answers empty for it).
    body = body.replace(HEADER_SLOT, await header_for(request, visit.who, page), 1)
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


WallVisit = Annotated[PageVisit, Depends(PageGate(Gate(wall=True), deny=_denied))]
ConsoleVisit = Annotated[PageVisit, Depends(PageGate(Gate(), deny=_denied))]


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request, visit: WallVisit) -> Response:
    """The wall screen (kiosk); ``?token=`` once, then the cookie."""
    return await _page(request, "wallboard", visit)


@router.get("/wallboard/map.js")
async def base_map_script(request: Request, visit: WallVisit) -> Response:
    """The base map's script (folium's output), for the wall and the console.

    Versioned by its digest in the pages' ``?v=``, so a screen caches it until the
    boundaries or the tile server change.
    """
    if visit.answer is not None:
        return visit.answer
    base = _base_map(request.app.state.center)
    cache = (
        "private, max-age=31536000, immutable"
        if request.query_params.get("v") == base.version
        else "no-store"
    )
    return Response(
        base.script,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": cache},
    )


@router.get("/dispatch", response_class=HTMLResponse)
async def dispatch_page(request: Request, visit: ConsoleVisit) -> Response:
    """The dispatcher console (not for a wall screen's token)."""
    return await _page(request, "dispatch", visit)


@api.get("/wallboard/sections/{name}", responses=errors(*SIGNED_IN, 404, 422))
async def section(center: CenterDep, who: WallOrUser, name: str) -> SectionPublic:
    """One snapshot section, fresh (KPI and feeds health refresh without a reconnect), as
    the caller may see it.
    """
    sec = _SECTIONS.get(name)
    if sec is None:
        raise NotFound(f"no section {name!r}")
    scope = reading_scope(center, who)
    async with center.db.connection() as conn:
        value = await _run(sec, SnapshotContext(center, conn, center.now(), scope))
    return SectionPublic.model_validate({"name": name, "value": mask(value)})


@api.get("/dispatch/orders/{order_id}/candidates", responses=errors(*SIGNED_IN, 404, 422))
async def order_candidates(center: CenterDep, who: Intake, order_id: str) -> CandidatesPublic:
    """The order, its suggested unit and alternatives with distance and open load."""
    return CandidatesPublic.model_validate(await cand.candidates(center, who, order_id))
