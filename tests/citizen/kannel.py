"""A real Kannel SMS gateway (Debian's ``kannel``: bearerbox + smsbox) in a temp dir,
with Kannel's own fake SMSC as the carrier.

Kannel's ``smsc = fake`` listens on a port for the "phone network" (its ``fakesmsc``
program, not shipped by Debian): each text Kannel sends comes out there as one line
``sender receiver text|data <payload>``, and a line written there is a citizen's text
(MO) that Kannel hands to our ``sms-service`` URL. :class:`PhoneNetwork` is that other
end: it is the carrier, an outside system, not our client. Delivery reports come from
Kannel itself: the fake SMSC reports each text it passed on as delivered.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import httpx

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
USERNAME = "dispatch"
PASSWORD = "kannel-test-pass"
# Numbers the gateway refuses (sendsms-user black-list-regex): a carrier blacklist.
DENIED_PREFIX = "1700"


def installed() -> bool:
    """Whether Debian's kannel package is here."""
    return Path(BEARERBOX).exists() and Path(SMSBOX).exists()


class PhoneNetwork:
    """The carrier's side of Kannel's fake SMSC: receives the texts Kannel sends and
    sends citizens' texts in."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(None)
        self.received: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self.parts: dict[tuple[str, int], dict[int, bytes]] = {}
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    self._line(line.decode("latin-1"))
                except Exception as exc:  # kept for the failing test's message
                    self.errors.append(f"{exc!r}: {line[:200]!r}")

    def _line(self, line: str) -> None:
        # Kannel 1.4.5 writes "sender receiver [udh <udh>] text|data <url-encoded bytes>";
        # our texts are UCS-2 (coding=2).
        words = line.split(" ")
        sender, receiver = words[0], words[1]
        rest = words[2:]
        udh = b""
        if rest[0] == "udh":
            udh, rest = unquote_to_bytes(rest[1]), rest[2:]
        data = unquote_to_bytes(" ".join(rest[1:]))
        if udh:  # one part of a long text: 05 00 03 <ref> <total> <seq>
            ref, total, seq = udh[3], udh[4], udh[5]
            key = (receiver, ref)
            parts = self.parts.setdefault(key, {})
            parts[seq] = data
            if len(parts) < total:
                return
            del self.parts[key]
            data = b"".join(parts[i] for i in sorted(parts))
        text = data.decode("utf-16-be") if len(data) % 2 == 0 else data.decode("latin-1")
        with self.lock:
            self.received.append((sender, receiver, text))

    def texts_to(self, number: str) -> list[str]:
        """The texts that reached ``number`` so far."""
        with self.lock:
            return [t for _, r, t in self.received if r.endswith(number)]

    def send(self, sender: str, receiver: str, text: str) -> None:
        """A citizen texts ``receiver`` (UTF-8 bytes, URL-encoded as Kannel's data type)."""
        line = f"{sender} {receiver} data {quote(text.encode('utf-8'))}\n"
        self.sock.sendall(line.encode())

    def close(self) -> None:
        """Hang up."""
        self.sock.close()


class Kannel:
    """bearerbox + smsbox on free ports, configured for one test session."""

    def __init__(self, workdir: Path, ports: dict[str, int], mo_url: str) -> None:
        self.dir = workdir
        self.ports = ports
        self.mo_url = mo_url
        self.procs: list[subprocess.Popen[bytes]] = []
        self.network: PhoneNetwork | None = None

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    def config(self) -> str:
        p, d = self.ports, self.dir
        return f"""
group = core
admin-port = {p["admin"]}
admin-password = admin-test
admin-allow-ip = 127.0.0.1
smsbox-port = {p["smsbox"]}
log-file = "{d}/bearerbox.log"
log-level = 1
box-allow-ip = 127.0.0.1
dlr-storage = internal
store-type = spool
store-location = "{d}/spool"

group = smsc
smsc = fake
smsc-id = carrier
port = {p["fake"]}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {p["smsbox"]}
sendsms-port = {p["sendsms"]}
log-file = "{d}/smsbox.log"
log-level = 1
mo-recode = true

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
black-list-regex = "^{DENIED_PREFIX}"
concatenation = true
max-messages = 5

group = sms-service
keyword = default
catch-all = true
get-url = "{self.mo_url}"
max-messages = 0
"""

    def start(self) -> Kannel:
        """Start both boxes and connect the phone network; wait until sendsms answers."""
        (self.dir / "spool").mkdir(exist_ok=True)
        conf = self.dir / "kannel.conf"
        conf.write_text(self.config())
        for exe in (BEARERBOX, SMSBOX):
            log = open(self.dir / f"{Path(exe).name}.out", "wb")  # noqa: SIM115
            self.procs.append(subprocess.Popen([exe, str(conf)], stdout=log, stderr=log))
            time.sleep(0.5)
        self.network = PhoneNetwork(self.ports["fake"])
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(self.sendsms_url, timeout=2)
                if r.status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"kannel did not start: see {self.dir}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        """Stop both boxes (ours only, by process)."""
        if self.network is not None:
            self.network.close()
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()

    def logs(self) -> str:
        """The boxes' logs, for a failing test's message."""
        return "\n".join(
            f.read_text(errors="replace")[-3000:] for f in sorted(self.dir.glob("*.log"))
        )


def keep_logs(src: Path, dest: Path) -> None:
    """Copy the boxes' logs next to a failure's artifacts."""
    shutil.copytree(src, dest, dirs_exist_ok=True)
