"""Letters: registered by staff (来信登记) with the scan attached → an order draft.

The registration form is the center's own (JSON from the registration page)::

    {"registrationNo": "XJ20261127003", "senderName": "...", "senderPhone": "...",
     "senderAddress": "...", "postmarkDate": "2026-11-24", "receivedAt": "...",
     "summary": "来信摘要（登记员录入）", "type": "complaint", "code": "housing.property",
     "scan": {"filename": "XJ20261127003.pdf", "contentType": "application/pdf",
              "contentBase64": "..."}, "registeredBy": "staff01"}
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feeds.base import Attachment, DraftCategory, DraftReporter, OrderDraft, PayloadError
from feeds.channels.triage import guess_address, guess_category
from feeds.payload import as_mapping, get, opt_text, text, time_field

SCAN_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/tiff")
MAX_SCAN_BYTES = 20_000_000


def letter_to_draft(payload: bytes | Mapping[str, Any]) -> OrderDraft:
    """A registered letter → an order draft (channel ``letter``) with its scan attached.

    Examples
    --------
    >>> d = letter_to_draft({"registrationNo": "XJ1", "senderName": "李四",
    ...     "senderAddress": "夹江县漹城镇", "receivedAt": "2026-11-27 09:00:00",
    ...     "summary": "小区物业乱收费", "scan": {"filename": "XJ1.pdf",
    ...     "contentType": "application/pdf", "contentBase64": "JVBERi0xLjQK"}})
    >>> (d.channel, d.attachments[0].content[:5], d.category.code)
    ('letter', b'%PDF-', 'housing.property')
    """
    data = as_mapping(payload)
    summary = text(data, "summary")
    scan = get(data, "scan")
    if not isinstance(scan, Mapping):
        raise PayloadError("scan", "the letter's scan must be attached")
    ctype = text(scan, "contentType", prefix="scan.")
    if ctype not in SCAN_TYPES:
        raise PayloadError("scan.contentType", f"{ctype!r} is not one of {SCAN_TYPES}")
    try:
        content = base64.b64decode(text(scan, "contentBase64", prefix="scan."), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError("scan.contentBase64", "not valid base64") from exc
    if not content or len(content) > MAX_SCAN_BYTES:
        raise PayloadError("scan.contentBase64", f"scan must be 1 to {MAX_SCAN_BYTES} bytes")
    guessed_type, guessed_code = guess_category(summary)
    rtype = opt_text(data, "type") or guessed_type
    try:
        category = DraftCategory(rtype, opt_text(data, "code") or guessed_code)
    except ValueError as exc:
        raise PayloadError("type", str(exc)) from exc
    where = opt_text(data, "senderAddress")
    received: datetime = time_field(data, "receivedAt")
    return OrderDraft(
        channel="letter",
        category=category,
        urgency="consultation" if rtype == "consultation" else "general",
        description=f"【来信】{summary}",
        address=guess_address(summary) or where or "乐山市（来信未注明地址）",
        reporter=DraftReporter(opt_text(data, "senderName"), opt_text(data, "senderPhone")),
        source="letter",
        source_id=text(data, "registrationNo"),
        received_at=received,
        attachments=(Attachment(text(scan, "filename", prefix="scan."), ctype, content),),
        extra={
            "postmark": opt_text(data, "postmarkDate"),
            "sender_address": where,
            "registered_by": opt_text(data, "registeredBy"),
            "auto_classified": not data.get("code"),
        },
    )
