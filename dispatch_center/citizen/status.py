"""The citizen's status lookup (查询办理进度): an order number plus the last four digits of
the reporter's phone → where the request stands, in plain words.

Nothing personal comes back, and "no such order" and "wrong digits" are one answer,
reached by the same work (the digits are compared against a stand-in when there is no
order), so the lookup tells nobody which numbers exist. Failed lookups are throttled per
client address and per order number with the sign-in throttle's store and rule
(:mod:`dispatch_center.accounts.throttle`): a few free, then locks that double; a locked
key is answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import hmac
import math
import re
from typing import Any

from dispatch_center.accounts.throttle import WINDOW, address_key, lockout_s
from dispatch_center.center import Center
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.notices import PLAIN_STATUS, REPLIED_STATUSES, phone_last4
from dispatch_center.errors import Invalid, NotFound, TooManyRequests
from dispatch_center.store import replies as reply_store
from dispatch_center.store import throttle as throttle_store

Row = dict[str, Any]

#: The one answer for a number that does not exist and for digits that do not match.
NOT_FOUND = "没有找到与工单号和手机号后四位相符的诉求，请核对后再试。"
#: Failed lookups free per address (a shared office, a family) and per order number.
ADDRESS_FREE = 10
NUMBER_FREE = 5
_NUMBER = re.compile(r"[A-Za-z]{1,4}\d{6,20}")
_DIGITS = re.compile(r"\d{4}")


def check_input(number: str, phone4: str) -> str:
    """The order number normalised, or 422 naming the field.

    Examples
    --------
    >>> check_input(" ls2026120500001 ", "1234")
    'LS2026120500001'
    """
    n = number.strip().upper()
    if not _NUMBER.fullmatch(n):
        raise Invalid("not an order number", fields={"number": "e.g. LS2026120500001"})
    if not _DIGITS.fullmatch(phone4.strip()):
        raise Invalid("four digits", fields={"phone4": "the last four digits of the phone"})
    return n


def status_view(row: Row) -> Row:
    """What the citizen is told."""
    view: Row = {
        "number": row["number"],
        "status": row["status"],
        "status_label": PLAIN_STATUS.get(row["status"], row["status"]),
        "received_at": to_shanghai(row["received_at"]).isoformat(),
        "reply_by": to_shanghai(row["reply_by"]).isoformat() if row["reply_by"] else None,
        "unit": row["unit_name"],
    }
    if row["status"] in REPLIED_STATUSES and row.get("reply"):
        view["reply"] = row["reply"]
    return view


async def look_up(center: Center, number: str, phone4: str, address: str | None) -> Row:
    """The status of order ``number`` for whoever knows its phone's last four digits."""
    n = check_input(number, phone4)
    keys = {f"status-number:{n}": NUMBER_FREE}
    addr = address_key(address)
    if addr is not None:
        keys["status-" + addr] = ADDRESS_FREE
    async with center.db.connection() as conn:
        wait = await throttle_store.locked_for(conn, list(keys))
        if wait > 0:
            raise TooManyRequests("查询过于频繁，请稍后再试。", retry_after=max(1, math.ceil(wait)))
        row = await reply_store.order_for_lookup(conn, n)
        # The same comparison with or without an order: no timing tells them apart.
        expected = phone_last4(row["reporter_phone"]) if row else ""
        ok = hmac.compare_digest((expected or "----").encode(), phone4.strip().encode())
        if row is not None and ok and expected:
            return status_view(row)
        for key, free in keys.items():
            seconds = lockout_s(await throttle_store.record_failure(conn, key, WINDOW), free)
            if seconds:
                await throttle_store.lock(conn, key, seconds)
    raise NotFound(NOT_FOUND)
