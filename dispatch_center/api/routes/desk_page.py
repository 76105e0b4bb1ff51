"""The page ``GET /desk``: the call-taker's desk (坐席受理台), one screen per seat.

A template and one script (``/static/app/desk.js``); the page's data (strings, the
taxonomy, the neighbouring cities' hotlines) travels in a JSON block, and the script talks
to the desk's API with the session cookie. For the seats that take calls: call-takers,
dispatchers, duty officers and admins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.api.deps import PageGate, PageVisit
from dispatch_center.api.desk_strings import STRINGS
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.pages import json_block
from dispatch_center.center import Center
from dispatch_center.core.hotlines import CITY_HOTLINES
from dispatch_center.core.roles import ROLE_LABELS_ZH, Role

pages = APIRouter(tags=["pages"], include_in_schema=False)

DESK_ROLES = frozenset({Role.call_taker, Role.dispatcher, Role.duty_officer, Role.admin})
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[2] / "templates"),
    autoescape=True,
)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


DeskVisit = Annotated[PageVisit, Depends(PageGate(Gate(DESK_ROLES), deny=page_denial))]


def desk_config(center: Center, username: str, role: Role, lang: str) -> dict[str, Any]:
    """What the desk's script needs: strings, the taxonomy's leaves, hotlines, radius."""
    leaves = [
        {"code": t["code"], "name": t["name_zh"] if lang == "zh" else t["name_en"]}
        for t in center.reference.categories.values()
        if t.get("parent_code") and t.get("active", True)
    ]
    return {
        "lang": lang,
        "strings": STRINGS[lang],
        "user": {"username": username, "role": role.value},
        "categories": sorted(leaves, key=lambda r: r["code"]),
        "types": ["consultation", "help", "complaint", "report", "suggestion"],
        "urgencies": ["consultation", "urgent", "general"],
        "hotlines": [h.as_dict() for h in CITY_HOTLINES],
        "similar_radius_m": center.settings.desk_similar_radius_m,
    }


@pages.get("/desk", response_class=HTMLResponse)
async def desk_page(request: Request, visit: DeskVisit) -> Response:
    """The call-taker's desk (zh-CN; ``?lang=en``)."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    who = visit.who
    lang = _lang(request)
    center: Center = request.app.state.center
    page = TEMPLATES.get_template("desk.html").render(
        header=await header_for(request, who, "desk"),
        s=STRINGS[lang],
        lang=lang,
        who=who,
        role_label=ROLE_LABELS_ZH[who.role] if lang == "zh" else who.role.value,
        config_json=json_block(desk_config(center, who.username, who.role, lang)),
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
