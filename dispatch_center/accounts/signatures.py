"""Signed machine requests (feeds, WeChat, the video webhook): how they are signed, how
fresh they must be, and that each is accepted once.

A signed request carries ``X-Timestamp: <Unix milliseconds (or seconds)>`` and
``X-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>`` (:func:`sign`):
the timestamp is inside the signed material, so it cannot be changed, and
:func:`fresh_timestamp` holds it to a window of the server's clock.

A signed request's timestamp must be within ``DISPATCH_SIGNATURE_WINDOW_S`` of the server's
clock (checked where its signature is); within that window its signature (HMAC feeds) or
its timestamp and nonce (WeChat) are remembered in PostgreSQL (``store.nonces``), which
every worker shares and which is there with or without Redis. The same one again is a
replay; for WeChat, whose platform retries a callback with the same nonce and body, the
same body again is a retry that is answered without being processed twice.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from datetime import timedelta
from typing import Literal

from dispatch_center.center import Center
from dispatch_center.errors import Unauthorized
from dispatch_center.store import nonces

Seen = Literal["new", "retry", "replay"]
# One call in this many also purges rows that can no longer match (cheap, indexed).
PURGE_ONE_IN = 200


async def first_time(center: Center, scope: str, nonce: str, body: bytes) -> Seen:
    """Whether ``nonce`` of ``scope`` is new, a retry (same body) or a replay (another body,
    or a signature that covers the body seen again).
    """
    digest = hashlib.sha256(body).hexdigest()
    # Kept for twice the window: a timestamp up to a window ahead stays fresh that long.
    keep = timedelta(seconds=2 * center.settings.signature_window_s)
    async with center.db.connection() as conn:
        seen = await nonces.remember(conn, scope, nonce, digest, keep)
        if random.randrange(PURGE_ONE_IN) == 0:
            await nonces.purge(conn)
    if seen is None:
        return "new"
    return "retry" if seen == digest else "replay"


def sign(secret: str, body: bytes, timestamp: int | str) -> str:
    """The ``X-Signature`` header value for ``body`` sent with ``X-Timestamp: timestamp``:
    HMAC-SHA256 of ``"<timestamp>." + body``.

    Examples
    --------
    >>> sign("s", b"{}", 1795737600)[:14]
    'sha256=155cb04'
    """
    material = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), material, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers a source sends with a signed ``body`` (``X-Timestamp`` in milliseconds,
    ``X-Signature``).

    Examples
    --------
    >>> signed_headers("s", b"{}", now=1795737600.5)["X-Timestamp"]
    '1795737600500'
    """
    ts = int((time.time() if now is None else now) * 1000)
    return {"X-Timestamp": str(ts), "X-Signature": sign(secret, body, ts)}


def fresh_timestamp(raw: str | None, window_s: float, now: float) -> str:
    """``X-Timestamp`` as sent (Unix seconds or milliseconds), checked to lie within
    ``window_s`` of ``now`` (401 otherwise).

    Examples
    --------
    >>> fresh_timestamp("1795737600500", 300, now=1795737700.0)
    '1795737600500'
    >>> fresh_timestamp("1795737600", 300, now=1795747600.0)
    Traceback (most recent call last):
    ...
    dispatch_center.errors.Unauthorized: X-Timestamp is more than 300 s from the server's clock
    """
    ts = (raw or "").strip()
    if not (ts.isascii() and ts.isdigit() and len(ts) in (10, 13)):
        raise Unauthorized("a signed request carries X-Timestamp: <Unix milliseconds or seconds>")
    seconds = int(ts) / 1000 if len(ts) == 13 else int(ts)
    if abs(now - seconds) > window_s:
        raise Unauthorized(f"X-Timestamp is more than {window_s:g} s from the server's clock")
    return ts
