"""Web Push (VAPID) to the handlers' phones: the ``webpush`` channel of the outbox.

A ``webpush`` message is addressed to a unit (``unit:<code>``); its adapter sends it to every
phone of that unit's people that allowed notifications, through the browser's push service
with :mod:`pywebpush`. New orders (a dispatch or a pass down), reminders and 督办单 are queued
(:func:`dispatch_center.store.push.enqueue_push`), so the outbox records each; a subscription
the push service says is gone (404/410) is forgotten.

Keys: the VAPID private key from ``DISPATCH_VAPID_PRIVATE_KEY`` (never in the repository);
the demo makes a pair at startup when none is set. Without a key there is no push: the
adapter is not registered and nothing is queued for it to send.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from dispatch_center.center import Center
from dispatch_center.errors import Conflict
from dispatch_center.messaging.outbox import OutboundMessage, channels_of
from dispatch_center.store import push as push_store

log = logging.getLogger(__name__)

CHANNEL = "webpush"


@dataclass(frozen=True)
class PushKeys:
    """The VAPID key pair of this center: a runtime held on the center."""

    vapid: Vapid
    subject: str

    @property
    def public_key(self) -> str:
        """The public key as the browser's ``applicationServerKey`` (base64url, no padding)."""
        raw = self.vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_keys(private_key: str, subject: str, *, generate: bool) -> PushKeys | None:
    """The key pair from the settings' PEM (or a path to one); a new one when ``generate``
    and none is set; None when push is off.
    """
    if private_key.strip():
        text = private_key.strip()
        vapid = Vapid.from_pem(text.encode()) if text.startswith("-----") else Vapid.from_file(text)
    elif generate:
        vapid = Vapid()
        vapid.generate_keys()
    else:
        return None
    return PushKeys(vapid, subject)


class WebPushAdapter:
    """Delivers ``webpush`` messages to the phones of the recipient unit."""

    channel = CHANNEL

    def __init__(self, center: Center, keys: PushKeys) -> None:
        self.center = center
        self.keys = keys

    async def deliver(self, message: OutboundMessage) -> None:
        """Send to every subscribed phone of the unit; raise when none could be reached."""
        unit = message.recipient.removeprefix("unit:")
        async with self.center.db.connection() as conn:
            subs = await push_store.unit_subscriptions(conn, unit)
        payload = json.dumps(
            {"title": "乐山12345", "body": message.body, "url": _link(message)},
            ensure_ascii=False,
        )
        failures = 0
        for sub in subs:
            info = {
                "endpoint": sub["endpoint"],
                "keys": {"p256dh": sub["p256dh"], "auth": sub["auth"]},
            }
            try:
                await asyncio.to_thread(
                    webpush,
                    info,
                    payload,
                    vapid_private_key=self.keys.vapid,
                    vapid_claims={"sub": self.keys.subject},
                    ttl=86400,
                    timeout=10,
                )
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in (404, 410):  # the phone unsubscribed: forget it
                    async with self.center.db.connection() as conn:
                        await push_store.drop_subscription(conn, sub["endpoint"])
                    continue
                failures += 1
                log.warning("web push to %s failed: %s", sub["username"], exc)
        if subs and failures == len(subs):
            raise RuntimeError(f"no phone of {unit} could be reached")


def _link(message: OutboundMessage) -> str:
    return "/handler"


async def subscribe(center: Center, username: str, endpoint: str, p256dh: str, auth: str) -> None:
    """Keep a phone's subscription; 409 when push is not configured here."""
    if center.runtimes.find(PushKeys) is None:
        raise Conflict("web push is not configured here (DISPATCH_VAPID_PRIVATE_KEY)")
    async with center.db.connection() as conn:
        await push_store.add_subscription(conn, username, endpoint, p256dh, auth)


def start_webpush(center: Center) -> PushKeys | None:
    """Register the ``webpush`` adapter when a VAPID key is set (or the demo makes one)."""
    s = center.settings
    keys = center.runtimes.find(PushKeys)
    if keys is None:
        keys = load_keys(s.vapid_private_key, s.vapid_subject, generate=s.demo)
        if keys is None:
            return None
        center.runtimes.attach(keys)
    channels_of(center).add(WebPushAdapter(center, keys))
    return keys
