"""Masking citizens' phone numbers for the roles that do not need to call them.

Masks keep just enough to tell two callers apart (a mobile's network prefix and last four
digits, a landline's area code) and never the digits that identify a person.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from dispatch_center.core.disclosure import redact_text
from dispatch_center.core.roles import ROLES_SEEING_FULL_PHONE, Role
from dispatch_center.core.visibility import CITY_WIDE_ROLES

_MOBILE = re.compile(r"1\d{10}")
# 010 and 02X are the only three-digit area codes; all others have four digits.
_LANDLINE_AREA = re.compile(r"0(?:10|2\d|[3-9]\d{2})")
_ALREADY_MASKED = re.compile(
    r"(?:\+\d{1,3} )?\d{3}\*{4}\d{4}"  # mobile
    r"|(?:0\d{2,3}-)?\*+\d{4}"  # landline
    r"|\+?\*+\d{1,2}"  # odd strings
)
_SEPARATORS = re.compile(r"[\s\-().]+")


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number for display to roles that must not see it.

    - Mobile: ``13812345678`` becomes ``138****5678``.
    - With a country code: ``+86 138 1234 5678`` becomes ``+86 138****5678`` (spaces go).
    - Landline: ``0833-2134567`` becomes ``0833-***4567``; the area code stays, the local
      number shows its last four digits.
    - Anything else shows only its last two digits.

    Masking a masked number returns it unchanged, so layers may mask twice safely.

    Parameters
    ----------
    phone : str or None

    Returns
    -------
    str or None
        None for None, ``""`` for a blank string.

    Examples
    --------
    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("+86 138 1234 5678")
    '+86 138****5678'
    >>> mask_phone("0833-2134567")
    '0833-***4567'
    >>> mask_phone("12345")
    '***45'
    """
    if phone is None:
        return None
    text = phone.strip()
    if not text:
        return ""
    if _ALREADY_MASKED.fullmatch(text):
        return text
    country, national = _split_country_code(text)
    digits = _SEPARATORS.sub("", national)
    if not digits.isdigit():
        return _mask_odd(country, national)
    if _MOBILE.fullmatch(digits):
        return f"{country} " * bool(country) + f"{digits[:3]}****{digits[-4:]}"
    # Only a Chinese landline has a known shape; a foreign one is masked as an odd string.
    landline = _mask_landline(national, digits) if country in ("", "+86") else None
    if landline is not None:
        return f"{country} " * bool(country) + landline
    return _mask_odd(country, national)


def _split_country_code(text: str) -> tuple[str, str]:
    """Split ``+86 ...`` / ``0086...`` into ("+86", rest); ("", text) when there is none."""
    if text.startswith("00") and not _LANDLINE_AREA.match(text):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return "", text
    body = text[1:].lstrip()
    # Written with a separator, the first group is the country code whatever it is; run
    # together, only China's +86 can be told apart from the number that follows it.
    grouped = re.match(r"(\d{1,3})[\s\-]+(.*)", body)
    if grouped:
        return "+" + grouped.group(1), grouped.group(2)
    if body.startswith("86"):
        return "+86", body[2:]
    return "+", body


def _mask_landline(national: str, digits: str) -> str | None:
    """Mask a Chinese landline (area code optional), or None if it is not one."""
    parts = [p for p in _SEPARATORS.split(national.strip()) if p]
    if len(parts) == 2 and _LANDLINE_AREA.fullmatch(parts[0]):
        area, local = parts
    elif len(parts) == 1:
        area_match = _LANDLINE_AREA.match(digits) if digits.startswith("0") else None
        area = area_match.group(0) if area_match else ""
        local = digits[len(area) :]
    else:
        return None
    if not (7 <= len(local) <= 8 and local.isdigit()):
        return None
    masked = "*" * (len(local) - 4) + local[-4:]
    return f"{area}-{masked}" if area else masked


def _mask_odd(country: str, national: str) -> str:
    """Show only the last two digits of a string that is no recognisable number."""
    digits = re.sub(r"\D", "", national)
    prefix = "+" if country else ""
    if len(digits) < 2:
        return prefix + "****"
    return prefix + "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_name(name: str | None) -> str | None:
    """A person's name with only its first character shown (the surname, in Chinese).

    Examples
    --------
    >>> mask_name("刘女士"), mask_name("张三"), mask_name(" "), mask_name(None)
    ('刘**', '张*', '', None)
    """
    if name is None:
        return None
    text = name.strip()
    return text[:1] + "*" * (len(text) - 1) if text else ""


def phone_for_role(phone: str | None, role: Role | str) -> str | None:
    """Return the number as ``role`` may see it: in full or masked.

    An unknown role sees the masked number.

    Examples
    --------
    >>> phone_for_role("13812345678", Role.handler)
    '13812345678'
    >>> phone_for_role("13812345678", "leader")
    '138****5678'
    """
    if role in ROLES_SEEING_FULL_PHONE:
        return phone
    return mask_phone(phone)


class ReporterFacts(NamedTuple):
    """Who reported, and the text they gave, as stored."""

    name: str | None
    phone: str | None
    description: str | None


def keeps_reporter_confidential(request_type: str, *, asked: bool) -> bool:
    """Whether an order's reporter is kept from the units that handle it.

    A 举报 (report of wrongdoing) always is: it may be about the very office it is
    passed to, and reporters are protected by law whatever they ticked. Any other request
    is when the citizen asked (要求保密).

    Examples
    --------
    >>> keeps_reporter_confidential("report", asked=False)
    True
    >>> keeps_reporter_confidential("complaint", asked=False)
    False
    >>> keeps_reporter_confidential("complaint", asked=True)
    True
    """
    return asked or request_type == "report"


def reporter_as_seen(
    facts: ReporterFacts, role: Role | str, *, confidential: bool
) -> ReporterFacts:
    """The reporter and their text as ``role`` may see them.

    A confidential reporter is known in full only to the center's seats
    (:data:`~dispatch_center.core.visibility.CITY_WIDE_ROLES`, numbers only to those of
    them that see numbers): a handling unit sees the surname, a masked number and the text
    with its phone and ID-card numbers masked, and the center calls the citizen back. Any
    other reporter's number is shown by :func:`phone_for_role`.

    Examples
    --------
    >>> f = ReporterFacts("王先生", "13812345678", "请回电13812345678")
    >>> reporter_as_seen(f, Role.handler, confidential=True)
    ReporterFacts(name='王**', phone='138****5678', description='请回电138****5678')
    >>> reporter_as_seen(f, Role.dispatcher, confidential=True) == f
    True
    >>> reporter_as_seen(f, Role.handler, confidential=False) == f
    True
    """
    if not confidential or role in CITY_WIDE_ROLES:
        return facts._replace(phone=phone_for_role(facts.phone, role))
    return ReporterFacts(
        mask_name(facts.name),
        mask_phone(facts.phone),
        redact_text(facts.description) if facts.description is not None else None,
    )
