"""Who may post to the intake, and how much: each source's credentials and limits.

A source authenticates with its API key (``X-Api-Key``), an HMAC signature or an admin's
bearer token; its size limit (413) and token-bucket rate limit (429 + ``Retry-After``)
apply before anything is queued. The keys, secrets and limits come from the settings and
are written to ``feed_sources`` at start.

A signed request carries ``X-Timestamp: <Unix milliseconds (or seconds)>`` and
``X-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>`` (:func:`sign`,
the timestamp exactly as sent): the timestamp is inside the signed material, so it cannot be
changed, and it must be within ``DISPATCH_SIGNATURE_WINDOW_S`` of the server's clock. Within
that window each signature is accepted once (``accounts.signatures``, shared by every worker): a
captured request cannot be replayed. A source signs each attempt anew (a retry too), with
its current time; two identical bodies signed with the same timestamp are one request.
A source that has a signing secret must sign: its API key alone is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dispatch_center.accounts.security import Principal
from dispatch_center.accounts.signatures import fresh_timestamp, sign
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, NotFound, Unauthorized
from dispatch_center.intake.errors import RateLimited, TooLarge
from dispatch_center.store import intake as intake_store


@dataclass
class TokenBucket:
    """``rate`` tokens a second up to ``burst``; each payload takes one.

    Examples
    --------
    >>> b = TokenBucket(rate=1.0, burst=2, tokens=2.0, updated=0.0)
    >>> b.take(0.0), b.take(0.0), round(b.take(0.0), 2)
    (0.0, 0.0, 1.0)
    """

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else 3600.0


@dataclass
class Source:
    """One source's credentials and limits (the ``feed_sources`` row)."""

    system: str
    key_hash: str | None
    hmac_secret: str | None
    rate_per_s: float
    burst: int
    max_bytes: int
    bucket: TokenBucket | None = None


def key_hash(key: str) -> str:
    """How an API key is stored (SHA-256 hex; keys are long random strings, not passwords).

    Examples
    --------
    >>> key_hash("k")[:12]
    '8254c329a928'
    """
    return hashlib.sha256(key.encode()).hexdigest()


def parse_pairs(raw: str | None) -> dict[str, str]:
    """``"a=1,b=2"`` → ``{"a": "1", "b": "2"}`` (the settings' per-source lists).

    Examples
    --------
    >>> parse_pairs("hydrology=k1, skynet=k2")
    {'hydrology': 'k1', 'skynet': 'k2'}
    """
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() and v.strip():
                out[k.strip()] = v.strip()
    return out


def parse_limit(raw: str, rate: float, burst: int, max_bytes: int) -> tuple[float, int, int]:
    """``"rate/burst/max_bytes"`` with any part left empty keeping the default.

    Examples
    --------
    >>> parse_limit("50/200/", 20.0, 100, 262144)
    (50.0, 200, 262144)
    """
    parts = [*raw.split("/"), "", "", ""][:3]
    return (
        float(parts[0]) if parts[0] else rate,
        int(parts[1]) if parts[1] else burst,
        int(parts[2]) if parts[2] else max_bytes,
    )


def demo_api_key(configured: str | None, data_dir: Path) -> str:
    """The demo's key of every source: configured, else made once per data directory.

    The demo command writes the same file (``demo-api-key``), so both agree.
    """
    if configured:
        return configured
    path = Path(data_dir) / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    path.write_text(value)
    path.chmod(0o600)
    return value


