"""What the intake's steps hand each other: an accepted payload waiting in the queue, what a
channel made of it, the signatures of channels, hooks and prechecks, and the counters.

The steps (:mod:`.queue`, :mod:`.processing`, :mod:`.ingest`) and the channels import these
shapes from here, so none of them needs another to name them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from dispatch_center.center import Center
from feeds.base import Normalized, OrderDraft, PayloadError
from feeds.runner import Payload

Row = dict[str, Any]
#: The orders made from a payload's drafts (``None`` where the orders refused a draft).
Made = list[tuple[OrderDraft, Row | None]]
#: Make the order of a draft of ``system`` (idempotent on source + source_id); None if refused.
CreateOrder = Callable[[str, OrderDraft], Awaitable[Row | None]]
#: Keep a payload that cannot be understood: (system, payload, content type, received at,
#: why); the dead letter's id (None while an admin replays one).
DeadLetter = Callable[[str, bytes, str, datetime, PayloadError], Awaitable[int | None]]


@dataclass
class QueueItem:
    """One accepted payload waiting to be processed."""

    system: str
    payload: bytes
    content_type: str
    received_at: datetime
    intake_id: int | None = None
    items: Normalized | None = None
    attempts: int = 0


@dataclass
class ProcessStats:
    """Counters of what processing did (for the health page and the benchmark)."""

    payloads: int = 0
    events_new: int = 0
    events_duplicate: int = 0
    orders_created: int = 0
    orders_existing: int = 0
    triggers: int = 0
    dead: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Decoded:
    """What a channel decoder made of a payload, plus work to do after the orders exist."""

    items: Normalized
    after: Callable[[Made], Awaitable[None]] | None = None


class ChannelContext(Protocol):
    """What a channel's decoder may use of the running intake."""

    @property
    def center(self) -> Center:
        """The center the intake runs in."""

    async def create_order(self, system: str, draft: OrderDraft) -> Row | None:
        """Make the order of a draft (see :data:`CreateOrder`)."""


Validate = Callable[[bytes, datetime], Normalized | None]
Decode = Callable[[ChannelContext, bytes, datetime], Awaitable[Decoded]]
Hook = Callable[[Center, bytes, Normalized, Made], Awaitable[None]]
# A check of a catalogue payload against what the center holds, run before the 202 (the
# adapters are pure and cannot tell whether a message names one of our orders).
Precheck = Callable[[Center, bytes], Awaitable[None]]


@dataclass(frozen=True)
class ChannelSource:
    """An intake channel that is not a catalogue system (voice, e-mail, SMS, ...)."""

    name: str
    validate: Validate
    decode: Decode


def payload_bytes(payload: Payload) -> bytes:
    """A payload as the queue keeps it: bytes as they are, anything else as JSON.

    Examples
    --------
    >>> payload_bytes({"code": 0}), payload_bytes(b"<alert/>")
    (b'{"code":0}', b'<alert/>')
    """
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return orjson.dumps(payload)
