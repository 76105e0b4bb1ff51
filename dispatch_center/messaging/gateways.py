"""SMS gateways: the outside systems that carry the center's texts to citizens' phones.

One short contract (:class:`SmsGateway`), two real implementations chosen by
``DISPATCH_SMS_GATEWAY``:

- ``http``: an HTTP gateway of Kannel's ``sendsms`` kind (the interface Chinese carriers'
  and cloud SMS platforms offer in the same shape): one GET per message, with a
  delivery-report URL the gateway calls back (``dlr-url``).
- ``smpp``: SMPP 3.4 over :mod:`smpplib`, bound as a transceiver; the SMSC's message id
  is kept and its delivery receipts (``deliver_sm``) are read on the same bind.

Delivery reports from either become :class:`DeliveryReport` and are applied by
:func:`dispatch_center.messaging.outbox.apply_report`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import hmac
import logging
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from dispatch_center.settings import Settings

log = logging.getLogger(__name__)


class GatewayRefused(Exception):
    """The gateway answered and refused the message (a retry may or may not help)."""


@dataclass(frozen=True)
class SmsToSend:
    """One text for the gateway: our outbox id travels with it to match its reports."""

    outbox_id: int
    to: str
    text: str


@dataclass(frozen=True)
class DeliveryReport:
    """What a gateway said became of a message: ``delivered``, ``failed`` or ``sent``
    (accepted by the carrier, not yet on the phone). Either our outbox id or the
    gateway's own reference names the message.
    """

    state: str
    outbox_id: int | None = None
    gateway_ref: str | None = None
    detail: str = ""


class SmsGateway(Protocol):
    """Sends one text; returns the gateway's reference for it (``None`` when the gateway
    gives none and reports against our id instead).
    """

    name: str

    async def send(self, sms: SmsToSend) -> str | None:
        """Hand ``sms`` to the gateway, or raise (:class:`GatewayRefused`, or an I/O error)."""

    async def close(self) -> None:
        """Let go of connections."""


def callback_signature(secret: str, outbox_id: int) -> str:
    """The key a delivery-report URL carries for one message: it proves the report is
    for the URL we gave out, without a shared password in the gateway's logs.

    Examples
    --------
    >>> len(callback_signature("s", 1))
    32
    >>> callback_signature("s", 1) == callback_signature("s", 2)
    False
    """
    mac = hmac.new(secret.encode(), f"sms-dlr:{outbox_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def inbound_key(secret: str) -> str:
    """The key the gateway's MO calls (a citizen's reply) carry in their URL.

    Examples
    --------
    >>> inbound_key("s") == inbound_key("t")
    False
    """
    return hmac.new(secret.encode(), b"sms-mo", hashlib.sha256).hexdigest()[:32]


# Kannel's DLR types (%d): 1 delivered, 2 failed, 4 buffered, 8 SMSC accepted,
# 16 SMSC rejected.
KANNEL_DLR = {1: "delivered", 2: "failed", 4: "sent", 8: "sent", 16: "failed"}


class HttpSmsGateway:
    """Kannel's ``sendsms`` interface: ``GET url?username&password&from&to&text``, with
    ``dlr-mask`` and ``dlr-url`` asking for delivery reports back at our endpoint.

    Examples
    --------
    >>> gw = HttpSmsGateway("http://127.0.0.1:13013/cgi-bin/sendsms", "u", "p", "12345",
    ...                     "http://127.0.0.1:8000", "secret")
    >>> "dlr-url" in gw.query(SmsToSend(7, "13800000000", "好"))
    True
    """

    name = "http"

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        sender: str,
        callback_base: str | None,
        secret: str,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.sender = sender
        self.callback_base = callback_base.rstrip("/") if callback_base else None
        self.secret = secret
        self.client = httpx.AsyncClient(timeout=timeout)

    def dlr_url(self, outbox_id: int) -> str:
        """Where the gateway reports on message ``outbox_id`` (``%d``: the report type)."""
        assert self.callback_base is not None
        key = callback_signature(self.secret, outbox_id)
        return f"{self.callback_base}/api/v1/sms/dlr?id={outbox_id}&key={key}&type=%d"

    def query(self, sms: SmsToSend) -> dict[str, str]:
        """The ``sendsms`` parameters of one message."""
        q = {
            "username": self.username,
            "password": self.password,
            "from": self.sender,
            "to": sms.to,
            "text": sms.text,
            "charset": "UTF-8",
            "coding": "2",  # UCS-2: the texts are Chinese
        }
        if self.callback_base:
            q["dlr-mask"] = "27"  # delivered, failed, SMSC accepted, SMSC rejected
            q["dlr-url"] = self.dlr_url(sms.outbox_id)
        return q

    async def send(self, sms: SmsToSend) -> str | None:
        """One GET; Kannel answers 202 ``0: Accepted for delivery``."""
        r = await self.client.get(f"{self.url}?{urlencode(self.query(sms))}")
        if r.status_code not in (200, 202):
            raise GatewayRefused(f"gateway said {r.status_code}: {r.text.strip()[:200]}")
        return None

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


_RECEIPT = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>\w+)", re.S)
SMPP_FINAL = {
    "DELIVRD": "delivered",
    "UNDELIV": "failed",
    "EXPIRED": "failed",
    "REJECTD": "failed",
    "DELETED": "failed",
    "ACCEPTD": "sent",
    "ENROUTE": "sent",
}


def read_receipt(text: str) -> DeliveryReport | None:
    """An SMPP delivery receipt's ``short_message`` read (SMPP 3.4 appendix B).

    Examples
    --------
    >>> read_receipt("id:0A1B sub:001 dlvrd:001 submit date:2601011200 done date:2601011201"
    ...              " stat:DELIVRD err:000 text:...")
    DeliveryReport(state='delivered', outbox_id=None, gateway_ref='0A1B', detail='DELIVRD')
    >>> read_receipt("hello") is None
    True
    """
    m = _RECEIPT.search(text)
    if m is None:
        return None
    stat = m["stat"].upper()
    return DeliveryReport(SMPP_FINAL.get(stat, "failed"), None, m["id"], stat)


class _LockedSequence:
    """smpplib's sequence numbers, safe from two threads (the reader answers PDUs and
    sends enquire_link while a sender submits).
    """

    MIN_SEQUENCE = 0x00000001
    MAX_SEQUENCE = 0x7FFFFFFF

    def __init__(self) -> None:
        self._sequence = self.MIN_SEQUENCE
        self._lock = threading.Lock()

    @property
    def sequence(self) -> int:
        return self._sequence

    def next_sequence(self) -> int:
        with self._lock:
            if self._sequence >= self.MAX_SEQUENCE:
                self._sequence = self.MIN_SEQUENCE
            else:
                self._sequence += 1
            return self._sequence


class _Client(smpplib.client.Client):
    """smpplib's client with whole PDUs written one at a time from any thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, sequence_generator=_LockedSequence(), **kwargs)
        self._write_lock = threading.Lock()

    def send_pdu(self, p: Any) -> bool:
        with self._write_lock:
            return bool(super().send_pdu(p))

    def read_pdu(self) -> Any:
        pdu = super().read_pdu()
        if pdu.command == "unbind":  # the SMSC ends the session (smpplib only logs it)
            resp = smpplib.smpp.make_pdu("unbind_resp", client=self)
            resp.sequence = pdu.sequence
            with contextlib.suppress(Exception):
                self.send_pdu(resp)
            raise smpplib.exceptions.ConnectionError("the SMSC unbound the session")
        return pdu

    def hang_up(self) -> None:
        """Close the socket, waking a reader blocked on it."""
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self.disconnect()


