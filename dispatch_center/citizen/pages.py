"""The citizen loop's two screens, rendered on the server: the callback desk (回访台,
``/callbacks``, a seat's 1920x1080 monitor) and the public status page (``/status``,
a citizen's phone). zh-CN first, English with ``?lang=en``; every string from
:data:`TEXT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

from dispatch_center.core.calendar import SHANGHAI

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "desk_title": "回访台",
        "due": "待回访",
        "replies": "待处理短信回复",
        "number": "工单号",
        "request": "诉求",
        "unit": "承办单位",
        "replied_at": "办结时间",
        "due_at": "回访期限",
        "phone": "联系电话",
        "reply": "市民回复",
        "outcome": "回访结果",
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "unsatisfied": "不满意",
        "solved": "已解决",
        "unsolved": "未解决",
        "handled": "已处理",
        "overdue": "已超期",
        "unclear": "回复不明确",
        "none": "暂无",
        "received": "收到时间",
        "saved": "已记录",
        "status_title": "诉求办理进度查询",
        "status_intro": "请输入工单号和报事手机号后四位。",
        "phone4": "手机号后四位",
        "look_up": "查询",
        "status": "办理状态",
        "received_at": "受理时间",
        "reply_by": "办理时限",
        "answer": "办理结果",
        "pending_unit": "正在确定承办单位",
        "hotline": "如有疑问请拨打12345。",
    },
    "en": {
        "desk_title": "Callback desk",
        "due": "Callbacks due",
        "replies": "SMS replies to read",
        "number": "Order",
        "request": "Request",
        "unit": "Unit",
        "replied_at": "Replied",
        "due_at": "Call by",
        "phone": "Phone",
        "reply": "Citizen's reply",
        "outcome": "Outcome",
        "satisfied": "Satisfied",
        "basically_satisfied": "Basically satisfied",
        "unsatisfied": "Unsatisfied",
        "solved": "Solved",
        "unsolved": "Not solved",
        "handled": "Done",
        "overdue": "Overdue",
        "unclear": "Unclear reply",
        "none": "None",
        "received": "Received",
        "saved": "Recorded",
        "status_title": "Where is my request?",
        "status_intro": "Enter the order number and the last four digits of your phone.",
        "phone4": "Last four digits",
        "look_up": "Look up",
        "status": "Status",
        "received_at": "Received",
        "reply_by": "Due by",
        "answer": "Answer",
        "pending_unit": "Choosing the unit",
        "hotline": "Questions: call 12345.",
    },
}


def language(lang: str | None) -> str:
    """``en`` when asked for, else ``zh``.

    Examples
    --------
    >>> language("en"), language(None), language("fr")
    ('en', 'zh', 'zh')
    """
    return "en" if lang == "en" else "zh"


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _render(name: str, **values: Any) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["when"] = _when
    text = (resources.files("dispatch_center.templates") / name).read_text("utf-8")
    return env.from_string(text).render(**values)


def render_desk(
    who: Any, desk: Mapping[str, Any], lang: str, now: datetime, header: str = ""
) -> str:
    """The callback desk for ``who``, under the shared page ``header``."""
    t = TEXT[lang]
    overdue = {d["callback_id"] for d in desk["due"] if datetime.fromisoformat(d["due_at"]) < now}
    return _render(
        "callback_desk.html", who=who, desk=desk, t=t, lang=lang, overdue=overdue, header=header
    )


def render_status(
    lang: str,
    number: str = "",
    found: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> str:
    """The public status page: the form, and the answer or the one error."""
    return _render("status.html", t=TEXT[lang], lang=lang, number=number, found=found, error=error)
