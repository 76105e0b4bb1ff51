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
import contextlib
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

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


class SmppSmsGateway:
    """SMPP 3.4 through :mod:`smpplib`: a transceiver bind, ``submit_sm`` per part, and a
    reader thread that turns ``deliver_sm`` receipts into :class:`DeliveryReport` (and
    hands citizens' own texts to ``on_text``).

    smpplib is blocking; its socket is used from one thread at a time under a lock.
    """

    name = "smpp"

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
        self.lock = threading.Lock()
        self.reader: threading.Thread | None = None
        self.stopping = False
        # submit_sm sequence → our outbox id, until the SMSC's message id comes back.
        self.waiting: dict[int, int] = {}

    def _connect(self) -> Any:
        client = smpplib.client.Client(
            self.host, self.port, timeout=10, allow_unknown_opt_params=True
        )
        client.set_message_received_handler(self._received)
        client.set_message_sent_handler(self._accepted)
        client.connect()
        client.bind_transceiver(system_id=self.system_id, password=self.password)
        self.client = client
        self.reader = threading.Thread(target=self._read, name="smpp-reader", daemon=True)
        self.reader.start()
        return client

    def _accepted(self, pdu: Any) -> None:
        # The response may be read before _send has noted the sequence: wait for it.
        with self.lock:
            outbox_id = self.waiting.pop(pdu.sequence, None)
        if outbox_id is not None and pdu.message_id:
            ref = pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else pdu.message_id
            self.on_report(DeliveryReport("sent", outbox_id, ref, "submit_sm_resp"))

    def _received(self, pdu: Any) -> None:
        text = pdu.short_message.decode("utf-16-be" if pdu.data_coding == 8 else "utf-8", "replace")
        if pdu.esm_class & 0x04:  # a delivery receipt
            report = read_receipt(text)
            if report is not None:
                self.on_report(report)
        elif self.on_text is not None:
            self.on_text(pdu.source_addr.decode(), text)

    def _read(self) -> None:
        while not self.stopping and self.client is not None:
            try:
                self.client.read_once(ignore_error_codes=None, auto_send_enquire_link=True)
            except smpplib.exceptions.ConnectionError:
                if not self.stopping:
                    log.warning("SMPP bind to %s:%s lost", self.host, self.port)
                self.client = None
                return
            except OSError:
                if self.stopping:
                    return

    def _send(self, sms: SmsToSend) -> str | None:
        with self.lock:
            client = self.client or self._connect()
            parts, coding, esm = smpplib.gsm.make_parts(sms.text)
            for part in parts:
                pdu = client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr=self.sender,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    destination_addr=sms.to,
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm,
                    registered_delivery=True,
                )
                self.waiting[pdu.sequence] = sms.outbox_id
        # The SMSC's message id comes back in submit_sm_resp, reported by _accepted.
        return None

    async def send(self, sms: SmsToSend) -> str | None:
        """``submit_sm`` (one per part); the reference matched to receipts is the SMSC's
        message id, which arrives in ``submit_sm_resp`` (see :meth:`_received`).
        """
        return await asyncio.to_thread(self._send, sms)

    async def close(self) -> None:
        """Unbind and close."""
        self.stopping = True
        client, self.client = self.client, None
        if client is not None:
            await asyncio.to_thread(_quietly_close, client)


def _quietly_close(client: Any) -> None:
    with contextlib.suppress(Exception):  # the peer may be gone already
        client.unbind()
    client.disconnect()


def gateway_from_settings(
    settings: Settings, secret: str, on_report: Callable[[DeliveryReport], None]
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
        )
    return None
