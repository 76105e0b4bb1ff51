"""The reports room, ``/reports``: list, open and download the kept reports, make one for
a period or a special report (专报), and the quarterly ranking with the bottom units'
explanations and interviews. Its script reads the reports and rankings routes as they are.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.api.deps import CENTER_STAFF, CenterDep, PageGate, PageVisit
from dispatch_center.api.front.header import header_for, role_label
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.front.strings import pick_lang
from dispatch_center.api.pages import json_block
from dispatch_center.api.reports_strings import STRINGS
from dispatch_center.core.analysis.periods import PeriodKind, period_for, previous_period
from dispatch_center.core.roles import Role

pages = APIRouter(tags=["pages"], include_in_schema=False)
_ENV = jinja2.Environment(autoescape=True)


ReportsVisit = Annotated[
    PageVisit, Depends(PageGate(Gate(frozenset(Role(r) for r in CENTER_STAFF)), deny=page_denial))
]


@pages.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, center: CenterDep, visit: ReportsVisit) -> Response:
    """The reports room (the center's staff, leaders, the auditor), zh-CN or ``?lang=en``."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    who = visit.who
    lang = pick_lang(request.query_params.get("lang"))
    last = previous_period(period_for(PeriodKind.quarterly, center.today()))
    counties = [
        {"code": c, "name": u["name"]}
        for c, u in sorted(center.reference.units.items())
        if u.get("kind") == "county"
    ]
    data = {
        "lang": lang,
        "strings": STRINGS[lang],
        "user": who.username,
        "role": who.role.value,
        "may_make": who.role is not Role.auditor,
        "today": center.today().isoformat(),
        "quarter": last.key,
        "counties": counties,
    }
    text = (resources.files("dispatch_center.templates") / "reports_room.html").read_text("utf-8")
    body = _ENV.from_string(text).render(
        header=await header_for(request, who, "reports"),
        who=who,
        s=STRINGS[lang],
        html_lang="en" if lang == "en" else "zh-CN",
        role_label=role_label(who.role, lang),
        data=json_block(data),
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
