"""When a request may say it was received: the window a client's ``received_at`` must be in.

A client may date a request (``received_at``) instead of taking the server's clock: a letter
registered days after it arrived, a connected system replaying what it took in during an
outage. Unchecked, a year-9999 or year-1 date overflowed the deadline arithmetic (a 500)
and any caller could move an order's statutory deadlines at will. The rule:

- never before 2000 or after 2199 (no calendar, no partition, a broken client);
- at most ``future_s`` seconds ahead of the server's clock (clocks drift; nobody receives
  a request tomorrow);
- at most ``late_s`` seconds back for everyone (the form was open while the call came in);
- further back, up to ``backdate_days``, only for who may backdate (roles and sources the
  settings name: ``DISPATCH_BACKDATE_ROLES``, ``DISPATCH_BACKDATE_SOURCES``).

Pure: the caller passes ``now`` and whether the sender may backdate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def implausible(at: datetime) -> str | None:
    """Why ``at`` can be no request's time (outside 2000–2199, or naive), else None.

    Examples
    --------
    >>> implausible(datetime(2026, 11, 27, tzinfo=UTC)) is None
    True
    >>> implausible(datetime(9999, 12, 31, tzinfo=UTC))
    'must lie in the years 2000 to 2199'
    """
    if at.tzinfo is None:
        return "must carry a UTC offset, e.g. 2026-11-27T09:30:00+08:00"
    if not EARLIEST <= at < LATEST:
        return f"must lie in the years {EARLIEST.year} to {LATEST.year - 1}"
    return None


def received_at_problem(
    at: datetime,
    now: datetime,
    *,
    may_backdate: bool,
    future_s: int,
    late_s: int,
    backdate_days: int,
) -> str | None:
    """Why ``at`` may not be this sender's ``received_at``, else None.

    Examples
    --------
    >>> now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    >>> rule = dict(future_s=300, late_s=900, backdate_days=31)
    >>> received_at_problem(now - timedelta(minutes=5), now, may_backdate=False, **rule) is None
    True
    >>> received_at_problem(now + timedelta(hours=1), now, may_backdate=True, **rule)
    'is more than 300 s ahead of the server clock'
    >>> received_at_problem(now - timedelta(days=3), now, may_backdate=False, **rule)[:33]
    'may be at most 900 s back for thi'
    >>> received_at_problem(now - timedelta(days=3), now, may_backdate=True, **rule) is None
    True
    >>> received_at_problem(now - timedelta(days=40), now, may_backdate=True, **rule)
    'may be at most 31 days back'
    """
    bad = implausible(at)
    if bad is not None:
        return bad
    if at > now + timedelta(seconds=future_s):
        return f"is more than {future_s} s ahead of the server clock"
    if at >= now - timedelta(seconds=late_s):
        return None
    if not may_backdate:
        return (
            f"may be at most {late_s} s back for this sender (backdating is for the roles"
            " and sources the settings allow)"
        )
    if at < now - timedelta(days=backdate_days):
        return f"may be at most {backdate_days} days back"
    return None
