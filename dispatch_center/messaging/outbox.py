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


class ChannelAdapter(Protocol):
    """Hands messages of one channel to the outside system."""

    channel: str

    async def deliver(self, message: OutboundMessage) -> None:
        """Deliver, or raise (the message stays pending for a retry)."""


class LoggingAdapter:
    """Delivers by writing to the log: the console channel, whose screen is ours."""

    def __init__(self, channel: str = "console") -> None:
        self.channel = channel

    async def deliver(self, message: OutboundMessage) -> None:
        """Log the message."""
        log.info("[%s → %s] %s", message.channel, message.recipient, message.body)


MAX_ATTEMPTS = 5


class OutboundChannels:
    """The adapters of this process by channel: a runtime held on the center
    (``center.runtimes``); an SMS gateway's adapter is added when one is configured.

    Examples
    --------
    >>> channels = OutboundChannels()
    >>> sorted(channels.adapters)
    ['console']
    >>> channels.add(LoggingAdapter("test"))
    >>> sorted(channels.adapters)
    ['console', 'test']
    """

    def __init__(self) -> None:
        self.adapters: dict[str, ChannelAdapter] = {"console": LoggingAdapter("console")}

    def add(self, adapter: ChannelAdapter) -> None:
        """Deliver the messages of ``adapter.channel`` through ``adapter`` from now on."""
        self.adapters[adapter.channel] = adapter


def channels_of(center: Center) -> OutboundChannels:
    """The center's outbound channels (attached on first use: the console channel)."""
    return center.runtimes.find(OutboundChannels) or center.runtimes.attach(OutboundChannels())


async def deliver_pending(center: Center, limit: int = 50) -> dict[str, int]:
    """Deliver pending messages of every channel that has an adapter.

    Each message is claimed with ``FOR UPDATE SKIP LOCKED``, so workers never send one
    twice. A failure leaves it pending until ``MAX_ATTEMPTS``, then marks it failed.
    """
    adapters = channels_of(center).adapters
    sent = failed = 0
    async with center.db.connection() as conn, conn.transaction():
        for row in await outbox_store.claim_pending(conn, list(adapters), limit):
            msg = OutboundMessage(row["id"], row["channel"], row["recipient"], row["body"])
            try:
                await adapters[row["channel"]].deliver(msg)
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
