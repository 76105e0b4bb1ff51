"""The handlers' workbench vocabulary: return reasons, reply outcomes, and which list an
order belongs on (待签收, 办理中, 即将超时, 已超时).

Pure: the service and the page share these tables (the page reads them from its JSON
block), so a reason or an outcome the page offers is one the API accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = ["OUTCOMES", "RETURN_REASONS", "Bucket", "bucket_of", "check_outcome", "check_reason"]

#: Reasons a unit returns an order (退单) or hands it back up (回退), with their labels.
RETURN_REASONS: dict[str, str] = {
    "not_our_duty": "不属于本单位职责",
    "wrong_area": "不在本辖区",
    "duplicate": "重复工单",
    "insufficient_info": "诉求信息不全，无法办理",
    "beyond_capacity": "超出本级处置能力",
    "other": "其他",
}

#: The outcome of a reply (办结): solved, partly solved, or explained (解释说明).
OUTCOMES: dict[str, str] = {
    "solved": "已解决",
    "partly": "部分解决",
    "explained": "解释说明",
}


class Bucket(StrEnum):
    """A list of the workbench."""

    to_accept = "to_accept"  # 待签收
    in_hand = "in_hand"  # 办理中
    due_soon = "due_soon"  # 即将超时
    overdue = "overdue"  # 已超时


def check_reason(code: str | None) -> str | None:
    """Why ``code`` is no reason from the list, or None when it is one.

    Examples
    --------
    >>> check_reason("wrong_area") is None, check_reason("bored") is not None
    (True, True)
    """
    if code is None or code in RETURN_REASONS:
        return None
    return f"unknown reason {code!r}; one of: {', '.join(RETURN_REASONS)}"


def check_outcome(code: str | None) -> str | None:
    """Why ``code`` is no reply outcome, or None when it is one (or not given).

    Examples
    --------
    >>> check_outcome("partly") is None, check_outcome("maybe") is not None
    (True, True)
    """
    if code is None or code in OUTCOMES:
        return None
    return f"unknown outcome {code!r}; one of: {', '.join(OUTCOMES)}"


def bucket_of(order: Mapping[str, Any]) -> Bucket | None:
    """The list an order view (``status``, ``overdue``, ``due_soon``) belongs on, or None
    when it is no longer the handler's work (answered, returned, closed).

    Examples
    --------
    >>> bucket_of({"status": "dispatched", "overdue": False, "due_soon": False})
    <Bucket.to_accept: 'to_accept'>
    >>> bucket_of({"status": "in_progress", "overdue": True, "due_soon": False})
    <Bucket.overdue: 'overdue'>
    >>> bucket_of({"status": "replied", "overdue": False, "due_soon": False}) is None
    True
    """
    status = order.get("status")
    if status not in ("dispatched", "accepted", "in_progress"):
        return None
    if order.get("overdue"):
        return Bucket.overdue
    if order.get("due_soon"):
        return Bucket.due_soon
    return Bucket.to_accept if status == "dispatched" else Bucket.in_hand
