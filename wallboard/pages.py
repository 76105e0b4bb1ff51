"""The pages: ``/wallboard`` (the wall screen, kiosk) and ``/dispatch`` (the console),
plus the small JSON helpers they call (one snapshot section, an order's candidates).

Kiosk sign-in: ``/wallboard?token=...`` checks the token, stores it in the ``dc_session``
cookie (HttpOnly, SameSite=Strict) and redirects to the clean URL, so the token does not
stay in the address bar or the history; no login form is ever shown.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import jinja2
import jwt
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dispatch_center.accounts.security import decode_token
from dispatch_center.api.deps import AnyUser, CenterDep, Intake
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.wallboard import CandidatesPublic, SectionPublic
from dispatch_center.center import Center
from dispatch_center.core.lifecycle import OPEN_UNREPLIED, WAITING_FOR_DISPATCH
from dispatch_center.errors import NotFound, Unauthorized
from feeds.rules import GAUGE_NEAR_WARNING_M
from modes.policy import ModeName
from wallboard import candidates as cand
from wallboard.basemap import build_map
from wallboard.i18n import STRINGS, pick_lang
from wallboard.live import COOKIE
from wallboard.protocol import mask
from wallboard.sections import _SECTIONS, SnapshotContext, _run

router = APIRouter(include_in_schema=False)
api = PublicRouter(prefix="/api/v1", tags=["wallboard"])

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)
VERSION = str(int(time.time()))
_CACHE: dict[tuple[str, str, str | None, str], str] = {}


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
        "tiles": bool(center.settings.tile_url),
        "live_statuses": [s.value for s in OPEN_UNREPLIED],
        "waiting_statuses": [s.value for s in WAITING_FOR_DISPATCH],
        "near_warning_m": GAUGE_NEAR_WARNING_M,
        "default_layout": dict(normal.wallboard) if normal is not None else None,
    }


def _render(request: Request, page: str, lang: str) -> str:
    center: Center = request.app.state.center
    tile_url = center.settings.tile_url or None
    config = page_config(center, page, lang)
    config_json = orjson.dumps(config).decode().replace("</", "<\\/")
    # A reloaded policy (a new default layout) renders the page anew.
    key = (page, lang, tile_url, config_json)
    if key not in _CACHE:
        base = build_map(
            center.geography,
            tile_url=tile_url,
            tile_attribution=center.settings.tile_attribution,
            lang=lang,
        )
        s = STRINGS[lang]
        chrome = TEMPLATES.get_template("chrome.html").render(
            s=s,
            page=page,
            lang=lang,
            version=VERSION,
            config_json=config_json,
        )
        title = html.escape(
            s["title"] + (" · " + s["title_dispatch"] if page == "dispatch" else "")
        )
        head = (
            f'<title>{title}</title><link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="/static/wallboard/wall.css?v={VERSION}"/>'
        )
        base = base.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
        base = base.replace("</head>", head + "</head>", 1)
        base = base.replace("<body>", f'<body class="page-{page} theme-normal">', 1)
        base = base.replace("</body>", chrome + "</body>", 1)
        _CACHE[key] = base
    return _CACHE[key]


def _denied(lang: str, message: str) -> HTMLResponse:
    s = STRINGS[lang]
    body = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(s['title'])}</title>"
        '<style>body{background:#0b1220;color:#e6edf7;font:32px "Noto Sans CJK SC",sans-serif;'
        "display:flex;align-items:center;justify-content:center;height:100vh;margin:0}</style></head>"
        f"<body><div>{html.escape(s['expired'])}: {html.escape(message)}</div></body></html>"
    )
    return HTMLResponse(body, status_code=401)


def _page(request: Request, page: str) -> Response:
    lang = pick_lang(request.query_params.get("lang"))
    secret = request.app.state.secret_key
    token = request.query_params.get("token")
    if token is not None:
        try:
            decode_token(token, secret)
        except Unauthorized as exc:
            return _denied(lang, str(exc))
        exp = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
        target = f"/{page}" + ("?lang=en" if lang == "en" else "")
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(
            COOKIE,
            token,
            max_age=max(1, exp - int(time.time())),
            httponly=True,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",
        )
        return resp
    try:
        decode_token(request.cookies.get(COOKIE) or "", secret)
    except Unauthorized as exc:
        return _denied(lang, str(exc))
    return HTMLResponse(_render(request, page, lang), headers={"Cache-Control": "no-store"})


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request) -> Response:
    """The wall screen (kiosk); ``?token=`` once, then the cookie."""
    return _page(request, "wallboard")


@router.get("/dispatch", response_class=HTMLResponse)
async def dispatch_page(request: Request) -> Response:
    """The dispatcher console."""
    return _page(request, "dispatch")


@api.get("/wallboard/sections/{name}", responses=errors(*SIGNED_IN, 404, 422))
async def section(center: CenterDep, who: AnyUser, name: str) -> SectionPublic:
    """One snapshot section, fresh (KPI and feeds health refresh without a reconnect)."""
    sec = _SECTIONS.get(name)
    if sec is None:
        raise NotFound(f"no section {name!r}")
    async with center.db.connection() as conn:
        value = await _run(sec, SnapshotContext(center, conn, center.now()))
    return SectionPublic.model_validate({"name": name, "value": mask(value)})


@api.get("/dispatch/orders/{order_id}/candidates", responses=errors(*SIGNED_IN, 404, 422))
async def order_candidates(center: CenterDep, who: Intake, order_id: str) -> CandidatesPublic:
    """The order, its suggested unit and alternatives with distance and open load."""
    return CandidatesPublic.model_validate(await cand.candidates(center, who, order_id))
