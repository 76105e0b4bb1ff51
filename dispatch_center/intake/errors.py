"""Why the intake refuses a payload: too large (413), too fast or a full queue (429), or not
understood (422, the payload kept as a dead letter).
"""

from __future__ import annotations

from typing import Any

from dispatch_center.errors import ServiceError
from feeds.base import PayloadError


class TooLarge(ServiceError):
    """The payload is over the source's size limit."""

    status = 413
    code = "payload_too_large"


class RateLimited(ServiceError):
    """The source sends faster than its limit, or the intake queue is full."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class BadPayload(ServiceError):
    """The payload cannot be understood; it is kept as a dead letter."""

    status = 422
    code = "invalid_payload"


def bad_payload(system: str, exc: PayloadError, dead_letter_id: Any = None) -> BadPayload:
    """The 422 for a payload of ``system`` that ``exc`` refuses, naming the field at fault
    and the dead letter that keeps it (``None`` when none was written).

    Examples
    --------
    >>> err = bad_payload("gas", PayloadError("list[0].value", "not a number"), 7)
    >>> err.status, err.fields, err.extra["dead_letter_id"]
    (422, {'list[0].value': 'not a number'}, '7')
    """
    return BadPayload(
        f"{system}: {exc}",
        fields={exc.field: exc.message},
        dead_letter_id=str(dead_letter_id) if dead_letter_id is not None else None,
    )
