"""XML from outside systems, parsed with defusedxml: no DTDs, no entities, no external fetches.

A billion-laughs payload (nested entity expansion) or an external entity (``SYSTEM
"file:///etc/passwd"``) is refused as a :class:`~feeds.base.PayloadError` on ``body``; the
parser never expands or fetches anything.

Chinese systems often declare ``encoding="GBK"`` or ``"GB2312"`` (a provincial CAP
platform, an older WeChat gateway). Expat reads only UTF-8, UTF-16 and single-byte
encodings, so such a document is decoded here with Python's codec (GBK and GB2312 as
GB18030, their superset) and handed to the parser as UTF-8.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from feeds.base import PayloadError

MAX_XML_BYTES = 2_000_000
_DECLARATION = re.compile(
    rb"""^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
# What expat reads by itself; anything else is decoded here first.
_NATIVE = frozenset({"utf_8", "ascii", "latin_1", "utf_16", "utf_16_le", "utf_16_be"})
# Declared names read with a wider codec: GB18030 is a superset of GBK and GB2312, and
# systems that declare GB2312 send GBK characters anyway.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc_cn": "gb18030"}


def _as_utf8(payload: bytes) -> bytes:
    """``payload`` as UTF-8 when it declares an encoding expat cannot read, else as is.

    Examples
    --------
    >>> doc = '<?xml version="1.0" encoding="GB2312"?><a>乐山</a>'.encode("gbk")
    >>> _as_utf8(doc).decode("utf-8")
    '<?xml version="1.0" encoding="utf-8"?><a>乐山</a>'
    """
    m = _DECLARATION.match(payload[:200])
    if m is None or m.group(1):  # no declaration, or a UTF-8 byte order mark: as is
        return payload
    declared = m.group(2).decode("ascii")
    try:
        name = codecs.lookup(declared).name.replace("-", "_")
    except LookupError:
        raise PayloadError("body", f"unknown XML encoding {declared!r}") from None
    if name in _NATIVE:
        return payload
    codec = _WIDER.get(name, name)
    start, end = m.span(2)
    try:
        rest = payload[end:].decode(codec)
    except UnicodeDecodeError as exc:
        raise PayloadError("body", f"not valid {declared} text at byte {end + exc.start}") from None
    # The declaration (ASCII in every such encoding) now names what the bytes are.
    return payload[:start] + b"utf-8" + rest.encode("utf-8")


def parse_xml(payload: bytes | str) -> Element:
    """Parse an XML document safely, or raise PayloadError naming ``body``.

    Examples
    --------
    >>> parse_xml(b"<a><b>1</b></a>").find("b").text
    '1'
    >>> parse_xml('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')
    Traceback (most recent call last):
    ...
    feeds.base.PayloadError: body: refused XML: DTDs and entities are not accepted (...)
    """
    size = len(payload.encode("utf-8") if isinstance(payload, str) else payload)
    if size > MAX_XML_BYTES:
        raise PayloadError("body", f"XML document of {size} bytes is over {MAX_XML_BYTES}")
    if isinstance(payload, bytes):
        payload = _as_utf8(payload)
    try:
        root: Element = SafeET.fromstring(
            payload, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise PayloadError(
            "body", f"refused XML: DTDs and entities are not accepted ({type(exc).__name__})"
        ) from exc
    except (ParseError, ValueError) as exc:
        # ValueError: what the parser refuses outright (an encoding it cannot read).
        raise PayloadError("body", f"not well-formed XML ({exc})") from exc
    return root


def local(tag: str) -> str:
    """An element's tag without its ``{namespace}``.

    Examples
    --------
    >>> local("{urn:oasis:names:tc:emergency:cap:1.2}alert")
    'alert'
    """
    return tag.rsplit("}", 1)[-1]


def child_text(el: Element, name: str) -> str | None:
    """Stripped text of the first child called ``name`` (any namespace), or None."""
    for c in el:
        if local(c.tag) == name:
            return (c.text or "").strip()
    return None


def children(el: Element, name: str) -> list[Element]:
    """All children called ``name`` (any namespace), in document order."""
    return [c for c in el if local(c.tag) == name]
