"""XML from outside systems, parsed with defusedxml: no DTDs, no entities, no external fetches.

A billion-laughs payload (nested entity expansion) or an external entity (``SYSTEM
"file:///etc/passwd"``) is refused as a :class:`~feeds.base.PayloadError` on ``body``; the
parser never expands or fetches anything.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from feeds.base import PayloadError

MAX_XML_BYTES = 2_000_000


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
    try:
        root: Element = SafeET.fromstring(
            payload, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise PayloadError(
            "body", f"refused XML: DTDs and entities are not accepted ({type(exc).__name__})"
        ) from exc
    except ParseError as exc:
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
