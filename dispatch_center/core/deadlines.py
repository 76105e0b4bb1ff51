"""Statutory time limits (诉求限时办结制度) as data, and the deadlines they give an order.

- Consultation (咨询类): answered at once.
- Urgent (紧急类): respond within 20 minutes, reply within 24 hours, counted on the clock
  (urgent matters do not wait for Monday).
- General (一般事项): first contact with the citizen within 1 working day, reply within
  5 working days, counted on China's working-day calendar.

A mode (holiday, emergency) may bring its own table; :func:`compute_deadlines` takes whichever
:class:`TimeLimit` the caller chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from dispatch_center.core.calendar import WorkingCalendar, to_shanghai


class Urgency(StrEnum):
    """How fast an order must be handled."""

    consultation = "consultation"  # 咨询类
    urgent = "urgent"  # 紧急类
    general = "general"  # 一般事项


class LimitUnit(StrEnum):
    """The unit a time limit is counted in."""

    immediate = "immediate"
    minutes = "minutes"
    hours = "hours"
    working_days = "working_days"


@dataclass(frozen=True)
class Duration:
    """A time limit's length; ``immediate`` durations have value 0."""

    value: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"a duration cannot be negative ({self.value} {self.unit})")
        if self.unit == LimitUnit.immediate and self.value != 0:
            raise ValueError("an immediate duration has value 0")


@dataclass(frozen=True)
class TimeLimit:
    """The two limits of one urgency: first response/contact, and the reply on handling."""

    urgency: Urgency
    respond: Duration
    reply: Duration


STATUTORY_TIME_LIMITS: Mapping[Urgency, TimeLimit] = MappingProxyType(
    {
        Urgency.consultation: TimeLimit(
            Urgency.consultation,
            respond=Duration(0, LimitUnit.immediate),
            reply=Duration(0, LimitUnit.immediate),
        ),
        Urgency.urgent: TimeLimit(
            Urgency.urgent,
            respond=Duration(20, LimitUnit.minutes),
            reply=Duration(24, LimitUnit.hours),
        ),
        Urgency.general: TimeLimit(
            Urgency.general,
            respond=Duration(1, LimitUnit.working_days),
            reply=Duration(5, LimitUnit.working_days),
        ),
    }
)


@dataclass(frozen=True)
class Deadlines:
    """When an order must be responded to and replied to.

    ``provisional`` is True when a working-day count reached a year whose holidays are not
    yet published (Monday-Friday was assumed).
    """

    respond_by: datetime
    reply_by: datetime
    provisional: bool

    def as_dict(self) -> dict[str, object]:
        """Return the wire form: ISO 8601 times with the +08:00 offset.

        Examples
        --------
        >>> from datetime import timezone
        >>> t = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
        >>> Deadlines(t, t, False).as_dict()["reply_by"]
        '2026-11-27T10:00:00+08:00'
        """
        return {
            "respond_by": to_shanghai(self.respond_by).isoformat(),
            "reply_by": to_shanghai(self.reply_by).isoformat(),
            "provisional": self.provisional,
        }


def add_duration(
    start: datetime, duration: Duration, calendar: WorkingCalendar
) -> tuple[datetime, bool]:
    """Add ``duration`` to ``start``.

    Minutes and hours run on the clock; working days follow
    :meth:`WorkingCalendar.add_working_days`.

    Returns
    -------
    moment : datetime
        In Asia/Shanghai.
    provisional : bool

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> start = datetime(2026, 11, 27, 23, 50, tzinfo=SHANGHAI)
    >>> moment, _ = add_duration(start, Duration(20, LimitUnit.minutes), WorkingCalendar([], []))
    >>> moment.isoformat()
    '2026-11-28T00:10:00+08:00'
    """
    local = to_shanghai(start)
    if duration.unit == LimitUnit.immediate:
        return local, False
    if duration.unit == LimitUnit.minutes:
        return local + timedelta(minutes=duration.value), False
    if duration.unit == LimitUnit.hours:
        return local + timedelta(hours=duration.value), False
    return calendar.add_working_days(local, duration.value)


