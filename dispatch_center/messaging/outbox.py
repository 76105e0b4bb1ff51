"""The outbound notification channel: messages are queued in the ``outbox`` table and
delivered by a channel adapter.

The SMS gateway is an outside system the center does not own
(:mod:`~dispatch_center.messaging.gateways`, chosen by ``DISPATCH_SMS_GATEWAY``); until one
is configured, SMS messages stay ``pending`` in the outbox (visible to operators, delivered
once a gateway is plugged in), never reported as sent. With one, each text to a citizen
goes queued (pending) → sent → delivered | failed from the gateway's delivery reports,
retried with backoff, held back in the quiet hours unless urgent and by a per-number
rate limit. The console channel is ours: its messages are on the handler's console already
(the reminders list), and the :class:`LoggingAdapter` records their delivery in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import notices
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.privacy import mask_phone
from dispatch_center.core.roles import Role
from dispatch_center.errors import Forbidden, Invalid
from dispatch_center.messaging.gateways import (
    DeliveryReport,
    SmsGateway,
    SmsToSend,
    gateway_from_settings,
)
from dispatch_center.settings import Settings
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
# A number over its hourly limit is tried again after this long.
RATE_PAUSE = timedelta(minutes=10)
# How long a claimed message is ours to send before another worker may take it (longer
# than a gateway's slowest answer: the HTTP timeout, SMPP's wait for submit_sm_resp).
CLAIM_LEASE = timedelta(minutes=2)
# A delivery report naming a gateway reference no message carries yet is kept this long
# (the reference may be recorded later, by this worker or another), in the database.
PARKED_FOR = timedelta(hours=1)
PARKED_MAX = 10_000


@dataclass(frozen=True)
class SendRules:
    """When a text may leave: quiet hours, the per-number limit, retries.

    Examples
    --------
    >>> SendRules.from_settings(Settings(demo=True)).per_number_per_hour
    6
    """

    quiet: notices.QuietHours
    per_number_per_hour: int
    max_attempts: int
    retry_base_s: float

    @classmethod
    def from_settings(cls, s: Settings) -> SendRules:
        """The rules ``DISPATCH_SMS_*`` set."""
        return cls(
            notices.QuietHours.parse(s.sms_quiet_hours),
            s.sms_per_number_per_hour,
            s.sms_max_attempts,
            s.sms_retry_base_s,
        )


class OutboundChannels:
    """The adapters of this process by channel, and the SMS gateway once one is
    configured (:func:`start_messaging`): a runtime held on the center
    (``center.runtimes``).

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
        self.gateway: SmsGateway | None = None
        # Reports are applied one at a time, in the order the gateway sent them.
        self.report_lock = asyncio.Lock()
        # Reports the database could not take (it was away), by reference, with when
        # they came: handed back to receive_report on the next pass (:func:`reconcile`).
        # Reports naming an unknown reference are parked in the database, not here.
        self.parked: dict[str, tuple[DeliveryReport, datetime]] = {}

    def add(self, adapter: ChannelAdapter) -> None:
        """Deliver the messages of ``adapter.channel`` through ``adapter`` from now on."""
        self.adapters[adapter.channel] = adapter


def channels_of(center: Center) -> OutboundChannels:
    """The center's outbound channels (attached on first use: the console channel)."""
    return center.runtimes.find(OutboundChannels) or center.runtimes.attach(OutboundChannels())


async def start_messaging(
    center: Center, on_text: Callable[[str, str], Awaitable[Any]] | None = None
) -> OutboundChannels:
    """Plug in the SMS gateway the settings choose (none by default).

    An SMPP gateway's reports arrive on its reader thread and are applied on this loop,
    one at a time in the order they came; citizens' texts read on its bind go to
    ``on_text(sender, text)``, on this loop too.
    """
    chans = channels_of(center)
    loop = asyncio.get_running_loop()

    async def in_order(report: DeliveryReport) -> None:
        async with chans.report_lock:
            await receive_report(center, report)

    def on_report(report: DeliveryReport) -> None:
        asyncio.run_coroutine_threadsafe(in_order(report), loop)

    async def text_in(sender: str, text: str) -> None:
        assert on_text is not None
        try:
            await on_text(sender, text)
        except Exception:  # the intake refused it, or the database is away
            log.exception("SMS from %s not taken in", mask_phone(sender))

    def on_text_read(sender: str, text: str) -> None:
        asyncio.run_coroutine_threadsafe(text_in(sender, text), loop)

    chans.gateway = gateway_from_settings(
        center.settings,
        center.secret_key,
        on_report,
        on_text_read if on_text is not None else None,
    )
    if chans.gateway is not None:
        log.info("SMS gateway: %s", chans.gateway.name)
    return chans


async def stop_messaging(center: Center) -> None:
    """Let go of the gateway's connections."""
    chans = center.runtimes.find(OutboundChannels)
    if chans is not None and chans.gateway is not None:
        await chans.gateway.close()
        chans.gateway = None


