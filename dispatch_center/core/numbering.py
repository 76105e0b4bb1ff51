"""Work-order numbers as citizens and staff read them out: ``LS2026112700042``.

A number is a letter prefix (``LS`` for Leshan), the day the order was received
(``YYYYMMDD``, Asia/Shanghai) and a five-digit serial that restarts every day. The store
hands out serials; this module only formats and parses.
"""

from __future__ import annotations

import re
from datetime import date

MAX_SERIAL = 99_999
_PREFIX = re.compile(r"[A-Z]+")
_NUMBER = re.compile(r"([A-Z]+)(\d{8})(\d{5})")


def format_order_number(day: date, serial: int, prefix: str = "LS") -> str:
    """Format an order number.

    Parameters
    ----------
    day : date
        The day the order was received (Asia/Shanghai).
    serial : int
        The order's serial within that day, 1 to 99999.
    prefix : str
        Upper-case ASCII letters naming the center.

    Raises
    ------
    ValueError
        If the serial is out of range or the prefix is not upper-case letters (a digit in
        the prefix would make numbers ambiguous to parse).

    Examples
    --------
    >>> format_order_number(date(2026, 11, 27), 42)
    'LS2026112700042'
    """
    if isinstance(serial, bool) or not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 1..{MAX_SERIAL}, got {serial!r}")
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix must be upper-case ASCII letters, got {prefix!r}")
    return f"{prefix}{day:%Y%m%d}{serial:05d}"


def parse_order_number(s: str) -> tuple[str, date, int]:
    """Split an order number into prefix, day and serial.

    Surrounding whitespace is ignored and lower-case letters accepted, since numbers are
    often typed in by hand from a phone call.

    Raises
    ------
    ValueError
        If ``s`` is not a well-formed number (shape, calendar date or serial 0).

    Examples
    --------
    >>> parse_order_number("LS2026112700042")
    ('LS', datetime.date(2026, 11, 27), 42)
    """
    match = _NUMBER.fullmatch(s.strip().upper())
    if not match:
        raise ValueError(f"not an order number: {s!r} (expected e.g. LS2026112700042)")
    prefix, ymd, serial_text = match.groups()
    try:
        day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        raise ValueError(f"not an order number: {s!r} ({ymd} is no date)") from None
    serial = int(serial_text)
    if serial == 0:
        raise ValueError(f"not an order number: {s!r} (serial 00000)")
    return prefix, day, serial
