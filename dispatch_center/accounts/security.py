"""Passwords and bearer tokens.

Passwords are hashed with Argon2id (argon2-cffi). Tokens are HS256 JWTs signed
with ``DISPATCH_SECRET_KEY``, carrying the user, role, unit, expiry and the user's token
generation when it was issued (see :mod:`dispatch_center.accounts.ledger`: a token of an
older generation has been revoked).
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

from dispatch_center.core.roles import ROLES_SEEING_FULL_PHONE, Role, parse_role
from dispatch_center.errors import Unauthorized

_hasher = PasswordHasher()
_ALGORITHM = "HS256"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this keeps a login for an unknown user as slow as for a known
    # one. Made on first use: hashing at import slowed every start by a third of a second.
    return _hasher.hash(secrets.token_urlsafe(16))


#: The scope of a wall screen's long-lived token: it reads the wall and nothing else.
WALL_SCOPE = "wall"


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    username: str
    role: Role
    unit_code: str | None = None
    #: :data:`WALL_SCOPE` for a wall screen's token (admitted only where a route says so).
    scope: str | None = None
    #: The user's token generation the token was issued in (0 for tokens made before
    #: generations existed); a token of an older generation than the user's was revoked.
    generation: int = 0
    #: The wall link (:mod:`dispatch_center.store.wall_links`) a wall screen's token names:
    #: such a token ends when its link is revoked, not when its issuer signs out. None for
    #: a person's token (and for a wall token made before wall links had rows).
    link: int | None = None

    @property
    def is_wall(self) -> bool:
        """True for a wall screen's token.

        Examples
        --------
        >>> Principal("duty", Role.duty_officer, scope=WALL_SCOPE).is_wall
        True
        """
        return self.scope == WALL_SCOPE

    @property
    def sees_full_phone(self) -> bool:
        """Whether citizens' numbers are shown in full: never on a wall screen, whoever
        issued its token; else by role (``ROLES_SEEING_FULL_PHONE``).

        Examples
        --------
        >>> Principal("duty", Role.duty_officer).sees_full_phone
        True
        >>> Principal("duty", Role.duty_officer, scope=WALL_SCOPE).sees_full_phone
        False
        """
        return not self.is_wall and self.role in ROLES_SEEING_FULL_PHONE


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: who (of which token generation), until when."""

    principal: Principal
    #: Expiry, Unix seconds.
    expires_at: float


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

    ``principal.generation`` should be the user's token generation now: raising it later
    revokes the token.

    Examples
    --------
    >>> t = issue_token(Principal("duty", Role.duty_officer), "k" * 32, timedelta(minutes=5))
    >>> decode_token(t, "k" * 32).principal.role
    <Role.duty_officer: 'duty_officer'>
    """
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": principal.username,
        "role": principal.role.value,
        "unit": principal.unit_code,
        "gen": principal.generation,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if principal.scope:
        claims["scope"] = principal.scope
    if principal.link is not None:
        claims["wl"] = principal.link
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_token(token: str, secret: str) -> TokenClaims:
    """What a token says, signature and expiry checked; :class:`Unauthorized` if invalid
    or expired. Whether it was revoked since is :mod:`~dispatch_center.accounts.identity`'s
    question.
    """
    claims = _verified(token, secret)
    if time.time() >= claims.expires_at:
        raise Unauthorized("token expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> TokenClaims:
    # A signature checks out or not forever, so verify each token once per process;
    # expiry is still checked on every request by the caller.
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "role"]}
        )
        generation = claims.get("gen", 0)
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise ValueError("gen is not an integer")
        link = claims.get("wl")
        if link is not None and (not isinstance(link, int) or isinstance(link, bool)):
            raise ValueError("wl is not an integer")
        who = Principal(
            claims["sub"],
            parse_role(claims["role"]),
            claims.get("unit"),
            claims.get("scope"),
            generation,
            link if claims.get("scope") == WALL_SCOPE else None,
        )
        return TokenClaims(who, float(claims["exp"]))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("invalid token") from exc
