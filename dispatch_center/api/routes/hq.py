"""The headquarters' command console ``/hq`` (flood and holiday HQs, admins; leaders read).

One page: the mode per county on the map, declaring, scoping, scheduling and ending modes
through the mode API, the open suggestions with their evidence, the history of switches,
the team board with send-a-team, and the incidents. What a switch will change is read
from the mode policies (:func:`modes.effects.switch_effects`) and travels in the page's
JSON block; the page's script is a file (``/static/app/hq.js``) and holds no token.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.api.deps import PageGate, PageVisit
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.hq_strings import STRINGS
from dispatch_center.api.pages import json_block
from dispatch_center.center import Center
from dispatch_center.command.common import COMMANDERS
from dispatch_center.core.roles import Role
from modes.effects import switch_effects
from modes.names import EmergencyType, ModeName

pages = APIRouter(tags=["pages"], include_in_schema=False)

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parents[2] / "templates"),
    autoescape=True,
)
VERSION = str(int(time.time()))
#: Who opens the console; a leader follows it read-only.
HQ_ROLES = frozenset(COMMANDERS | {Role.leader})

HqVisit = Annotated[PageVisit, Depends(PageGate(Gate(HQ_ROLES), deny=page_denial))]


def effects(center: Center) -> dict[str, Any]:
    """What each switch would change, from the policies in force, keyed ``mode`` or
    ``emergency:<type>``.

    Examples
    --------
    ``effects(center)["emergency:flood"]["urgent_categories"]`` → ``["flood.*", ...]``
    """
    policies = center.modes.policies
    current = policies.get(ModeName.normal)
    out: dict[str, Any] = {}
    for mode, policy in policies.items():
        if mode is ModeName.emergency:
            for t in EmergencyType:
                out[f"emergency:{t.value}"] = switch_effects(policy, t, current)
        else:
            out[mode.value] = switch_effects(policy, None, current)
    return out


def page_config(center: Center, who_name: str, role: Role, lang: str) -> dict[str, Any]:
    """The page's data: words, who is looking, the counties, the switches' effects."""
    counties = sorted(center.geography.index.areas(2), key=lambda a: a.code)
    return {
        "lang": lang,
        "strings": STRINGS[lang],
        "who": {"username": who_name, "role": role.value, "read_only": role not in COMMANDERS},
        "city": {"code": center.geography.city.code, "name": center.geography.city.name},
        "counties": [{"code": a.code, "name": a.name} for a in counties],
        "emergency_types": [t.value for t in EmergencyType],
        "effects": effects(center),
        # The policies name categories by code: the preview says their names.
        "category_names": {
            code: c.get("name_en" if lang == "en" else "name_zh") or code
            for code, c in center.reference.categories.items()
        },
        "team_lost_after_s": center.settings.team_lost_after_s,
    }


@pages.get("/hq", response_class=HTMLResponse)
async def hq_console(request: Request, visit: HqVisit) -> Response:
    """The command console (1920×1080 desk and wall); ``?lang=en`` for English."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    center: Center = request.app.state.center
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    config = page_config(center, visit.who.username, visit.who.role, lang)
    body = TEMPLATES.get_template("hq.html").render(
        header=await header_for(request, visit.who, "hq"),
        s=STRINGS[lang],
        lang=lang,
        version=VERSION,
        config_json=json_block(config),
        read_only=config["who"]["read_only"],
        who=visit.who.username,
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