async def apply_report(center: Center, report: DeliveryReport) -> dict[str, Any] | None:
    """Apply a gateway's delivery report to its message; ``None`` when it names none (or
    the message's state is final already).
    """
    async with center.db.connection() as conn:
        return await outbox_store.apply_report(
            conn,
            report.state,
            center.now(),
            report.detail,
            outbox_id=report.outbox_id,
            gateway_ref=report.gateway_ref,
        )


async def receive_report(center: Center, report: DeliveryReport) -> dict[str, Any] | None:
    """Apply a report from the gateway, losing none: one that names only a gateway
    reference no message carries yet (the carrier's receipt overtook the gateway's
    answer to our submit, or another worker sent the text and has not recorded its
    reference) is parked in the database, where whichever worker records the reference
    applies it (:func:`reconcile`, after each send), even after a restart. Only when the
    database cannot take it now is it kept in this process's memory, for the next pass.
    Never raises: it runs detached from any request.
    """
    try:
        row = await apply_report(center, report)
        if row is None and report.outbox_id is None and report.gateway_ref:
            async with center.db.connection() as conn:
                if not await outbox_store.has_gateway_ref(conn, report.gateway_ref):
                    now = center.now()
                    await outbox_store.park_report(
                        conn,
                        report.gateway_ref,
                        report.state,
                        report.detail,
                        now,
                        now + PARKED_FOR,
                    )
                    # The worker that sends the text may have recorded the reference
                    # between the check and the parking, and looked for it before it
                    # was parked: one of the two looks sees both.
                    await outbox_store.apply_parked_reports(conn, [report.gateway_ref])
                    return None
        if row is not None and row.get("gateway_ref"):
            # A 'sent' report that named our id recorded the reference: its receipt
            # may be waiting under it.
            async with center.db.connection() as conn:
                await outbox_store.apply_parked_reports(conn, [row["gateway_ref"]])
        return row
    except Exception:  # the database is away, say: kept for the next pass
        log.exception("SMS delivery report %s: not applied now, kept", report)
        if report.gateway_ref or report.outbox_id is not None:
            _park_in_memory(channels_of(center), report, center.now())
        return None


def _park_in_memory(chans: OutboundChannels, report: DeliveryReport, now: datetime) -> None:
    key = report.gateway_ref or f"id:{report.outbox_id}"
    if len(chans.parked) >= PARKED_MAX:
        oldest = min(chans.parked, key=lambda k: chans.parked[k][1])
        log.warning("SMS delivery report %s dropped: too many unmatched", chans.parked.pop(oldest))
    chans.parked[key] = (report, chans.parked.get(key, (report, now))[1])


async def _retry_in_memory(center: Center, chans: OutboundChannels) -> None:
    """Hand the reports the database could not take back to :func:`receive_report`
    (which keeps them here again if it still cannot).
    """
    held, chans.parked = chans.parked, {}
    now = center.now()
    for report, since in held.values():
        if now - since >= PARKED_FOR:
            log.warning("SMS delivery report %s dropped: kept too long", report)
            continue
        await receive_report(center, report)
        key = report.gateway_ref or f"id:{report.outbox_id}"
        if key in chans.parked:  # still away: keep when it first came
            chans.parked[key] = (report, since)


async def reconcile(center: Center) -> int:
    """Apply the parked delivery reports whose message carries their reference now, from
    every worker; drop those kept past :data:`PARKED_FOR`. Returns how many messages
    they reached.
    """
    chans = channels_of(center)
    if chans.parked:
        async with chans.report_lock:
            await _retry_in_memory(center, chans)
    async with center.db.connection() as conn:
        dropped = await outbox_store.drop_expired_reports(conn, center.now())
        if dropped:
            log.warning(
                "%d SMS delivery report(s) dropped: no message has their reference", dropped
            )
        return await outbox_store.apply_parked_reports(conn)


