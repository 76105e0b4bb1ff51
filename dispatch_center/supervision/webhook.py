"""The city video-conference system's webhook: an HMAC-signed join or leave of a session,
recorded as the same presence a button join makes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from dispatch_center.center import Center
from dispatch_center.errors import Invalid, NotFound, Unauthorized, Unavailable
from dispatch_center.store import accounts as account_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.supervision.common import Row, parse_id
from dispatch_center.supervision.sessions import record_presence


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Check ``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.

    Examples
    --------
    >>> sig = "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    >>> verify_signature("k", b"{}", sig)
    """
    if not signature:
        raise Unauthorized("missing X-Signature header")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        raise Unauthorized("bad webhook signature")


async def video_webhook(center: Center, body: bytes, signature: str | None) -> Row:
    """A join or leave reported by the city's video-conference system.

    Payload: ``{"event_id", "event": "participant.joined|participant.left", "session_id"
    or "room_url", "participant": {"user"?, "id"?, "name"?}, "at"?}``. ``user`` is our
    username (the room link carries it), so a button join and the webhook's join of the
    same person are one presence; without it the video system's ``id`` is used.
    """
    if not signature:
        raise Unauthorized("missing X-Signature header (HMAC-SHA256 of the body)")
    secret = center.settings.video_webhook_secret
    if not secret:
        raise Unavailable("video webhook not configured (DISPATCH_VIDEO_WEBHOOK_SECRET)")
    verify_signature(secret, body, signature)
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise Invalid(f"body is not a JSON object: {exc}", fields={"body": "JSON object"}) from exc
    event = payload.get("event")
    if event not in ("participant.joined", "participant.left"):
        raise Invalid("unknown event", fields={"event": "participant.joined|participant.left"})
    person = payload.get("participant") or {}
    if not isinstance(person, dict) or not (person.get("user") or person.get("id")):
        raise Invalid("participant needs user or id", fields={"participant": "user or id"})
    key = str(person.get("user") or f"ext:{person['id']}")
    now = center.now()
    at = now
    if payload.get("at"):
        try:
            at = datetime.fromisoformat(str(payload["at"]))
        except ValueError as exc:
            raise Invalid("at is not ISO 8601", fields={"at": "ISO 8601 with offset"}) from exc
        if at.tzinfo is None:
            raise Invalid("at must carry a UTC offset", fields={"at": "naive datetime"})
        at = min(at, now)  # a clock ahead of ours must not put presence in the future
    async with center.db.connection() as conn:
        if payload.get("session_id") is not None:
            s = await session_store.get_session(
                conn, parse_id(str(payload["session_id"]), "session")
            )
        elif payload.get("room_url"):
            s = await session_store.session_by_room(conn, str(payload["room_url"]))
        else:
            raise Invalid("name the session", fields={"session_id": "or room_url"})
        if s is None:
            raise NotFound("no such session")
        event_id = str(payload.get("event_id") or "")
        if event_id and not await session_store.seen_webhook(conn, event_id, now, payload):
            return {
                "session_id": str(s["id"]),
                "participant": key,
                "changed": False,
                "duplicate": True,
            }
        role = None
        if person.get("user"):
            user = await account_store.get_user(conn, str(person["user"]))
            role = user["role"] if user else None
    what = "join" if event == "participant.joined" else "leave"
    return await record_presence(
        center, s["id"], what, key, str(person.get("name") or key), role, "webhook", at
    )
