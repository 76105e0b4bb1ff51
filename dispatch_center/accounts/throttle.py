"""Sign-in throttling per user and per client address, shared by every worker.

Kept in PostgreSQL (``login_throttle``, migration 015) rather than Redis: the database is
there in every deployment, while ``REDIS_URL`` is optional (the demo and a single worker
run without it), and throttling must not vanish with it; sign-ins come at a human rate and
already read the user's row, so one more statement each costs nothing that matters.

The rule (:func:`lockout_s`): a key (a username, an address) has a few free failures
within a quarter of an hour; each failure past them locks the key for a minute, doubling
up to 15 minutes. A locked key is answered 429 with ``Retry-After`` before any password is
checked, so a locked account costs no Argon2 and the guesses it gets are few: 5, then one
a minute, two, four, eight, then four an hour. The address allowance is larger (a shared
office address, several users' typos). Attempts while locked are not counted: a locked
user's lock does not grow by someone else hammering it. A success clears the user's key,
not the address's (an attacker with one account of their own must not reset it).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Awaitable, Callable
from datetime import timedelta

from dispatch_center.accounts.passwords import password_work
from dispatch_center.center import Center
from dispatch_center.errors import TooManyRequests
from dispatch_center.store import throttle as store

#: Failures count together while each comes within this long of the one before.
WINDOW = timedelta(minutes=15)
#: Free failures before a lock, per user and per address.
USER_FREE = 5
ADDRESS_FREE = 20
#: The first lock, doubling with each further failure up to the longest.
FIRST_LOCK_S = 60.0
LONGEST_LOCK_S = 15 * 60.0
#: Rows idle this long are dropped.
PURGE_AFTER = timedelta(days=1)


def lockout_s(failures: int, free: int) -> float:
    """Seconds a key is locked after its ``failures``-th failure in a row.

    Examples
    --------
    >>> [lockout_s(n, free=5) for n in (4, 5, 6, 7, 8)]
    [0.0, 60.0, 120.0, 240.0, 480.0]
    >>> lockout_s(40, free=5)
    900.0
    """
    if failures < free:
        return 0.0
    return min(LONGEST_LOCK_S, FIRST_LOCK_S * 2.0 ** min(failures - free, 16))


def user_key(username: str) -> str:
    """The throttling key of a username (case-folded: ``Admin`` is ``admin``'s key).

    Examples
    --------
    >>> user_key("Duty")
    'user:duty'
    """
    return "user:" + username.strip().casefold()


def address_key(address: str | None) -> str | None:
    """The throttling key of a client address: an IPv4 address, or an IPv6 /64 (one
    subscriber's prefix); None when there is no usable address.

    Examples
    --------
    >>> address_key("203.0.113.7")
    'addr:203.0.113.7'
    >>> address_key("2001:db8:1:2:3:4:5:6")
    'addr:2001:db8:1:2::/64'
    >>> address_key("testclient") is None
    True
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"addr:{ip.ipv4_mapped}"
        return f"addr:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"addr:{ip}"


async def checked(
    center: Center, username: str, address: str | None, verify: Callable[[], Awaitable[bool]]
) -> bool:
    """Whether the password is right, asked under the throttle of ``username`` and
    ``address``: :class:`~dispatch_center.errors.TooManyRequests` (429, with the seconds to
    wait) while either is locked, and a wrong answer counts against both.

    ``verify`` runs in one of the center's Argon2 turns right after the lock check, so a
    burst of attempts cannot all pass the check before the first failure is counted.
    """
    keys = {user_key(username): USER_FREE}
    addr = address_key(address)
    if addr is not None:
        keys[addr] = ADDRESS_FREE
    async with password_work(center).slot():
        async with center.db.connection() as conn:
            wait = await store.locked_for(conn, list(keys))
        if wait > 0:
            raise TooManyRequests(
                "too many failed sign-ins: try again later", retry_after=max(1, math.ceil(wait))
            )
        ok = await verify()
        async with center.db.connection() as conn:
            if ok:
                await store.clear(conn, user_key(username))
                return True
            for key, free in keys.items():
                seconds = lockout_s(await store.record_failure(conn, key, WINDOW), free)
                if seconds:
                    await store.lock(conn, key, seconds)
            await store.purge(conn, PURGE_AFTER)
    return False
