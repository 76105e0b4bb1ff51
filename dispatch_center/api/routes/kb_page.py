"""The knowledge base's page (``/kb``): a unit writes its articles, the center reviews and
publishes them (zh-CN, ``?lang=en`` for English). The page is a shell; its script
(``static/kb.js``) reads and writes through ``/api/v1/kb`` with the session cookie.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dispatch_center.accounts.identity import Gate
from dispatch_center.api.deps import PageGate, PageVisit
from dispatch_center.api.front.header import header_for
from dispatch_center.api.front.pages import page_denial
from dispatch_center.api.pages import json_block
from dispatch_center.core.knowledge import KB_CENTER, KB_DRAFT_READERS
from dispatch_center.core.roles import ROLE_LABELS_ZH, Role
from dispatch_center.knowledge.search import GAP_READERS

pages = APIRouter(tags=["pages"], include_in_schema=False)

#: Who opens the page: the units that write articles, the center that reviews them.
PAGE_ROLES = frozenset({Role.handler, *KB_DRAFT_READERS})

_STATUS = {
    "zh": {"draft": "草稿", "reviewed": "已审核", "published": "已发布", "expired": "已失效"},
    "en": {
        "draft": "draft",
        "reviewed": "reviewed",
        "published": "published",
        "expired": "expired",
    },
}
_ACTIONS = {
    "zh": {"create": "新建", "edit": "修改", "review": "审核", "publish": "发布", "expire": "失效"},
    "en": {"create": "created", "edit": "edited", "review": "reviewed", "publish": "published",
           "expire": "expired"},
}  # fmt: skip
STRINGS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "知识库", "search": "搜索知识（如：公积金怎么提取）", "new": "新建文章",
        "all": "全部状态", "none": "暂无", "until": "有效至",
        "gaps": "知识缺口（未找到答案的咨询）",
        "gap_query": "来电问题", "gap_calls": "次数", "edit": "修改", "review": "审核通过",
        "publish": "发布", "expire": "失效", "action": "操作", "by": "操作人", "at": "时间",
        "versions": "版本记录", "asked": "常见问法", "source": "政策依据", "demo": "演示内容",
        "owner": "所属单位代码", "questions": "问法（每行一个）", "answer": "答复口径",
        "valid_until": "有效期至", "save": "保存", "cancel": "取消", "saved": "已保存，待审核",
        "done": "已完成",
    },
    "en": {
        "title": "Knowledge base", "search": "Search (e.g. 公积金怎么提取)", "new": "New article",
        "all": "All statuses", "none": "None", "until": "valid until",
        "gaps": "Gaps (questions answered from no article)", "gap_query": "Question",
        "gap_calls": "Calls", "edit": "Edit", "review": "Approve", "publish": "Publish",
        "expire": "Expire", "action": "Action", "by": "By", "at": "At", "versions": "Versions",
        "asked": "Asked as", "source": "Policy source", "demo": "demo content",
        "owner": "Owning unit code", "questions": "Questions (one a line)", "answer": "Answer",
        "valid_until": "Valid until", "save": "Save", "cancel": "Cancel",
        "saved": "Saved; waiting for review", "done": "Done",
    },
}  # fmt: skip


@lru_cache(maxsize=1)
def _template() -> str:
    return (resources.files("dispatch_center.templates") / "kb.html").read_text(encoding="utf-8")


KbVisit = Annotated[PageVisit, Depends(PageGate(Gate(PAGE_ROLES), deny=page_denial))]


@pages.get("/kb", response_class=HTMLResponse)
async def kb_page(request: Request, visit: KbVisit) -> Response:
    """The knowledge base's page for its writers and reviewers."""
    if visit.answer is not None or visit.who is None:
        return visit.answer or HTMLResponse("", status_code=401)
    who = visit.who
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    strings = {**STRINGS[lang], "status": _STATUS[lang], "actions": _ACTIONS[lang]}
    role = ROLE_LABELS_ZH[who.role] if lang == "zh" else who.role.value
    data = {
        "who": f"{who.username}（{role}）" if lang == "zh" else f"{who.username} ({role})",
        "unit": who.unit_code if who.role is Role.handler else None,
        "may": {"edit": who.role in {Role.handler, *KB_CENTER}, "review": who.role in KB_CENTER},
        "may_read_gaps": who.role in GAP_READERS,
        "strings": strings,
    }
    page = (
        _template()
        .replace("__LANG__", "en" if lang == "en" else "zh-CN")
        .replace("__TITLE__", html.escape(strings["title"]))
        .replace("__DATA__", json_block(data))
        .replace("__HEADER__", str(await header_for(request, who, "kb")))
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
