"""Texts that arrive through the center's own SMS gateway (Kannel's MO ``get-url``):
made into the SMS channel's payload and accepted like any other, so a survey reply is
read as one and anything else becomes an order (:mod:`~.channels`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from dispatch_center.center import Center
from dispatch_center.intake.runtime import IntakeRuntime


async def accept_gateway_text(
    center: Center, sender: str, dest: str, text: str, msg_id: str
) -> dict[str, Any]:
    """Queue one citizen's text from the gateway (idempotent on ``msg_id``)."""
    intake = center.runtimes.get(IntakeRuntime)
    payload = {
        "msgId": f"gw-{msg_id}",
        "mobile": sender.lstrip("+"),
        "dest": dest or "12345",
        "content": text,
        "recvTime": center.now().isoformat(),
    }
    return await intake.ingest.accept("sms", orjson.dumps(payload), "application/json")


async def sms_text_in(center: Center, sender: str, text: str) -> None:
    """A citizen's text the SMPP gateway read (no message id of the gateway's own: one is
    made from the text and the time, as the HTTP route does without Kannel's ``%I``).
    """
    msg_id = hashlib.sha256(f"{sender}|{text}|{center.now()}".encode()).hexdigest()
    await accept_gateway_text(center, sender, center.settings.sms_sender, text, msg_id[:64])