def compute_deadlines(
    received_at: datetime, limit: TimeLimit, calendar: WorkingCalendar
) -> Deadlines:
    """Compute an order's deadlines from the moment it was received.

    Parameters
    ----------
    received_at : datetime
        When the center received the request; must carry a UTC offset.
    limit : TimeLimit
        Usually ``STATUTORY_TIME_LIMITS[urgency]``.
    calendar : WorkingCalendar

    Returns
    -------
    Deadlines
        In Asia/Shanghai; for a consultation both equal ``received_at``.

    Raises
    ------
    ValueError
        If ``received_at`` is naive.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI, china_calendar
    >>> friday_evening = datetime(2026, 11, 27, 19, 45, tzinfo=SHANGHAI)
    >>> d = compute_deadlines(friday_evening, STATUTORY_TIME_LIMITS[Urgency.general],
    ...                       china_calendar())
    >>> d.as_dict()
    {'respond_by': '2026-11-30T19:45:00+08:00', 'reply_by': '2026-12-04T19:45:00+08:00', \
'provisional': False}
    """
    received = to_shanghai(received_at)
    respond_by, respond_provisional = add_duration(received, limit.respond, calendar)
    reply_by, reply_provisional = add_duration(received, limit.reply, calendar)
    return Deadlines(
        respond_by=respond_by,
        reply_by=reply_by,
        provisional=respond_provisional or reply_provisional,
    )


def extend(deadlines: Deadlines, extra: Duration, calendar: WorkingCalendar) -> Deadlines:
    """Move ``reply_by`` by an approved extension (延期), counted from the current ``reply_by``.

    Raises
    ------
    ValueError
        If ``extra`` is zero or immediate: an extension must give more time.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI, china_calendar
    >>> t = datetime(2026, 12, 4, 19, 45, tzinfo=SHANGHAI)   # a Friday
    >>> longer = extend(Deadlines(t, t, False), Duration(2, LimitUnit.working_days),
    ...                 china_calendar())
    >>> longer.reply_by.isoformat()                         # Mon (1), Tue (2)
    '2026-12-08T19:45:00+08:00'
    """
    if extra.value == 0:
        raise ValueError("an extension must add a positive duration")
    reply_by, provisional = add_duration(deadlines.reply_by, extra, calendar)
    return Deadlines(
        respond_by=to_shanghai(deadlines.respond_by),
        reply_by=reply_by,
        provisional=deadlines.provisional or provisional,
    )


@dataclass(frozen=True)
class DeadlineState:
    """How an order stands against its reply deadline."""

    due_soon: bool
    overdue: bool


def deadline_state(
    deadlines: Deadlines,
    now: datetime,
    *,
    replied: bool,
    due_soon_fraction: float = 0.2,
    received_at: datetime,
) -> DeadlineState:
    """Classify an order as overdue, due soon, or neither.

    ``overdue``: not replied and ``now`` is after ``reply_by``. ``due_soon``: not overdue,
    not replied, and the time left is at most ``due_soon_fraction`` of the whole span from
    ``received_at`` to ``reply_by`` (both ends inclusive: at exactly ``reply_by`` an order is
    due soon, one instant later it is overdue).

    Raises
    ------
    ValueError
        If a datetime is naive or the fraction lies outside [0, 1].

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> rec = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
    >>> d = Deadlines(rec, rec + timedelta(hours=10), False)
    >>> deadline_state(d, rec + timedelta(hours=9), replied=False, received_at=rec)
    DeadlineState(due_soon=True, overdue=False)
    """
    if not 0.0 <= due_soon_fraction <= 1.0:
        raise ValueError(f"due_soon_fraction must lie in [0, 1], got {due_soon_fraction}")
    current = to_shanghai(now)
    reply_by = to_shanghai(deadlines.reply_by)
    span = reply_by - to_shanghai(received_at)
    if replied:
        return DeadlineState(due_soon=False, overdue=False)
    if current > reply_by:
        return DeadlineState(due_soon=False, overdue=True)
    return DeadlineState(due_soon=reply_by - current <= span * due_soon_fraction, overdue=False)
