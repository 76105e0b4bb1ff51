"""The front door's pages: ``GET /`` (sign in, or go to the role's screen) and
``GET /wall-link`` (the duty officer makes a wall screen's link).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dispatch_center.accounts.identity import Gate, identify
from dispatch_center.api.deps import COOKIE, PageGate, PageVisit
from dispatch_center.api.front.header import WALL_LINK_MAKERS, header_for
from dispatch_center.api.front.pages import page_denial, sign_in_page, wall_link_page
from dispatch_center.api.front.strings import pick_lang
from dispatch_center.core.screens import landing
from dispatch_center.errors import ServiceError

pages = APIRouter(tags=["pages"], include_in_schema=False)

WallLinkGate = PageGate(Gate(frozenset(WALL_LINK_MAKERS)), deny=page_denial)
WallLinkVisit = Annotated[PageVisit, Depends(WallLinkGate)]


@pages.get("/", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """The sign-in page (zh-CN; ``?lang=en``); a visitor already signed in goes to the
    screen their role lands on.
    """
    lang = pick_lang(request.query_params.get("lang"))
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            who = await identify(request.app.state.center, raw)
        except ServiceError:
            who = None  # an ended session: sign in again
        if who is not None and not who.is_wall:
            target = landing(who.role) + ("?lang=en" if lang == "en" else "")
            return RedirectResponse(target, status_code=303)
    return HTMLResponse(sign_in_page(lang), headers={"Cache-Control": "no-store"})


@pages.get("/wall-link", response_class=HTMLResponse)
async def wall_link(request: Request, visit: WallLinkVisit) -> Response:
    """The page where a duty officer or admin makes a wall screen's link (shown once)."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    lang = pick_lang(request.query_params.get("lang"))
    header = await header_for(request, visit.who, "wall-link")
    days = request.app.state.center.settings.wall_token_ttl_days
    return HTMLResponse(wall_link_page(lang, header, days), headers={"Cache-Control": "no-store"})
