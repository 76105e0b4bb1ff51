"""Passwords and bearer tokens.

Passwords are hashed with Argon2id (argon2-cffi). Tokens are HS256 JWTs signed
with ``DISPATCH_SECRET_KEY``, carrying the user, role, unit and expiry.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dispatch_center.core.roles import Role, parse_role
from dispatch_center.errors import Unauthorized

_hasher = PasswordHasher()
_ALGORITHM = "HS256"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this keeps a login for an unknown user as slow as for a known
    # one. Made on first use: hashing at import slowed every start by a third of a second.
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    username: str
    role: Role
    unit_code: str | None = None
    #: "wall" for a long-lived wall-screen token: it may read, never change anything.
    scope: str | None = None


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``.

    Examples
    --------
    >>> verify_password(hash_password("s3cret"), "s3cret")
    True
    """
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant-ish time for unknown users."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def issue_token(
    principal: Principal, secret: str, ttl: timedelta, *, now: datetime | None = None
) -> str:
    """A signed bearer token for ``principal`` valid for ``ttl``.

    Examples
    --------
    >>> t = issue_token(Principal("duty", Role.duty_officer), "k" * 32, timedelta(minutes=5))
    >>> decode_token(t, "k" * 32).role
    <Role.duty_officer: 'duty_officer'>
    """
    issued = now or datetime.now(UTC)
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "unit": principal.unit_code,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if principal.scope:
        claims["scope"] = principal.scope
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    """The principal a token speaks for; :class:`Unauthorized` if invalid or expired."""
    principal, expires = _verified(token, secret)
    if time.time() >= expires:
        raise Unauthorized("token expired")
    return principal


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[Principal, float]:
    # A signature checks out or not forever, so verify each token once per process;
    # expiry is still checked on every request by the caller.
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "role"]}
        )
        who = Principal(
            claims["sub"], parse_role(claims["role"]), claims.get("unit"), claims.get("scope")
        )
        return who, float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise Unauthorized("invalid token") from exc
