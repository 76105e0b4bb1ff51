"""Signed intake requests are accepted once: the memory of signatures and nonces.

A signed request's timestamp must be within ``DISPATCH_SIGNATURE_WINDOW_S`` of the server's
clock (checked where its signature is); within that window its signature (HMAC feeds) or
its timestamp and nonce (WeChat) are remembered in PostgreSQL (``store.nonces``), which
every worker shares and which is there with or without Redis. The same one again is a
replay; for WeChat, whose platform retries a callback with the same nonce and body, the
same body again is a retry that is answered without being processed twice.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Literal

from dispatch_center.center import Center
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