@dataclass
class _Part:
    """One ``submit_sm`` waiting for its ``submit_sm_resp``."""

    outbox_id: int
    first: bool
    answer: concurrent.futures.Future[str]


class SmppSmsGateway:
    """SMPP 3.4 through :mod:`smpplib`: a transceiver bind, ``submit_sm`` per part, and a
    reader thread that turns ``deliver_sm`` receipts into :class:`DeliveryReport` (and
    hands citizens' own texts to ``on_text``).

    :meth:`send` waits for the SMSC's ``submit_sm_resp`` of every part: a refusal raises
    (the message is retried), an acceptance returns the first part's message id. The
    reader knows which outbox message each message id belongs to, so a receipt names our
    message; a receipt read before its ``submit_sm_resp`` (an SMSC may write them in
    either order) is held until that answer comes, or, unanswered after
    :attr:`early_hold_s` (another session's message), reported by reference alone.

    The reader logs and survives any error; when the session drops it binds again
    (backing off), since the SMSC keeps receipts for a bind that is gone until one is
    back. smpplib is blocking: submissions are serialised under a lock.
    """

    name = "smpp"
    answer_timeout_s = 15.0
    early_hold_s = 30.0
    known_max = 100_000

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        sender: str,
        on_report: Callable[[DeliveryReport], None],
        on_text: Callable[[str, str], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.system_id, self.password, self.sender = system_id, password, sender
        self.on_report = on_report
        self.on_text = on_text
        self.client: Any = None
        # Held while binding and submitting (one writer of submissions at a time).
        self.lock = threading.Lock()
        # Held briefly around the maps below, shared by the sender and the reader.
        self.state = threading.Lock()
        self.reader: threading.Thread | None = None
        self.stopping = False
        # submit_sm sequence → the part waiting for its answer.
        self.waiting: dict[int, _Part] = {}
        # The SMSC's message id → (our outbox id, whether it is a text's first part).
        self.known: OrderedDict[str, tuple[int, bool]] = OrderedDict()
        # Receipts read before their submit_sm_resp, by message id, with when.
        self.early: dict[str, tuple[DeliveryReport, float]] = {}

    # -- the session ------------------------------------------------------------------

    def _bound(self) -> Any:
        """The bound client, binding first if there is none (under :attr:`lock`)."""
        if self.client is not None:
            return self.client
        if self.stopping:
            raise smpplib.exceptions.ConnectionError("gateway closed")
        client = _Client(self.host, self.port, timeout=10, allow_unknown_opt_params=True)
        client.set_message_received_handler(self._received)
        client.set_message_sent_handler(self._accepted)
        client.set_error_pdu_handler(self._refused)
        try:
            client.connect()
            client.bind_transceiver(system_id=self.system_id, password=self.password)
        except Exception:
            client.hang_up()
            raise
        self.client = client
        if self.reader is None or not self.reader.is_alive():
            self.reader = threading.Thread(target=self._read, name="smpp-reader", daemon=True)
            self.reader.start()
        log.info("SMPP bound to %s:%s as %s", self.host, self.port, self.system_id)
        return client

    def _lost(self, client: Any, why: object) -> None:
        """Forget a session that dropped: its unanswered submissions fail (retried)."""
        with self.state:
            if self.client is client:
                self.client = None
            waiting, self.waiting = self.waiting, {}
            # An SMSC may number the next session's messages afresh: receipts of this
            # one's that come later are matched by reference (:meth:`_release_early`).
            self.known.clear()
        for part in waiting.values():
            if not part.answer.done():
                part.answer.set_exception(ConnectionError(f"SMPP session lost: {why}"))
        client.hang_up()

    def _read(self) -> None:
        backoff = 1.0
        while not self.stopping:
            client = self.client
            if client is None:
                try:
                    with self.lock:
                        client = self._bound()
                except Exception as exc:
                    if self.stopping:
                        return
                    log.warning(
                        "SMPP bind to %s:%s failed (%s): again in %.0f s",
                        self.host,
                        self.port,
                        exc,
                        backoff,
                    )
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
            try:
                client.read_once(auto_send_enquire_link=True)
                backoff = 1.0
            except Exception as exc:  # a dropped session, or a stream we cannot follow
                if self.stopping:
                    return
                log.warning(
                    "SMPP session to %s:%s lost (%r): binding again in %.0f s",
                    self.host,
                    self.port,
                    exc,
                    backoff,
                )
                self._lost(client, exc)
                # An SMSC that takes binds and drops them at once is not hammered.
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            self._release_early()

    # -- what the SMSC says -----------------------------------------------------------

    def _emit(self, report: DeliveryReport) -> None:
        try:
            self.on_report(report)
        except Exception:  # the loop may be closing: never the reader's end
            log.exception("SMPP report %s not handed on", report)

    def _accepted(self, pdu: Any) -> None:
        if pdu.is_error():  # smpplib hands a refusal here too, after _refused
            return
        mid = pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else str(pdu.message_id)
        with self.state:
            part = self.waiting.pop(pdu.sequence, None)
            if part is None:
                log.warning("SMPP submit_sm_resp %s for no submission of ours", pdu.sequence)
                return
            self.known[mid] = (part.outbox_id, part.first)
            while len(self.known) > self.known_max:
                self.known.popitem(last=False)
            early = self.early.pop(mid, None)
        if not part.answer.done():
            part.answer.set_result(mid)
        if early is not None and part.first:
            report = early[0]
            self._emit(DeliveryReport(report.state, part.outbox_id, mid, report.detail))

    def _refused(self, pdu: Any) -> None:
        why = smpplib.consts.DESCRIPTIONS.get(pdu.status, "unknown status")
        with self.state:
            part = self.waiting.pop(pdu.sequence, None)
        if part is None:
            log.warning("SMPP %s refused (%s %s)", pdu.command, pdu.status, why)
        elif not part.answer.done():
            part.answer.set_exception(GatewayRefused(f"SMSC refused ({pdu.status}): {why}"))

    def _received(self, pdu: Any) -> None:
        try:
            coding = "utf-16-be" if pdu.data_coding == 8 else "utf-8"
            text = pdu.short_message.decode(coding, "replace")
            if not pdu.esm_class & 0x04:
                if self.on_text is not None:
                    self.on_text(pdu.source_addr.decode(), text)
                return
            report = read_receipt(text)
            if report is None or report.gateway_ref is None:
                log.warning("SMPP receipt not understood: %r", text[:200])
                return
            mid = report.gateway_ref
            with self.state:
                hit = self.known.get(mid)
                if hit is None:
                    self.early[mid] = (report, time.monotonic())
                    return
            outbox_id, first = hit
            if first:  # a long text's first part names it: its receipt decides
                self._emit(DeliveryReport(report.state, outbox_id, mid, report.detail))
        except Exception:  # one odd PDU must not end the reading
            log.exception("SMPP deliver_sm not handled")

    def _release_early(self) -> None:
        """Receipts no answer of this session claimed: reported by reference (another
        session may have sent the text; the outbox matches it by its recorded id).
        """
        if not self.early:
            return
        old = time.monotonic() - self.early_hold_s
        with self.state:
            stale = [k for k, (_, at) in self.early.items() if at < old]
            reports = [self.early.pop(k)[0] for k in stale]
        for report in reports:
            self._emit(report)

    # -- sending ----------------------------------------------------------------------

    def _send(self, sms: SmsToSend) -> str:
        parts, coding, esm = smpplib.gsm.make_parts(sms.text)
        answers: list[concurrent.futures.Future[str]] = []
        with self.lock:
            client = self._bound()
            for i, text in enumerate(parts):
                pdu = smpplib.smpp.make_pdu(
                    "submit_sm",
                    client=client,
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr=self.sender,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    destination_addr=sms.to,
                    short_message=text,
                    data_coding=coding,
                    esm_class=esm,
                    registered_delivery=True,
                )
                part = _Part(sms.outbox_id, i == 0, concurrent.futures.Future())
                # Noted before it is written: the answer may be read at once.
                with self.state:
                    self.waiting[pdu.sequence] = part
                answers.append(part.answer)
                try:
                    client.send_pdu(pdu)
                except Exception as exc:
                    self._lost(client, exc)
                    raise
        deadline = time.monotonic() + self.answer_timeout_s
        try:
            ids = [a.result(max(0.0, deadline - time.monotonic())) for a in answers]
        except concurrent.futures.TimeoutError:
            with self.state:
                for seq in [q for q, p in self.waiting.items() if p.answer in answers]:
                    del self.waiting[seq]
            raise TimeoutError("the SMSC did not answer submit_sm in time") from None
        return ids[0]

    async def send(self, sms: SmsToSend) -> str | None:
        """``submit_sm`` (one per part), waiting for the SMSC's answers; returns the
        first part's message id, which its delivery receipt names.
        """
        return await asyncio.to_thread(self._send, sms)

    async def close(self) -> None:
        """Unbind and close."""
        self.stopping = True
        client, self.client = self.client, None
        if client is not None:
            await asyncio.to_thread(_quietly_close, client)
        reader = self.reader
        if reader is not None:
            await asyncio.to_thread(reader.join, 5)


def _quietly_close(client: Any) -> None:
    with contextlib.suppress(Exception):  # the peer may be gone already
        client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
    client.hang_up()


def gateway_from_settings(
    settings: Settings,
    secret: str,
    on_report: Callable[[DeliveryReport], None],
    on_text: Callable[[str, str], None] | None = None,
) -> SmsGateway | None:
    """The gateway ``settings`` choose, or ``None`` (SMS then waits in the outbox).

    Examples
    --------
    >>> gateway_from_settings(Settings(demo=True), "k", print) is None
    True
    """
    kind = settings.sms_gateway
    user = settings.sms_username or ""
    password = settings.sms_password.get_secret_value() if settings.sms_password else ""
    if kind == "http":
        if not settings.sms_http_url:
            raise ValueError("DISPATCH_SMS_GATEWAY=http needs DISPATCH_SMS_HTTP_URL")
        return HttpSmsGateway(
            settings.sms_http_url,
            user,
            password,
            settings.sms_sender,
            settings.sms_callback_url,
            secret,
        )
    if kind == "smpp":
        return SmppSmsGateway(
            settings.sms_smpp_host,
            settings.sms_smpp_port,
            user,
            password,
            settings.sms_sender,
            on_report,
            on_text,
        )
    return None
