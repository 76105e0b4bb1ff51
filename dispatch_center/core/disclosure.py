"""What of a record may be shown outside its own handlers: the wall, the live layers, lists
every signed-in role reads.

Two rules, both pure:

- free text (an order's description, a feed event's title, a caller's words) is shown with
  mainland phone numbers and 18-digit ID-card numbers masked (:func:`redact_text`): citizens
  type their numbers into what they say, and a wall screen is read by whoever walks past;
- a feed event keeps only the values declared public for its kind (:func:`public_event`): an
  allow-list, so a field an outside system adds tomorrow stays inside until someone decides
  it may leave. The lists are declared next to each adapter (``PUBLIC_VALUES``) and gathered
  by :meth:`feeds.registry.Catalogue.public_values`.

The order's own API keeps masking by role (:mod:`dispatch_center.core.privacy`); this module
is for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

# Full-width digits and signs, as a Chinese input method types them, read as ASCII for the
# search (one character for one, so the positions found hold in the original text).
_HALF_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
_FULL_WIDTH = re.compile("[０-９]")

_ID_CARD = (
    # region, birth date (a real month and day), sequence, check digit. Not glued to a
    # letter: a 110 case number (J + region + date + sequence) has the very same shape.
    r"(?<![A-Za-z])(?P<id>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx])(?![A-Za-z])"
)
_COUNTRY = r"(?:\+|00)?\s?86[\s\-]?"
_MOBILE = rf"(?P<mobile_cc>{_COUNTRY})?(?P<mobile>1[3-9]\d(?:[\s\-]?\d{{4}}){{2}})"
# 010 and 02X are the three-digit area codes, all others have four; the local number has 7
# or 8 digits. Without its area code a landline is just a number (a gauge station, a case
# number) and is left alone.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LANDLINE = (
    rf"(?:\(?(?P<area>0{_AREA})\)?|(?P<landline_cc>{_COUNTRY})\(?0?(?P<area_cc>{_AREA})\)?)"
    r"[\s\-]?(?P<local>[1-9]\d{2,3}[\s\-]?\d{4})"
)
# The lookahead first: most positions of a text are no digit, and fail there at once.
_NUMBERS = re.compile(rf"(?=[\d+(])(?<!\d)(?:{_ID_CARD}|{_MOBILE}|{_LANDLINE})(?![\dXx])")
_NOT_DIGIT = re.compile(r"\D")
# Every number found holds three digits in a row (a mobile's network prefix, an area code):
# a text without them is let through at once.
_THREE_DIGITS = re.compile("[0-9０-９]{3}")
_PLAIN = frozenset({int, float, bool, type(None)})

#: The parts of a feed event (as the live layers and the wall's deltas carry it) that are
#: always shown; ``values`` is cut to the kind's allow-list.
EVENT_FIELDS = (
    "system",
    "source_id",
    "key",
    "kind",
    "layer",
    "severity",
    "title",
    "at",
    "lon",
    "lat",
    "area",
)


def redact_text(text: str) -> str:
    """``text`` with mainland phone numbers and ID-card numbers masked.

    Mobiles (``138 1234 5678``, ``+86-138…``), landlines with their area code
    (``0833-2134567``, ``(028)12345678``, ``+86 833 2134567``) keep what
    :func:`~dispatch_center.core.privacy.mask_phone` keeps (a mobile's network prefix and
    last four digits, a landline's area code and last four); an 18-digit ID-card number
    (with an ``X`` check digit or not) keeps its last four. Full-width digits count.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        The same text when it holds no such number.

    Examples
    --------
    >>> redact_text("请回电13812345678，身份证51110219900101123X")
    '请回电138****5678，身份证**************123X'
    >>> redact_text("座机0833-2134567或 +86 138 1234 5678")
    '座机0833-***4567或 +86 138****5678'
    >>> redact_text("电话：１３８１２３４５６７８")
    '电话：138****5678'
    >>> redact_text("大渡河沙湾站 60705500，案件号 J511100202611260417")
    '大渡河沙湾站 60705500，案件号 J511100202611260417'
    """
    if not text or not _THREE_DIGITS.search(text):
        return text
    probe = text.translate(_HALF_WIDTH) if _FULL_WIDTH.search(text) else text
    parts: list[str] = []
    last = 0
    for m in _NUMBERS.finditer(probe):
        start, end = m.span()
        parts += [text[last:start], _masked(m)]
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def _masked(m: re.Match[str]) -> str:
    """The mask of one number :data:`_NUMBERS` found (the shapes ``mask_phone`` gives)."""
    if m.group("id"):
        return "*" * 14 + m.group("id")[-4:]
    if m.group("mobile"):
        digits = _NOT_DIGIT.sub("", m.group("mobile"))
        return "+86 " * bool(m.group("mobile_cc")) + f"{digits[:3]}****{digits[-4:]}"
    local = _NOT_DIGIT.sub("", m.group("local"))
    area = m.group("area") or "0" + m.group("area_cc")
    country = "+86 " if m.group("landline_cc") else ""
    return f"{country}{area}-" + "*" * (len(local) - 4) + local[-4:]


def redact_value(value: Any) -> Any:
    """``value`` with every string in it, at any depth, passed through :func:`redact_text`.

    Examples
    --------
    >>> redact_value({"note": "回电13812345678", "n": 3, "parties": ["市民 13812345678"]})
    {'note': '回电138****5678', 'n': 3, 'parties': ['市民 138****5678']}
    """
    kind = type(value)
    if kind is str:
        return redact_text(value)
    if kind in _PLAIN:  # most values of a reading: no call, no ABC check
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def public_event(
    event: Mapping[str, Any], public_values: Mapping[str, Collection[str]]
) -> dict[str, Any]:
    """A feed event as it may leave the center: its values cut to those ``public_values``
    declares for its kind (none for a kind nobody declared), its text redacted.

    ``event`` is the shape of a live-layer entry or of a change-log event view (``system``,
    ``kind``, ``title``, ``values``, ...); parts outside :data:`EVENT_FIELDS` are dropped.

    Examples
    --------
    >>> e = {"kind": "police110.transfer", "title": "110转办：回电13812345678",
    ...      "values": {"jjdbh": "J1", "bjr": "刘女士", "bjdh": "13881390021"}}
    >>> public_event(e, {"police110.transfer": {"jjdbh"}})
    {'kind': 'police110.transfer', 'title': '110转办：回电138****5678', 'values': {'jjdbh': 'J1'}}
    >>> public_event({"kind": "new.kind", "values": {"anything": 1}}, {})["values"]
    {}
    """
    out = {k: event[k] for k in EVENT_FIELDS if k in event}
    if isinstance(out.get("title"), str):
        out["title"] = redact_text(out["title"])
    if "values" in event:
        allowed = public_values.get(str(event.get("kind")), ())
        values = event["values"] or {}
        out["values"] = {k: redact_value(v) for k, v in values.items() if k in allowed}
    return out
