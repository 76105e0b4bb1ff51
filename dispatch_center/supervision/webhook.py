"""The city video-conference system's webhook: a signed join or leave of a session,
recorded as the same presence a button join makes.

Signed as the feeds are (:mod:`dispatch_center.accounts.signatures`): ``X-Timestamp`` and
``X-Signature: sha256=<HMAC-SHA256(secret, timestamp + "." + body)>``, the timestamp within
``DISPATCH_SIGNATURE_WINDOW_S`` of our clock, and each signature accepted once, so a
captured call cannot be played again (its ``event_id`` is optional, and a replayed leave
would take a leader out of a session).
"""

from __future__ import annotations

import hmac
import json
import time
from datetime import datetime

from dispatch_center.accounts.signatures import first_time, fresh_timestamp, sign
from dispatch_center.center import Center
from dispatch_center.errors import Invalid, NotFound, Unauthorized, Unavailable, parse_id
from dispatch_center.store import accounts as account_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.supervision.common import Row
from dispatch_center.supervision.sessions import record_presence


async def video_webhook(
    center: Center, body: bytes, signature: str | None, timestamp: str | None
) -> Row:
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
    ts = fresh_timestamp(timestamp, center.settings.signature_window_s, time.time())
    if not hmac.compare_digest(sign(secret, body, ts).encode(), signature.strip().lower().encode()):
        raise Unauthorized("X-Signature does not match X-Timestamp and the body")
    if await first_time(center, "video", signature.strip().lower(), body) != "new":
        raise Unauthorized("this signed call was already received (a replay)")
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