class Sources:
    """The sources of one process, loaded by :meth:`seed`: who may post, and how much."""

    def __init__(self) -> None:
        self.by_system: dict[str, Source] = {}
        self._by_hash: dict[str, str] = {}
        self.demo_api_key: str | None = None
        self.signature_window_s = 300

    async def seed(self, center: Center, systems: Iterable[str]) -> None:
        """Write each source's key hash, secret and limits from the settings; load them."""
        s = center.settings
        self.signature_window_s = s.signature_window_s
        keys = parse_pairs(s.feed_keys)
        secrets_ = parse_pairs(s.feed_hmac_secrets)
        limits = parse_pairs(s.feed_limits)
        if s.demo:
            self.demo_api_key = demo_api_key(s.demo_api_key, s.data_dir)
        async with center.db.connection() as conn:
            for system in systems:
                key = keys.get(system) or (self.demo_api_key if s.demo else None)
                rate, burst, max_bytes = s.feed_rate_per_s, s.feed_burst, s.feed_max_bytes
                if system in limits:
                    rate, burst, max_bytes = parse_limit(limits[system], rate, burst, max_bytes)
                await intake_store.upsert_source(
                    conn,
                    system,
                    key_hash=key_hash(key) if key else None,
                    hmac_secret=secrets_.get(system),
                    rate_per_s=rate,
                    burst=burst,
                    max_bytes=min(max_bytes, s.max_body_bytes),
                )
            rows = await intake_store.list_sources(conn)
        self.by_system = {
            r["system"]: Source(
                r["system"],
                r["key_hash"],
                r["hmac_secret"],
                r["rate_per_s"],
                r["burst"],
                r["max_bytes"],
            )
            for r in rows
            if r["enabled"]
        }
        self._by_hash = {}
        for src in self.by_system.values():
            if src.key_hash:
                # In the demo every source shares one key: it then names no single source.
                self._by_hash[src.key_hash] = "*" if src.key_hash in self._by_hash else src.system

    def find(self, system: str) -> Source | None:
        """The source named ``system``, or None when it is not connected."""
        return self.by_system.get(system)

    def get(self, system: str) -> Source:
        """The source named ``system`` (404 when not connected)."""
        src = self.by_system.get(system)
        if src is None:
            raise NotFound(f"no connected system {system!r}")
        return src

    def authenticate(
        self,
        system: str,
        headers: Mapping[str, str],
        body: bytes,
        principal: Principal | None,
        staff: frozenset[Role] = frozenset(),
    ) -> str:
        """Check the source's credentials; returns how it authenticated.

        401 without credentials or with a wrong key or signature, 403 for a valid key of
        another source or a signed-in user who is not an admin (or one of ``staff``, for
        channels staff feed by hand: the seat's call form, letters).
        """
        signature = headers.get("x-signature")
        if not (signature or headers.get("x-api-key") or principal):
            raise Unauthorized(
                "a source authenticates with X-Api-Key, X-Timestamp + X-Signature"
                " or an admin's bearer token"
            )
        src = self.get(system)
        if signature:
            if not src.hmac_secret:
                raise Unauthorized(f"{system} has no signing secret: use X-Api-Key")
            ts = self._fresh_timestamp(headers.get("x-timestamp"))
            good = sign(src.hmac_secret, body, ts)
            if not hmac.compare_digest(good.encode(), signature.strip().lower().encode()):
                raise Unauthorized("X-Signature does not match X-Timestamp and the body")
            return "signature"
        key = headers.get("x-api-key")
        if key and src.hmac_secret:
            # A key can be replayed and covers no body: a source that can sign must.
            raise Unauthorized(
                f"{system} signs its payloads: send X-Timestamp and X-Signature, not X-Api-Key"
            )
        if key:
            h = key_hash(key)
            if src.key_hash and hmac.compare_digest(src.key_hash, h):
                return "api_key"
            owner = self._by_hash.get(h)
            if owner is not None:
                raise Forbidden(f"this key belongs to another source, not {system}")
            raise Unauthorized("unknown API key")
        if principal is not None:
            if principal.role is not Role.admin and principal.role not in staff:
                raise Forbidden("only an admin may post for a source; sources use their key")
            return "admin"
        raise Unauthorized(
            "a source authenticates with X-Api-Key, X-Timestamp + X-Signature or an admin token"
        )

    def _fresh_timestamp(self, raw: str | None) -> str:
        return fresh_timestamp(raw, self.signature_window_s, time.time())

    def check_limits(self, system: str, size: int) -> None:
        """Size (413) and rate (429) limits of the source."""
        src = self.get(system)
        if size > src.max_bytes:
            raise TooLarge(f"{system}: payload of {size} bytes is over its {src.max_bytes} limit")
        now = time.monotonic()
        if src.bucket is None:
            src.bucket = TokenBucket(src.rate_per_s, src.burst, float(src.burst), now)
        wait = src.bucket.take(now)
        if wait > 0:
            raise RateLimited(
                f"{system} sends faster than {src.rate_per_s:g}/s", max(1, math.ceil(wait))
            )
