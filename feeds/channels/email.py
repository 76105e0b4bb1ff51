"""E-mail: RFC 5322 messages with Chinese encodings → an order draft, attachments kept.

Chinese mail arrives as UTF-8, GBK, GB18030 or mislabelled GB2312 (which real clients fill
with GBK characters), in RFC 2047 encoded words, RFC 2231 parameters, or even raw 8-bit
header bytes. Everything is decoded with the stdlib ``email`` package; GB2312 and GBK are read
as GB18030, their superset, so a mislabelled message still reads right.

A NUL character in a mail's text (a broken client, UTF-16 text labelled as something else)
is removed from every text the mail is read into (headers, bodies, file names), never
refused: the citizen's mail becomes one order, with no dead letter beside it. (The
database's text cannot hold a NUL; attachments' bytes are kept as they came.)
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from feeds.base import Attachment, DraftCategory, DraftReporter, OrderDraft, PayloadError
from feeds.channels.triage import guess_address, guess_category
from feeds.payload import sane_time

SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "hz-gb-2312": "hz",
}
MAX_EMAIL_BYTES = 25_000_000
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


@dataclass(frozen=True)
class InboundEmail:
    """A decoded message."""

    message_id: str
    from_name: str | None
    from_addr: str
    to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    attachments: tuple[tuple[str, str, bytes], ...]  # (filename, content_type, content)


def _codec(charset: str | None) -> str:
    cs = (charset or "utf-8").lower().strip('"')
    return SUPERSETS.get(cs, cs)


def _no_nul(text: str) -> str:
    """``text`` without NUL characters (see the module's docstring).

    Examples
    --------
    >>> _no_nul("停" + chr(0) + "水")
    '停水'
    """
    return text.replace("\x00", "")


def _bytes_text(raw: bytes, charset: str | None) -> str:
    for cs in (_codec(charset), "utf-8", "gb18030"):
        try:
            return _no_nul(raw.decode(cs))
        except (LookupError, UnicodeDecodeError):
            continue
    return _no_nul(raw.decode("utf-8", errors="replace"))


def decode_words(value: str | Header | None) -> str:
    """Decode a header: RFC 2047 words in any charset, or raw 8-bit bytes (UTF-8 or GB18030).

    Examples
    --------
    >>> decode_words("=?GB2312?B?wNbJvcrQ?= 12345")
    '乐山市 12345'
    """
    if value is None:
        return ""
    return _no_nul(_decode_words(value))


def _decode_words(value: str | Header) -> str:
    if isinstance(value, Header):
        # Raw 8-bit header bytes come back as a Header of charset "unknown-8bit".
        return "".join(
            _bytes_text(p, c) if isinstance(p, bytes) else p for p, c in decode_header(value)
        ).strip()
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        # Raw 8-bit header bytes were smuggled through as surrogates by the parser.
        return _bytes_text(value.encode("ascii", "surrogateescape"), "utf-8")
    out = []
    for part, charset in decode_header(value):
        out.append(_bytes_text(part, charset) if isinstance(part, bytes) else part)
    return "".join(out).strip()


def _body_text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    text = _bytes_text(raw, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S | re.I)
        text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I)
        text = re.sub(r"<[^>]+>", "", text)
    return text.strip()


def parse_email(raw: bytes) -> InboundEmail:
    """Parse an RFC 5322 message (bytes as received).

    Examples
    --------
    >>> m = parse_email(b"From: a@b.cn\\r\\nSubject: =?UTF-8?B?5YGc5rC0?=\\r\\n"
    ...     b"Message-ID: <1@b.cn>\\r\\n\\r\\nhello")
    >>> (m.subject, m.text, m.message_id)
    ('停水', 'hello', '<1@b.cn>')
    """
    if len(raw) > MAX_EMAIL_BYTES:
        raise PayloadError("body", f"message of {len(raw)} bytes is over {MAX_EMAIL_BYTES}")
    msg = email.message_from_bytes(raw)
    if msg.defects and not msg.keys():
        raise PayloadError("body", "not an RFC 5322 message")
    sender = getaddresses([decode_words(msg.get("From"))])
    if not sender or not sender[0][1] or "@" not in sender[0][1]:
        raise PayloadError("From", "missing or not an address")
    name, addr = sender[0]
    texts: list[str] = []
    html: list[str] = []
    attachments: list[tuple[str, str, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").lower()
        if filename or disposition.startswith("attachment"):
            payload = part.get_payload(decode=True)
            attachments.append(
                (
                    decode_words(filename) or "attachment",
                    part.get_content_type(),
                    payload if isinstance(payload, bytes) else b"",
                )
            )
        elif part.get_content_type() == "text/plain":
            texts.append(_body_text(part))
        elif part.get_content_type() == "text/html":
            html.append(_body_text(part))
    date = None
    if msg.get("Date"):
        try:
            date = parsedate_to_datetime(str(msg["Date"]))
        except (TypeError, ValueError):
            raise PayloadError("Date", f"not an RFC 5322 date: {msg['Date']!r}") from None
        if date.tzinfo is None:  # "-0000": the sender's zone is unknown; RFC 5322 says UTC
            date = date.replace(tzinfo=UTC)
        date = sane_time(date, "Date")
    mid = _no_nul(str(msg.get("Message-ID") or "")).strip()
    if not mid:
        mid = "<sha256:" + hashlib.sha256(raw).hexdigest()[:32] + ">"
    return InboundEmail(
        message_id=mid,
        from_name=name or None,
        from_addr=addr.lower(),
        to=tuple(a for _, a in getaddresses([decode_words(msg.get("To"))]) if a),
        subject=decode_words(msg.get("Subject")),
        date=date,
        text="\n".join(t for t in (texts or html) if t),
        attachments=tuple(attachments),
    )


def email_to_draft(mail: InboundEmail, *, received_at: datetime) -> OrderDraft:
    """An e-mail → an order draft (channel ``email``), classified by a first guess.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> raw = ("From: 张三 <z@qq.com>\\r\\nSubject: 沙湾区嘉农镇停水\\r\\n\\r\\n"
    ...     "三天没水了，电话13912345678")
    >>> m = parse_email(raw.encode())
    >>> d = email_to_draft(m, received_at=datetime(2026, 11, 27, tzinfo=timezone.utc))
    >>> (d.category.code, d.address, d.reporter.phone)
    ('water.supply', '沙湾区嘉农镇', '13912345678')
    """
    body = f"{mail.subject}\n{mail.text}".strip()
    if not body:
        raise PayloadError("Subject", "the message has neither subject nor text")
    rtype, code = guess_category(body)
    phone = _PHONE.search(body)
    return OrderDraft(
        channel="email",
        category=DraftCategory(rtype, code),
        urgency="consultation" if rtype == "consultation" else "general",
        description=f"【邮件】{body}",
        address=guess_address(body) or "乐山市（邮件未注明地址）",
        reporter=DraftReporter(mail.from_name, phone.group(1) if phone else None),
        source="email",
        source_id=mail.message_id[:200],
        received_at=mail.date or received_at,
        attachments=tuple(Attachment(f, ct, c) for f, ct, c in mail.attachments),
        extra={"from": mail.from_addr, "auto_classified": True},
    )
