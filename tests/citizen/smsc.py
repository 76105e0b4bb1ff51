"""A carrier's SMSC for the SMPP gateway's tests: an SMPP 3.4 server from PyPI
(``smpp34``, Rust-backed) that accepts binds, answers each ``submit_sm`` with a message
id, and sends the delivery receipt a carrier sends (``DELIVRD``, or ``UNDELIV`` for the
numbers it cannot reach); it refuses ``submit_sm`` for a barred prefix, and can be told
to write a receipt before its ``submit_sm_resp`` (SMSCs answer in either order), and to
end its sessions. It is the outside system; our client is
:class:`dispatch_center.messaging.gateways.SmppSmsGateway`, unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

import smpp34

UNREACHABLE_PREFIX = "1700"
# Numbers whose submit_sm the SMSC refuses (ESME_RINVDSTADR).
BARRED_PREFIX = "1701"
ESME_RINVDSTADR = 0x0B


def receipt(message_id: str, stat: str) -> bytes:
    """A delivery receipt's text (SMPP 3.4 appendix B).

    Examples
    --------
    >>> receipt("C1", "DELIVRD")[:8]
    b'id:C1 su'
    """
    dates = "submit date:2612060300 done date:2612060300"
    return f"id:{message_id} sub:001 dlvrd:001 {dates} stat:{stat} err:000 text:".encode()


def _settled(fut: asyncio.Future[object]) -> None:
    # Retrieved so that asyncio does not log it: the bind went away before the receipt
    # was answered.
    if not fut.cancelled():
        fut.exception()


async def _unbind(esme: smpp34.Esme) -> None:
    with contextlib.suppress(smpp34.SmppError):
        await esme.unbind()


@dataclass
class Received:
    """One text the SMSC took: its parts joined."""

    to: str
    text: str
    message_id: str


@dataclass
class Smsc:
    """The server on ``port`` in a thread of its own."""

    port: int
    received: list[Received] = field(default_factory=list)
    parts: dict[tuple[str, int], dict[int, bytes]] = field(default_factory=dict)
    # Write each receipt before the submit_sm_resp it follows from.
    receipt_first: bool = False
    binds: int = 0
    submitted: int = 0
    refused: list[str] = field(default_factory=list)

    def start(self) -> Smsc:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("SMSC did not start")
        return self

    def _serve(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self._run())

    def mo(self, sender: str, text: str) -> None:
        """A citizen texts the center: a ``deliver_sm`` (UCS-2) on every bound session."""

        async def deliver(esme: smpp34.Esme) -> None:
            await esme.deliver_sm(
                source_addr=sender,
                destination_addr="12345",
                data_coding=8,
                short_message=text.encode("utf-16-be"),
            )

        for esme in list(self.sessions.values()):
            asyncio.run_coroutine_threadsafe(deliver(esme), self.loop).result(10)

    def unbind_all(self) -> None:
        """End every bound session from the SMSC's side (an SMSC restarting, say)."""
        for esme in list(self.sessions.values()):
            fut = asyncio.run_coroutine_threadsafe(_unbind(esme), self.loop)
            fut.result(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)

    async def _run(self) -> None:
        self.task = asyncio.current_task()  # type: ignore[assignment]
        server = smpp34.Server(host="127.0.0.1", port=self.port, system_id="CarrierSMSC")
        await server.start()
        self.ready.set()
        self.sessions: dict[str, smpp34.Esme] = {}
        sessions = self.sessions
        try:
            while True:
                ev = await server.next()
                if isinstance(ev, smpp34.Esme):
                    sessions[ev.session_id] = ev
                    self.binds += 1
                elif isinstance(ev, smpp34.Unbound):
                    sessions.pop(ev.session_id, None)
                elif isinstance(ev, smpp34.SubmitSmEvent):
                    if ev.session_id not in sessions:  # its session is being unbound
                        ev.reject()
                        continue
                    if ev.destination_addr.startswith(BARRED_PREFIX):
                        self.refused.append(ev.destination_addr)
                        ev.reject(ESME_RINVDSTADR)
                        continue
                    self.submitted += 1  # ids unique across sessions
                    mid = f"C{self.submitted:06d}"
                    await self._take(ev, mid)
                    far = ev.destination_addr.startswith(UNREACHABLE_PREFIX)
                    if not self.receipt_first:
                        ev.accept(message_id=mid)
                    receipt_sent = asyncio.ensure_future(
                        sessions[ev.session_id].deliver_sm(
                            source_addr=ev.destination_addr,
                            destination_addr=ev.source_addr,
                            esm_class=0x04,
                            short_message=receipt(mid, "UNDELIV" if far else "DELIVRD"),
                        )
                    )
                    # Not awaited here: a receipt to a session that is going away must not
                    # hold up the other sessions' binds and submissions.
                    receipt_sent.add_done_callback(_settled)
                    if self.receipt_first:  # the receipt is on the wire before the answer
                        await asyncio.sleep(0.2)
                        ev.accept(message_id=mid)
        finally:
            await server.stop()

    async def _take(self, ev: smpp34.SubmitSmEvent, mid: str) -> None:
        data = bytes(ev.short_message)
        if ev.esm_class & 0x40:  # UDH: 05 00 03 ref total seq
            udh_len = data[0] + 1
            ref, total, seq = data[3], data[4], data[5]
            parts = self.parts.setdefault((ev.destination_addr, ref), {})
            parts[seq] = data[udh_len:]
            if len(parts) < total:
                return
            del self.parts[(ev.destination_addr, ref)]
            data = b"".join(parts[i] for i in sorted(parts))
        text = data.decode("utf-16-be") if ev.data_coding == 8 else data.decode("latin-1")
        self.received.append(Received(ev.destination_addr, text, mid))
