"""Errors the services raise; the API maps each to one HTTP status and JSON body."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base: carries a machine code, a human message and optional per-field details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class NotFound(ServiceError):
    """The thing named does not exist (or the caller may not know it exists)."""

    status = 404
    code = "not_found"


class Invalid(ServiceError):
    """Well-formed input that names something unusable, e.g. an unknown category."""

    status = 422
    code = "invalid"


class Conflict(ServiceError):
    """The request clashes with the current state: illegal transition, lost race."""

    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    """The upload is over its size limit."""

    status = 413
    code = "payload_too_large"


class Forbidden(ServiceError):
    """The caller's role may not do this."""

    status = 403
    code = "forbidden"


class Unauthorized(ServiceError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"


class TooManyRequests(ServiceError):
    """Too many attempts: wait ``retry_after`` seconds (sent as ``Retry-After``)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """A dependency is down."""

    status = 503
    code = "unavailable"


def parse_id(value: str, what: str) -> int:
    """A numeric id from a URL path; anything else is "no such ``what``" (404), never a 422.

    Shared by every service package whose paths carry numeric ids (supervision sessions,
    command incidents, ...): the one place the rule lives, low enough that any layer may
    import it.

    Examples
    --------
    >>> parse_id("42", "session")
    42
    >>> parse_id("4x", "incident")
    Traceback (most recent call last):
    ...
    dispatch_center.errors.NotFound: no incident '4x'
    """
    if not (value.isascii() and value.isdigit()) or len(value) > 18 or int(value) < 1:
        raise NotFound(f"no {what} {value!r}")
    return int(value)
