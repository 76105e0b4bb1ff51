"""The leader's console: the page ``/leader`` and the JSON it reads (the board of overdue
and at-risk orders, a person's day, the instructions' follow-up list) and signing minutes.
Every other move of the page (督办单, the ladder, sessions, instructions) uses the
supervision routes as they are.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from dispatch_center.accounts.identity import Gate
from dispatch_center.accounts.security import Principal
from dispatch_center.api.deps import AnyUser, CenterDep, PageGate, PageVisit, require
from dispatch_center.api.desk_strings import STRINGS as DESK_STRINGS
from dispatch_center.api.front.header import header_for, role_label
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.front.strings import pick_lang
from dispatch_center.api.leader_strings import LEVELS_EN, STEPS_EN, STRINGS
from dispatch_center.api.pages import json_block
from dispatch_center.api.responses import PublicRouter
from dispatch_center.api.routes.supervision import Invitee
from dispatch_center.api.schemas.common import SIGNED_IN, errors
from dispatch_center.api.schemas.leader import (
    BoardPublic,
    DayPublic,
    FollowUpList,
    SignaturePublic,
)
from dispatch_center.api.schemas.supervision import SessionPublic
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import supervision as sv
from dispatch_center.core.roles import Role
from dispatch_center.models import Strict
from dispatch_center.supervision import board as boards
from dispatch_center.supervision import invitations
from dispatch_center.supervision.common import INSTRUCTING, SESSION_RUNNERS, SUPERVISORS

router = PublicRouter(prefix="/api/v1/supervision", tags=["supervision"])
pages = APIRouter(tags=["pages"], include_in_schema=False)

#: Who opens the page: the center's supervisors and the handling units (their own items).
LEADER_PAGE = frozenset({Role.leader, Role.duty_officer, Role.admin, Role.handler})
BoardReader = Annotated[Principal, Depends(require(*LEADER_PAGE))]
DayReader = Annotated[Principal, Depends(require(*SUPERVISORS))]
Inviter = Annotated[Principal, Depends(require(*invitations.INVITERS))]
Signer = Annotated[Principal, Depends(require(*(INSTRUCTING | SESSION_RUNNERS)))]


@router.get("/board", responses=errors(*SIGNED_IN))
async def board(center: CenterDep, who: BoardReader) -> BoardPublic:
    """Open orders past or near their reply deadline (a handler: its units'), worst first,
    with the 督办单 and the ladder's rung on each, and the counts per unit.
    """
    return BoardPublic.model_validate(await boards.board(center, who))


@router.get("/day", responses=errors(*SIGNED_IN))
async def day(center: CenterDep, who: DayReader) -> DayPublic:
    """A leader's or duty officer's day: orders waiting for a 批示, minutes waiting for a
    signature, and what the caller asked for with whether it is done.
    """
    return DayPublic.model_validate(await boards.my_day(center, who))


@router.get("/followups", responses=errors(*SIGNED_IN))
async def followups(center: CenterDep, who: AnyUser) -> FollowUpList:
    """Session instructions and how each stands, overdue first (a handler: its own)."""
    return FollowUpList.model_validate({"items": await boards.followups(center, who)})


@router.post("/sessions/{session_id}/sign", responses=errors(*SIGNED_IN, 404, 409, 422))
async def sign(center: CenterDep, who: Signer, session_id: str) -> SignaturePublic:
    """Sign (签发) the minutes of a closed session, once (409 while open or once signed)."""
    return SignaturePublic.model_validate(await boards.sign_minutes(center, who, session_id))


class InvitationCreate(Strict):
    """People invited to a session that already runs."""

    invited: list[Invitee] = Field(min_length=1, max_length=200)


@router.post("/sessions/{session_id}/invitations", responses=errors(*SIGNED_IN, 404, 409, 422))
async def invite(
    center: CenterDep, who: Inviter, session_id: str, body: InvitationCreate
) -> SessionPublic:
    """Invite more people to an open session (409 once closed); each invitation records
    who invited and when, and the session's orders' timelines say so.
    """
    asked = [i.model_dump(exclude_none=True) for i in body.invited]
    return SessionPublic.model_validate(await invitations.invite(center, who, session_id, asked))


LeaderVisit = Annotated[PageVisit, Depends(PageGate(Gate(LEADER_PAGE), deny=page_denial))]
_ENV = jinja2.Environment(autoescape=True)


def page_data(who: Principal, lang: str = "zh") -> dict[str, Any]:
    """What the page's script needs: its strings in ``lang``, who reads, what they may do,
    the ladder and the levels.

    Examples
    --------
    >>> data = page_data(Principal("l", Role.leader), "en")
    >>> data["strings"]["title"], data["levels"][2]["label"], data["may"]["instruct"]
    ("Leaders' supervision console", 'Listed supervision', True)
    >>> zh = page_data(Principal("l", Role.leader))
    >>> data["statuses"]["dispatched"], zh["statuses"]["dispatched"], zh["ladder"][0]["label"]
    ('Dispatched', '已派单', '领导研究')
    """
    role = who.role
    en = lang == "en"
    return {
        "lang": lang,
        "strings": STRINGS[lang],
        "user": who.username,
        "role": role.value,
        "unit": who.unit_code,
        "may": {
            "supervise": role in SUPERVISORS,
            "run_sessions": role in SESSION_RUNNERS,
            "instruct": role in INSTRUCTING,
            "sign": role in (INSTRUCTING | SESSION_RUNNERS),
        },
        # An order's status by name in the page's language (the API gives the Chinese one).
        "statuses": {
            st.value: DESK_STRINGS["en"].get(f"status_{st.value}", label) if en else label
            for st, label in lc.STATUS_LABELS_ZH.items()
        },
        "levels": [
            {"value": lv.value, "label": LEVELS_EN[lv.value] if en else sv.LEVEL_LABELS_ZH[lv]}
            for lv in sv.SupervisionLevel
        ],
        "ladder": [
            {
                "step": s.step.value,
                "label": STEPS_EN[s.step.value] if en else s.label_zh,
                "required": list(s.required),
            }
            for s in sv.LADDER
        ],
    }


@pages.get("/leader", response_class=HTMLResponse)
async def leader_page(request: Request, visit: LeaderVisit) -> Response:
    """The leader's supervision console (leaders, duty officers, admins; a handler sees its
    own items), zh-CN or ``?lang=en``. ``?token=`` once moves the token into the session
    cookie and leaves the URL.
    """
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    who = visit.who
    lang = pick_lang(request.query_params.get("lang"))
    text = (resources.files("dispatch_center.templates") / "leader.html").read_text("utf-8")
    body = _ENV.from_string(text).render(
        header=await header_for(request, who, "leader"),
        who=who,
        s=STRINGS[lang],
        html_lang="en" if lang == "en" else "zh-CN",
        role_label=role_label(who.role, lang),
        data=json_block(page_data(who, lang)),
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
