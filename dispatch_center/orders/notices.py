"""The citizen's texts that follow the order's life: the receipt when it is received,
then 已派单, 延期获批 and 办结. They are queued in the outbox in the same database
transaction as the change they tell of (:mod:`dispatch_center.messaging.outbox` sends
them); the callback survey is queued by the supervision timer.
"""

from __future__ import annotations

import re
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import notices
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.store import outbox as outbox_store

Row = dict[str, Any]

# Texts go to mobiles only: a landline cannot read them.
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")


def mobile_of(phone: str | None) -> str | None:
    """The reporter's mobile number, digits only, or ``None`` for a landline or nothing.

    Examples
    --------
    >>> mobile_of("138 1234 5678")
    '13812345678'
    >>> mobile_of("+8613812345678")
    '13812345678'
    >>> mobile_of("0833-2134567") is None
    True
    """
    digits = re.sub(r"[\s\-()]", "", phone or "")
    return digits[-11:] if _MOBILE.match(digits) else None


# Where to look an order up when the center has no public address to link to: the
# hotline and the WeChat account answer "查询 LS…" (dispatch_center.intake.wechat_reply).
LOOKUP_WITHOUT_URL = "乐山12345微信公众号（发送“查询 工单号”）或致电12345"


def status_url(center: Center) -> str:
    """Where a citizen looks an order up: ``DISPATCH_PUBLIC_URL`` + ``/status``, or, with
    no public address set, the WeChat account and the hotline (never a bare path).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> status_url(NS(settings=NS(public_url="https://12345.leshan.gov.cn/")))
    'https://12345.leshan.gov.cn/status'
    >>> "12345" in status_url(NS(settings=NS(public_url="")))
    True
    """
    base = center.settings.public_url.rstrip("/")
    return f"{base}/status" if base else LOOKUP_WITHOUT_URL


async def queue_text(
    center: Center, conn: Any, order: Row, template: notices.Template, **values: str
) -> Row | None:
    """Queue one templated text to the order's reporter; ``None`` without a mobile.

    Urgent orders' texts may leave in the quiet hours.
    """
    to = mobile_of(order.get("reporter_phone"))
    if to is None:
        return None
    body = notices.render(template, number=order["number"], **values)
    return await outbox_store.enqueue(
        conn,
        {
            "channel": "sms",
            "recipient": to,
            "body": body,
            "ref_kind": "order",
            "ref_id": str(order["id"]),
            "at": center.now(),
            "template": template.value,
            "order_id": order["id"],
            "urgent": order.get("urgency") == "urgent",
        },
    )


async def after_receive(center: Center, conn: Any, order: Row) -> None:
    """受理回执: the number and where to look it up."""
    await queue_text(center, conn, order, notices.Template.receipt, status_url=status_url(center))


async def after_action(
    center: Center, conn: Any, order: Row, action: lc.Action, note: str | None
) -> None:
    """The text, if any, that tells the reporter of ``action`` (``order`` as changed)."""
    A = lc.Action
    T = notices.Template
    if action in (A.dispatch, A.redispatch):
        unit = center.reference.units.get(order.get("assigned_unit") or "", {})
        await queue_text(center, conn, order, T.dispatched, unit=unit.get("name") or "责任单位")
    elif action is A.approve_extension:
        reply_by = to_shanghai(order["reply_by"]).strftime("%Y年%m月%d日%H:%M")
        await queue_text(center, conn, order, T.extension, reply_by=reply_by)
    elif action in (A.reply, A.resolve_at_intake):
        summary = (note or "").strip() or f"详情可在{status_url(center)}查询。"
        await queue_text(center, conn, order, T.replied, summary=summary)
