"""Checks on text that clients send, before it can reach the database.

PostgreSQL's ``text`` and ``jsonb`` cannot hold a NUL character (``\\u0000``): a NUL that
got that far made the insert fail and the request a 500. The API's request models refuse
it (``dispatch_center.models.Clean``) with a 422 naming the field; the intake's payload
parsing has the same check for outside systems (``feeds.payload``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character (\\u0000)"


def nul_path(value: Any) -> str | None:
    """Where in ``value`` a NUL character is: ``""`` for the value itself, a dotted path
    (``"reporter.name"``, ``"ids.2"``) inside lists and objects, None when there is none.

    Keys of objects are checked too (a jsonb key cannot hold a NUL either).

    Examples
    --------
    >>> nul_path("ok") is None
    True
    >>> nul_path("a\\x00b")
    ''
    >>> nul_path({"reporter": {"name": "x\\x00"}, "ids": ["1"]})
    'reporter.name'
    >>> nul_path(["a", "b\\x00"])
    '1'
    """
    if isinstance(value, str):
        return "" if NUL in value else None
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and NUL in k:
                return k.replace(NUL, "\\u0000")
            inner = nul_path(v)
            if inner is not None:
                return f"{k}.{inner}" if inner else str(k)
        return None
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            inner = nul_path(v)
            if inner is not None:
                return f"{i}.{inner}" if inner else str(i)
    return None
