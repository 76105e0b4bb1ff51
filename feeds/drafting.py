"""Building order drafts from hotline-style systems (12301, 12315, 12369 ... and 信访)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feeds.base import (
    DraftCategory,
    DraftLocation,
    DraftReporter,
    FeedDescriptor,
    OrderDraft,
    PayloadError,
    Point,
)

# Chinese request-type words used by the national hotline platforms → the order API's types.
REQUEST_TYPES_ZH: Mapping[str, str] = {
    "咨询": "consultation",
    "求助": "help",
    "投诉": "complaint",
    "举报": "report",
    "建议": "suggestion",
    "意见建议": "suggestion",
    "表扬": "suggestion",
}


def request_type(raw: str, field: str) -> str:
    """The API request type for a Chinese (or English) type word.

    Examples
    --------
    >>> request_type("举报", "sqlx")
    'report'
    """
    if raw in REQUEST_TYPES_ZH:
        return REQUEST_TYPES_ZH[raw]
    if raw in REQUEST_TYPES_ZH.values():
        return raw
    raise PayloadError(
        field, f"unknown request type {raw!r}; expected one of {sorted(REQUEST_TYPES_ZH)}"
    )


def hotline_draft(
    descriptor: FeedDescriptor,
    *,
    source_id: str,
    rtype: str,
    code: str,
    urgency: str,
    description: str,
    received_at: datetime,
    location: Point | None = None,
    address: str | None = None,
    name: str | None = None,
    phone: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> OrderDraft:
    """An order draft transferred from another hotline platform (channel ``feed:<system>``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from feeds.base import FeedDescriptor
    >>> d = FeedDescriptor("market_12315", "市场监管12315", "12315", "市市场监管局", "push", 600,
    ...     "wgs84", "hotline")
    >>> hotline_draft(d, source_id="1", rtype="complaint", code="market.consumer",
    ...     urgency="general", description="退款难", address="市中区",
    ...     received_at=datetime.now(timezone.utc)).channel
    'feed:market_12315'
    """
    return OrderDraft(
        channel=descriptor.channel,
        category=DraftCategory(rtype, code),
        urgency="consultation" if rtype == "consultation" else urgency,
        description=description,
        location=DraftLocation(location.lon, location.lat, location.datum) if location else None,
        address=address or (None if location else "乐山市"),
        reporter=DraftReporter(name, phone) if (name or phone) else None,
        source=descriptor.system,
        source_id=source_id,
        received_at=received_at,
        extra=dict(extra or {}),
    )
