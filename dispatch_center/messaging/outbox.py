"""The outbound notification channel: messages are queued in the ``outbox`` table and
delivered by a channel adapter.

The SMS gateway is an outside system the center does not own. Its adapter implements
:class:`ChannelAdapter`; until one is configured, SMS messages stay ``pending`` in the
outbox (visible to operators, delivered once a gateway is plugged in), never reported
as sent. The console channel is ours: its messages are on the handler's console already
(the reminders list), and the :class:`LoggingAdapter` records their delivery in the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from dispatch_center.center import Center
from dispatch_center.store import outbox as outbox_store

log = logging.getLogger(__name__)

Row = dict[str, Any]


@dataclass(frozen=True)
class OutboundMessage:
    """One message as an adapter sees it."""

    id: int
    channel: str
    recipient: str
    body: str


class DeliveryError(Exception):
    """The adapter could not hand the message over (it stays pending for a retry)."""


class ChannelAdapter(Protocol):
    """Hands messages of one channel to the outside system."""

    channel: str

    async def deliver(self, message: OutboundMessage) -> None:
        """Deliver or raise :class:`DeliveryError`."""


class LoggingAdapter:
    """Delivers by writing to the log: the console channel, whose screen is ours."""

    def __init__(self, channel: str = "console") -> None:
        self.channel = channel

    async def deliver(self, message: OutboundMessage) -> None:
        """Log the message."""
        log.info("[%s → %s] %s", message.channel, message.recipient, message.body)


# Adapters by channel; an SMS gateway adapter registers itself here at start-up.
_ADAPTERS: dict[str, ChannelAdapter] = {"console": LoggingAdapter("console")}

MAX_ATTEMPTS = 5


def register_adapter(adapter: ChannelAdapter) -> None:
    """Use ``adapter`` for its channel from now on.

    Examples
    --------
    >>> register_adapter(LoggingAdapter("console"))
    >>> "console" in adapters()
    True
    """
    _ADAPTERS[adapter.channel] = adapter


def adapters() -> dict[str, ChannelAdapter]:
    """The registered adapters by channel."""
    return dict(_ADAPTERS)


async def deliver_pending(center: Center, limit: int = 50) -> dict[str, int]:
    """Deliver pending messages of every channel that has an adapter.

    Each message is claimed with ``FOR UPDATE SKIP LOCKED``, so workers never send one
    twice. A failure leaves it pending until ``MAX_ATTEMPTS``, then marks it failed.
    """
    sent = failed = 0
    async with center.db.connection() as conn, conn.transaction():
        for row in await outbox_store.claim_pending(conn, list(_ADAPTERS), limit):
            msg = OutboundMessage(row["id"], row["channel"], row["recipient"], row["body"])
            try:
                await _ADAPTERS[row["channel"]].deliver(msg)
            except Exception as exc:  # an outside system's failure, kept on the row
                status = "failed" if row["attempts"] + 1 >= MAX_ATTEMPTS else "pending"
                await outbox_store.mark_outbox(
                    conn, row["id"], status, center.now(), str(exc)[:500]
                )
                failed += 1
                continue
            await outbox_store.mark_outbox(conn, row["id"], "sent", center.now())
            sent += 1
    return {"sent": sent, "failed": failed}