async def deliver_pending(center: Center, limit: int = 50) -> dict[str, int]:
    """Deliver the due pending messages of every channel that has an adapter or gateway.

    The messages are claimed (leased, :data:`CLAIM_LEASE`) in one short transaction that
    commits before anything is sent, so workers never send one twice and no row stays
    locked while a gateway answers; each result is then recorded on its own. A delivery
    report may so come before the 'sent' state is recorded: that keeps the report's
    state (:func:`~dispatch_center.store.outbox.mark_sent`). A failure leaves the message
    pending for a later try (backoff), until the attempts run out; then it is failed.
    """
    chans = channels_of(center)
    adapters = chans.adapters
    kinds = [*adapters, *(["sms"] if chans.gateway is not None else [])]
    rules = SendRules.from_settings(center.settings)
    now = center.now()
    sent = failed = deferred = 0
    await reconcile(center)
    async with center.db.connection() as conn:
        claimed = await outbox_store.claim_pending(conn, kinds, limit, now, now + CLAIM_LEASE)
    for row in claimed:
        if row["channel"] == "sms" and chans.gateway is not None:
            outcome = await _send_sms(center, chans.gateway, rules, row, now)
            sent += outcome == "sent"
            failed += outcome == "failed"
            deferred += outcome == "deferred"
            continue
        msg = OutboundMessage(row["id"], row["channel"], row["recipient"], row["body"])
        try:
            await adapters[row["channel"]].deliver(msg)
        except Exception as exc:  # an outside system's failure, kept on the row
            status = "failed" if row["attempts"] + 1 >= MAX_ATTEMPTS else "pending"
            async with center.db.connection() as conn:
                await outbox_store.mark_outbox(conn, row["id"], status, now, str(exc)[:500])
            failed += 1
            continue
        async with center.db.connection() as conn:
            await outbox_store.mark_outbox(conn, row["id"], "sent", now)
        sent += 1
    return {"sent": sent, "failed": failed, "deferred": deferred}


async def _send_sms(
    center: Center, gateway: SmsGateway, rules: SendRules, row: Row, now: datetime
) -> str:
    async with center.db.connection() as conn:
        if not row["urgent"] and rules.quiet.holds(now):
            await outbox_store.defer(conn, row["id"], rules.quiet.ends_after(now), "quiet hours")
            return "deferred"
        recent = await outbox_store.sent_since(conn, row["recipient"], now - timedelta(hours=1))
        if recent >= rules.per_number_per_hour:
            await outbox_store.defer(conn, row["id"], now + RATE_PAUSE, "number's hourly limit")
            return "deferred"
    # No connection is held while the gateway answers.
    try:
        ref = await gateway.send(SmsToSend(row["id"], row["recipient"], row["body"]))
    except Exception as exc:  # the gateway's refusal or an I/O error, kept on the row
        attempts = row["attempts"] + 1
        give_up = attempts >= rules.max_attempts
        wait = notices.retry_delay(attempts, rules.retry_base_s)
        log.warning("SMS %s: try %d failed: %s", row["id"], attempts, exc)
        async with center.db.connection() as conn:
            await outbox_store.retry_later(conn, row["id"], now + wait, str(exc)[:500], give_up)
        return "failed" if give_up else "retry"
    async with center.db.connection() as conn:
        await outbox_store.mark_sent(conn, row["id"], now, ref)
        if ref is not None:
            # A receipt that overtook this answer waits under its reference.
            await outbox_store.apply_parked_reports(conn, [ref])
    return "sent"


# Who may read the outbox: the center's staff (the texts' numbers always masked).
OUTBOX_READERS = frozenset(
    {
        Role.admin,
        Role.duty_officer,
        Role.dispatcher,
        Role.callback_agent,
        Role.call_taker,
        Role.leader,
        Role.auditor,
    }
)
STATE_NAMES = {"pending": "queued"}


def message_view(row: Row) -> dict[str, Any]:
    """One message as staff read it: the number masked, ``pending`` said as ``queued``.

    Examples
    --------
    >>> message_view({"id": 1, "channel": "sms", "template": "receipt", "status": "pending",
    ...   "recipient": "13812345678", "order_id": 3, "number": "LS1", "attempts": 0,
    ...   "error": None, "body": "x", "created_at": None, "sent_at": None,
    ...   "delivered_at": None, "urgent": False})["to"]
    '138****5678'
    """
    return {
        "id": row["id"],
        "channel": row["channel"],
        "template": row.get("template"),
        "state": STATE_NAMES.get(row["status"], row["status"]),
        "to": mask_phone(row["recipient"]),
        "order_id": str(row["order_id"]) if row.get("order_id") is not None else None,
        "order_number": row.get("number"),
        "body": row["body"],
        "attempts": row["attempts"],
        "error": row.get("error"),
        "urgent": row.get("urgent", False),
        "created_at": _iso(row.get("created_at")),
        "sent_at": _iso(row.get("sent_at")),
        "delivered_at": _iso(row.get("delivered_at")),
    }


def _iso(value: datetime | None) -> str | None:
    return to_shanghai(value).isoformat() if value is not None else None


async def list_outbox(
    center: Center, who: Principal, channel: str | None, order_id: str | None
) -> list[dict[str, Any]]:
    """Messages of a channel and/or an order, newest first."""
    if who.role not in OUTBOX_READERS:
        raise Forbidden("only the center's staff read the outbox")
    oid: int | None = None
    if order_id is not None:
        if not order_id.isdigit() or len(order_id) > 18:
            raise Invalid("order_id must be an order's id", fields={"order_id": "not an id"})
        oid = int(order_id)
    async with center.db.connection() as conn:
        rows = await outbox_store.list_messages(conn, channel, oid)
    return [message_view(r) for r in rows]
