"""Reading fields out of outside systems' payloads, each failure naming the exact field.

Chinese government systems send times as ``"2026-11-27 08:12:33"`` (local time, no offset),
as ISO 8601, or as epoch seconds or milliseconds; all are accepted here, and a time without
an offset is read as Asia/Shanghai.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from feeds.base import Datum, PayloadError, Point

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MISSING = object()
# Times outside these are no time a request or a reading was taken: a clock reset to the
# epoch, year 1 or 9999 from a broken client (they would also overflow the deadline
# arithmetic and the database's partitions).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S")


def as_mapping(payload: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    """Decode a JSON object payload (bytes in UTF-8, or already a dict).

    Examples
    --------
    >>> as_mapping(b'{"a": 1}')["a"]
    1
    """
    if isinstance(payload, Mapping):
        return payload
    try:
        # orjson first (C, validates UTF-8 itself); the standard parser for what it refuses
        # and the stdlib accepts (a BOM, NaN), and for its clearer error messages.
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        value = _MISSING
    try:
        if value is _MISSING:
            text = payload.decode("utf-8-sig") if isinstance(payload, bytes) else payload
            value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("body", f"not a UTF-8 JSON document ({exc})") from exc
    if not isinstance(value, dict):
        raise PayloadError("body", f"expected a JSON object, got {type(value).__name__}")
    # A NUL can only come in as the escape \u0000 (a raw one is not JSON); the walk runs
    # only then. The database's text and jsonb cannot hold it: refuse, naming the field.
    escaped = b"\\u0000" in payload if isinstance(payload, bytes) else "\\u0000" in payload
    if escaped:
        where = nul_path(value)
        if where is not None:
            raise PayloadError(where or "body", "must not contain a NUL character (\\u0000)")
    return value


def nul_path(value: Any) -> str | None:
    """Where in a decoded payload a NUL character is (a dotted path), else None.

    The same rule as the API's (``dispatch_center.core.text``), for the outside systems'
    payloads, which this package reads without the center.

    Examples
    --------
    >>> nul_path({"alarm": {"desc": "x" + chr(0)}, "ids": ["1"]})
    'alarm.desc'
    >>> nul_path({"ok": [1, "two"]}) is None
    True
    """
    if isinstance(value, str):
        return "" if "\x00" in value else None
    if isinstance(value, Mapping):
        for k, v in value.items():
            if "\x00" in str(k):
                return str(k).replace("\x00", "\\u0000")
            inner = nul_path(v)
            if inner is not None:
                return f"{k}.{inner}" if inner else str(k)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            inner = nul_path(v)
            if inner is not None:
                return f"{i}.{inner}" if inner else str(i)
    return None


def get(data: Mapping[str, Any], path: str, default: Any = _MISSING, *, prefix: str = "") -> Any:
    """The value at dotted ``path``; missing or null raises PayloadError unless a default is given.

    Examples
    --------
    >>> get({"a": {"b": 2}}, "a.b")
    2
    >>> get({"a": {}}, "a.b", None) is None
    True
    """
    cur: Any = data
    # Every reading of every feed passes here: plain dicts skip the ABC check.
    for part in path.split(".") if "." in path else (path,):
        nxt = cur.get(part) if type(cur) is dict or isinstance(cur, Mapping) else None
        if nxt is None:
            if default is not _MISSING:
                return default
            raise PayloadError(prefix + path, "required field is missing")
        cur = nxt
    return cur


def text(
    data: Mapping[str, Any], path: str, default: str | None = None, *, prefix: str = ""
) -> str:
    """A non-empty string field (numbers are turned into strings, since vendors mix them)."""
    value = get(data, path, default if default is not None else _MISSING, prefix=prefix)
    if type(value) is str:
        out = value.strip()
        if out:
            return out
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(prefix + path, f"expected text, got {type(value).__name__}")
    out = str(value).strip()
    if not out:
        if default is not None:
            return default
        raise PayloadError(prefix + path, "must not be empty")
    return out


def opt_text(data: Mapping[str, Any], path: str, *, prefix: str = "") -> str | None:
    """A string field that may be absent or empty."""
    value = get(data, path, None, prefix=prefix)
    if value is None or str(value).strip() == "":
        return None
    return text(data, path, prefix=prefix)


def number(
    data: Mapping[str, Any],
    path: str,
    default: float | None = None,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
    prefix: str = "",
) -> float:
    """A finite number field (numeric strings accepted), within ``[lo, hi]``.

    Examples
    --------
    >>> number({"Z": "361.25"}, "Z")
    361.25
    """
    raw = get(data, path, default if default is not None else _MISSING, prefix=prefix)
    try:
        if isinstance(raw, bool):
            raise TypeError
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise PayloadError(prefix + path, f"not a number: {raw!r}") from exc
    if not math.isfinite(value) or not lo <= value <= hi:
        raise PayloadError(prefix + path, f"{value} is outside [{lo}, {hi}]")
    return value


def sane_time(value: datetime, field: str) -> datetime:
    """``value`` when it lies in the years 2000 to 2199, else PayloadError naming ``field``.

    Examples
    --------
    >>> sane_time(datetime(2026, 11, 27, tzinfo=UTC), "t").year
    2026
    >>> sane_time(datetime(9999, 12, 31, tzinfo=UTC), "receivedAt")
    Traceback (most recent call last):
    ...
    feeds.base.PayloadError: receivedAt: 9999-12-31T00:00:00+00:00 is not a plausible time ...
    """
    if not EARLIEST <= value < LATEST:
        raise PayloadError(
            field,
            f"{value.isoformat()} is not a plausible time (expected the years"
            f" {EARLIEST.year} to {LATEST.year - 1})",
        )
    return value


def parse_time(raw: Any, field: str) -> datetime:
    """An aware datetime from ISO 8601, ``YYYY-MM-DD HH:MM:SS`` (local) or epoch s/ms.

    Examples
    --------
    >>> parse_time("2026-11-27 08:00:00", "tm").isoformat()
    '2026-11-27T08:00:00+08:00'
    >>> parse_time(1795737600000, "t").isoformat()
    '2026-11-27T00:00:00+00:00'
    >>> parse_time("0001-01-01T00:00:00+08:00", "tm")
    Traceback (most recent call last):
    ...
    feeds.base.PayloadError: tm: 0001-01-01T00:00:00+08:00 is not a plausible time ...
    """
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = raw / 1000 if raw > 1e11 else raw
        try:
            return sane_time(datetime.fromtimestamp(seconds, tz=UTC), field)
        except (OverflowError, OSError, ValueError):
            raise PayloadError(field, f"not a time: {raw!r}") from None
    if isinstance(raw, str) and raw.strip():
        s = raw.strip()
        if s.isdigit() and len(s) in (10, 13):
            return parse_time(int(s), field)
        try:
            value = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _LOCAL_FORMATS:
                try:
                    # A local time without an offset is Beijing time.
                    value = datetime.strptime(s, fmt).replace(tzinfo=SHANGHAI)
                    break
                except ValueError:
                    continue
            else:
                raise PayloadError(field, f"not a time: {raw!r}") from None
        return sane_time(value if value.tzinfo else value.replace(tzinfo=SHANGHAI), field)
    raise PayloadError(field, f"not a time: {raw!r}")


def time_field(data: Mapping[str, Any], path: str, *, prefix: str = "") -> datetime:
    """``parse_time`` of a required field."""
    return parse_time(get(data, path, prefix=prefix), prefix + path)


def point(
    data: Mapping[str, Any], lon_path: str, lat_path: str, datum: Datum, *, prefix: str = ""
) -> Point:
    """A point from two fields, checked to be a plausible longitude and latitude.

    Examples
    --------
    >>> point({"x": 103.77, "y": 29.54}, "x", "y", "wgs84")
    Point(lon=103.77, lat=29.54, datum='wgs84')
    """
    lon = number(data, lon_path, lo=-180, hi=180, prefix=prefix)
    lat = number(data, lat_path, lo=-90, hi=90, prefix=prefix)
    return Point(lon, lat, datum)


def opt_point(
    data: Mapping[str, Any], lon_path: str, lat_path: str, datum: Datum, *, prefix: str = ""
) -> Point | None:
    """``point`` when both fields are present, else None."""
    if get(data, lon_path, None) is None or get(data, lat_path, None) is None:
        return None
    return point(data, lon_path, lat_path, datum, prefix=prefix)


def items(data: Mapping[str, Any], path: str, *, prefix: str = "") -> list[Mapping[str, Any]]:
    """A required non-empty list of objects."""
    value = get(data, path, prefix=prefix)
    if not isinstance(value, list) or not value:
        raise PayloadError(prefix + path, "expected a non-empty list")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise PayloadError(f"{prefix}{path}[{i}]", "expected an object")
    return value


def choice(
    data: Mapping[str, Any], path: str, allowed: Mapping[str, Any], *, prefix: str = ""
) -> Any:
    """Look a code field up in ``allowed``; an unknown code names the field and the choices."""
    code = text(data, path, prefix=prefix)
    if code not in allowed:
        raise PayloadError(
            prefix + path, f"unknown code {code!r}; expected one of {sorted(allowed)}"
        )
    return allowed[code]
