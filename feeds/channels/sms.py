"""SMS gateway webhook: parts of long messages reassembled, then an order draft.

A long SMS travels as parts that carry a concatenation header (UDH IEI 0x00/0x08: a
reference number, the total number of parts and this part's sequence number). The gateway
posts each part as JSON (modelled on common Chinese SMS gateways' uplink callbacks, not a
vendor specification)::

    {"msgId": "...", "mobile": "13912345678", "dest": "12345", "content": "...",
     "recvTime": "2026-11-27 08:01:02", "udh": {"ref": 17, "total": 3, "seq": 2}}

:class:`SmsAssembler` is a pure buffer: parts in any order, duplicates ignored; a message
whose parts have not all arrived within the timeout is released anyway, with the gap marked,
so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from feeds.base import DraftCategory, DraftReporter, OrderDraft, PayloadError
from feeds.channels.triage import guess_address, guess_category
from feeds.payload import as_mapping, get, number, text, time_field

GAP = "[…缺第{n}段…]"


@dataclass(frozen=True)
class SmsPart:
    """One received part (a whole short message is a part 1 of 1)."""

    msg_id: str
    sender: str
    dest: str
    content: str
    received_at: datetime
    ref: int = 0
    total: int = 1
    seq: int = 1


@dataclass(frozen=True)
class SmsMessage:
    """A reassembled message; ``complete`` is False when parts were missing at the timeout."""

    msg_id: str
    sender: str
    dest: str
    text: str
    received_at: datetime
    complete: bool = True
    parts: int = 1


def parse_part(payload: bytes | Mapping[str, Any]) -> SmsPart:
    """Parse one webhook call.

    Examples
    --------
    >>> parse_part({"msgId": "m1", "mobile": "13900000000", "dest": "12345", "content": "你好",
    ...     "recvTime": "2026-11-27 08:00:00", "udh": {"ref": 7, "total": 2, "seq": 1}}).total
    2
    """
    data = as_mapping(payload)
    udh = get(data, "udh", None)
    ref, total, seq = 0, 1, 1
    if udh is not None:
        if not isinstance(udh, Mapping):
            raise PayloadError("udh", "expected an object with ref, total, seq")
        ref = int(number(udh, "ref", lo=0, hi=65535, prefix="udh."))
        total = int(number(udh, "total", lo=1, hi=255, prefix="udh."))
        seq = int(number(udh, "seq", lo=1, hi=255, prefix="udh."))
        if seq > total:
            raise PayloadError("udh.seq", f"part {seq} of {total} does not exist")
    mobile = text(data, "mobile")
    if not mobile.lstrip("+").isdigit():
        raise PayloadError("mobile", "not a phone number")
    return SmsPart(
        text(data, "msgId"),
        mobile,
        text(data, "dest", "12345"),
        str(get(data, "content")),
        time_field(data, "recvTime"),
        ref,
        total,
        seq,
    )


@dataclass
class SmsAssembler:
    """Reassembles concatenated SMS parts (pure: time comes in as ``now``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> a = SmsAssembler()
    >>> a.add(SmsPart("b", "139", "12345", "世界", t, ref=1, total=2, seq=2), now=t) is None
    True
    >>> a.add(SmsPart("a", "139", "12345", "你好", t, ref=1, total=2, seq=1), now=t).text
    '你好世界'
    """

    timeout: timedelta = timedelta(minutes=5)
    pending: dict[tuple[str, str, int, int], dict[int, SmsPart]] = field(default_factory=dict)
    first_seen: dict[tuple[str, str, int, int], datetime] = field(default_factory=dict)

    def add(self, part: SmsPart, *, now: datetime) -> SmsMessage | None:
        """Add a part; returns the whole message when its last part arrives."""
        if part.total == 1:
            return SmsMessage(part.msg_id, part.sender, part.dest, part.content, part.received_at)
        key = (part.sender, part.dest, part.ref, part.total)
        parts = self.pending.setdefault(key, {})
        self.first_seen.setdefault(key, now)
        parts.setdefault(part.seq, part)  # a re-sent part is ignored
        if len(parts) == part.total:
            return self._release(key, complete=True)
        return None

    def expire(self, *, now: datetime) -> list[SmsMessage]:
        """Release every message that has waited longer than ``timeout``, gaps marked."""
        late = [k for k, t in self.first_seen.items() if now - t >= self.timeout]
        return [self._release(k, complete=False) for k in late]

    def _release(self, key: tuple[str, str, int, int], *, complete: bool) -> SmsMessage:
        parts = self.pending.pop(key)
        self.first_seen.pop(key, None)
        total = key[3]
        body = "".join(
            parts[i].content if i in parts else GAP.format(n=i) for i in range(1, total + 1)
        )
        first = parts[min(parts)]
        return SmsMessage(
            first.msg_id,
            first.sender,
            first.dest,
            body,
            min(p.received_at for p in parts.values()),
            complete,
            len(parts),
        )


def sms_to_draft(msg: SmsMessage) -> OrderDraft:
    """A (reassembled) SMS → an order draft (channel ``sms``), classified by a first guess."""
    if not msg.text.strip():
        raise PayloadError("content", "empty message")
    rtype, code = guess_category(msg.text)
    return OrderDraft(
        channel="sms",
        category=DraftCategory(rtype, code),
        urgency="consultation" if rtype == "consultation" else "general",
        description=f"【短信】{msg.text}",
        address=guess_address(msg.text) or "乐山市（短信未注明地址）",
        reporter=DraftReporter(None, msg.sender),
        source="sms",
        source_id=f"{msg.sender}:{msg.msg_id}",
        received_at=msg.received_at,
        extra={"complete": msg.complete, "parts": msg.parts, "auto_classified": True},
    )
