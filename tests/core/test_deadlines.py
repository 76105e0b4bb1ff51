"""Statutory deadlines on the real 2026 calendar.

Expected dates are counted by hand; each comment shows the count. Working-day rules: a
start on a working day keeps its wall-clock time; a start on a day off runs from 00:00 of the
next working day and ends at 24:00 (shown as the next day's 00:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch_center.core.calendar import SHANGHAI, china_calendar
from dispatch_center.core.deadlines import (
    STATUTORY_TIME_LIMITS,
    Deadlines,
    DeadlineState,
    Duration,
    LimitUnit,
    TimeLimit,
    Urgency,
    compute_deadlines,
    deadline_state,
    extend,
)

CAL = china_calendar()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_statutory_table() -> None:
    table = STATUTORY_TIME_LIMITS
    assert set(table) == set(Urgency)
    assert table[Urgency.consultation].respond == Duration(0, LimitUnit.immediate)
    assert table[Urgency.consultation].reply == Duration(0, LimitUnit.immediate)
    assert table[Urgency.urgent] == TimeLimit(
        Urgency.urgent, Duration(20, LimitUnit.minutes), Duration(24, LimitUnit.hours)
    )
    assert table[Urgency.general] == TimeLimit(
        Urgency.general, Duration(1, LimitUnit.working_days), Duration(5, LimitUnit.working_days)
    )
    with pytest.raises(TypeError):
        table[Urgency.general] = table[Urgency.urgent]  # type: ignore[index]


GENERAL_CASES = [
    pytest.param(
        at(2026, 11, 27, 19, 45),
        # respond: Sat 28, Sun 29 off -> Mon 11-30 (1)
        at(2026, 11, 30, 19, 45),
        # reply: Mon 30 (1), Tue 12-01 (2), Wed 02 (3), Thu 03 (4), Fri 04 (5)
        at(2026, 12, 4, 19, 45),
        False,
        id="friday-evening",
    ),
    pytest.param(
        at(2026, 11, 28, 10),
        # Sat: clock starts Mon 11-30 00:00; respond: Mon (1) ends 24:00 -> Tue 12-01 00:00
        at(2026, 12, 1),
        # reply: Mon 30 (1), Tue 01 (2), Wed 02 (3), Thu 03 (4), Fri 04 (5) -> Sat 12-05 00:00
        at(2026, 12, 5),
        False,
        id="saturday",
    ),
    pytest.param(
        at(2026, 2, 13, 18, 30),
        # Fri before Spring Festival; respond: Sat 02-14 is a make-up working day (1)
        at(2026, 2, 14, 18, 30),
        # reply: Sat 14 (1); Sun 15 .. Mon 23 holiday; Tue 24 (2), Wed 25 (3), Thu 26 (4),
        # Fri 27 (5)
        at(2026, 2, 27, 18, 30),
        False,
        id="spring-festival-eve",
    ),
    pytest.param(
        at(2026, 2, 14, 9, 30),
        # make-up Sat 02-14 IS a working day: keep 09:30; respond: 15..23 off -> Tue 24 (1)
        at(2026, 2, 24, 9, 30),
        # reply: Tue 24 (1), Wed 25 (2), Thu 26 (3), Fri 27 (4), make-up Sat 28 (5)
        at(2026, 2, 28, 9, 30),
        False,
        id="make-up-saturday",
    ),
    pytest.param(
        at(2026, 2, 18, 14),
        # inside the holiday (Wed 02-18): clock starts Tue 02-24 00:00; respond: Tue (1) -> 25 00:00
        at(2026, 2, 25),
        # reply: Tue 24 (1), Wed 25 (2), Thu 26 (3), Fri 27 (4), make-up Sat 28 (5) -> 03-01 00:00
        at(2026, 3, 1),
        False,
        id="during-spring-festival",
    ),
    pytest.param(
        at(2026, 9, 30, 16),
        # Wed before National Day; respond: Oct 1..7 off -> Thu 10-08 (1)
        at(2026, 10, 8, 16),
        # reply: Thu 08 (1), Fri 09 (2), make-up Sat 10 (3), Sun 11 off, Mon 12 (4), Tue 13 (5)
        at(2026, 10, 13, 16),
        False,
        id="national-day-eve",
    ),
    pytest.param(
        at(2026, 9, 19, 11),
        # ordinary Sat 09-19: clock starts Sun 09-20 00:00 (a make-up working day);
        # respond: Sun 20 (1) -> Mon 09-21 00:00
        at(2026, 9, 21),
        # reply: Sun 20 (1), Mon 21 (2), Tue 22 (3), Wed 23 (4), Thu 24 (5) -> Fri 09-25 00:00
        at(2026, 9, 25),
        False,
        id="saturday-before-make-up-sunday",
    ),
    pytest.param(
        at(2026, 9, 24, 18),
        # Thu before Mid-autumn + National Day; respond: Fri 25 .. Sun 27 off -> Mon 09-28 (1)
        at(2026, 9, 28, 18),
        # reply: Mon 28 (1), Tue 29 (2), Wed 30 (3), Oct 1..7 off, Thu 08 (4), Fri 09 (5)
        at(2026, 10, 9, 18),
        False,
        id="mid-autumn-into-national-day",
    ),
    pytest.param(
        at(2026, 12, 24, 9),
        # respond: Fri 12-25 (1)
        at(2026, 12, 25, 9),
        # reply: Fri 25 (1), Mon 28 (2), Tue 29 (3), Wed 30 (4), Thu 31 (5): all inside 2026
        at(2026, 12, 31, 9),
        False,
        id="ends-on-last-covered-day",
    ),
    pytest.param(
        at(2026, 12, 31, 15),
        # respond: Fri 2027-01-01 (1) -- 2027 has no data, so Mon-Fri counting
        at(2027, 1, 1, 15),
        # reply: Fri 01 (1), Mon 04 (2), Tue 05 (3), Wed 06 (4), Thu 07 (5)
        at(2027, 1, 7, 15),
        True,
        id="into-2027-provisional",
    ),
]


@pytest.mark.parametrize(("received", "respond_by", "reply_by", "provisional"), GENERAL_CASES)
def test_general_orders(
    received: datetime, respond_by: datetime, reply_by: datetime, provisional: bool
) -> None:
    got = compute_deadlines(received, STATUTORY_TIME_LIMITS[Urgency.general], CAL)
    assert got.respond_by == respond_by
    assert got.reply_by == reply_by
    assert got.provisional is provisional
    assert got.as_dict() == {
        "respond_by": respond_by.isoformat(),
        "reply_by": reply_by.isoformat(),
        "provisional": provisional,
    }


@pytest.mark.parametrize(
    ("received", "respond_by", "reply_by"),
    [
        # 23:50 + 20 min crosses midnight; + 24 h is the next evening
        (at(2026, 11, 27, 23, 50), at(2026, 11, 28, 0, 10), at(2026, 11, 28, 23, 50)),
        # urgent orders run on the clock even on a holiday
        (at(2026, 10, 1, 8), at(2026, 10, 1, 8, 20), at(2026, 10, 2, 8)),
        # across the year end into uncovered 2027: no working days involved, not provisional
        (at(2026, 12, 31, 23, 45), at(2027, 1, 1, 0, 5), at(2027, 1, 1, 23, 45)),
    ],
)
def test_urgent_orders(received: datetime, respond_by: datetime, reply_by: datetime) -> None:
    got = compute_deadlines(received, STATUTORY_TIME_LIMITS[Urgency.urgent], CAL)
    assert (got.respond_by, got.reply_by, got.provisional) == (respond_by, reply_by, False)


def test_urgent_order_given_in_utc_comes_back_in_shanghai_time() -> None:
    # 15:50Z = 23:50 in Leshan
    got = compute_deadlines(
        datetime(2026, 11, 27, 15, 50, tzinfo=UTC),
        STATUTORY_TIME_LIMITS[Urgency.urgent],
        CAL,
    )
    assert got.as_dict() == {
        "respond_by": "2026-11-28T00:10:00+08:00",
        "reply_by": "2026-11-28T23:50:00+08:00",
        "provisional": False,
    }


def test_general_order_given_in_utc_uses_the_local_day() -> None:
    # 2026-11-27T16:30Z is Sat 00:30 in Leshan: the Saturday rule applies, not Friday's
    got = compute_deadlines(
        datetime(2026, 11, 27, 16, 30, tzinfo=UTC),
        STATUTORY_TIME_LIMITS[Urgency.general],
        CAL,
    )
    assert got.as_dict()["respond_by"] == "2026-12-01T00:00:00+08:00"


def test_consultation_is_due_at_once() -> None:
    received = at(2026, 10, 3, 2, 17)  # a holiday night makes no difference
    got = compute_deadlines(received, STATUTORY_TIME_LIMITS[Urgency.consultation], CAL)
    assert got == Deadlines(received, received, False)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        compute_deadlines(datetime(2026, 11, 27, 10), STATUTORY_TIME_LIMITS[Urgency.general], CAL)


def test_extension_moves_only_reply_by() -> None:
    base = compute_deadlines(at(2026, 9, 24, 18), STATUTORY_TIME_LIMITS[Urgency.general], CAL)
    # reply_by Fri 10-09 18:00 + 3 working days: make-up Sat 10 (1), Mon 12 (2), Tue 13 (3)
    longer = extend(base, Duration(3, LimitUnit.working_days), CAL)
    assert longer.reply_by == at(2026, 10, 13, 18)
    assert longer.respond_by == base.respond_by
    assert longer.provisional is False


def test_extension_of_an_end_of_day_deadline() -> None:
    base = compute_deadlines(at(2026, 11, 28, 10), STATUTORY_TIME_LIMITS[Urgency.general], CAL)
    # reply_by Sat 12-05 00:00 (= end of Fri 12-04); +1 working day: Mon 12-07 (1) -> 24:00
    assert extend(base, Duration(1, LimitUnit.working_days), CAL).reply_by == at(2026, 12, 8)


def test_extension_into_2027_is_provisional() -> None:
    base = Deadlines(at(2026, 12, 30, 9), at(2026, 12, 30, 9), False)
    # Wed 12-30 + 2: Thu 31 (1), Fri 2027-01-01 (2, no data)
    longer = extend(base, Duration(2, LimitUnit.working_days), CAL)
    assert (longer.reply_by, longer.provisional) == (at(2027, 1, 1, 9), True)


@pytest.mark.parametrize(
    "extra", [Duration(0, LimitUnit.working_days), Duration(0, LimitUnit.immediate)]
)
def test_empty_extension_is_refused(extra: Duration) -> None:
    base = Deadlines(at(2026, 12, 1), at(2026, 12, 4), False)
    with pytest.raises(ValueError, match="positive"):
        extend(base, extra, CAL)


def test_bad_durations_are_refused() -> None:
    with pytest.raises(ValueError):
        Duration(-1, LimitUnit.hours)
    with pytest.raises(ValueError):
        Duration(5, LimitUnit.immediate)


# A general order received Fri 11-27 10:00 is due Fri 12-04 10:00: a span of 7 days = 168 h.
# 20% of it is 33 h 36 min, so "due soon" starts at 12-04 10:00 - 33:36 = Thu 12-03 00:24.
RECEIVED = at(2026, 11, 27, 10)
DUE = Deadlines(at(2026, 11, 30, 10), at(2026, 12, 4, 10), False)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "replied", "expected"),
    [
        (RECEIVED, False, DeadlineState(due_soon=False, overdue=False)),
        (at(2026, 12, 3, 0, 24) - TICK, False, DeadlineState(due_soon=False, overdue=False)),
        (at(2026, 12, 3, 0, 24), False, DeadlineState(due_soon=True, overdue=False)),
        (at(2026, 12, 4, 10), False, DeadlineState(due_soon=True, overdue=False)),
        (at(2026, 12, 4, 10) + TICK, False, DeadlineState(due_soon=False, overdue=True)),
        (at(2026, 12, 4, 10) + TICK, True, DeadlineState(due_soon=False, overdue=False)),
        (at(2026, 12, 3, 12), True, DeadlineState(due_soon=False, overdue=False)),
        # the same instant written in UTC: 12-02T16:24Z = 12-03 00:24 +08:00
        (
            datetime(2026, 12, 2, 16, 24, tzinfo=UTC),
            False,
            DeadlineState(due_soon=True, overdue=False),
        ),
    ],
)
def test_deadline_state_boundaries(now: datetime, replied: bool, expected: DeadlineState) -> None:
    assert deadline_state(DUE, now, replied=replied, received_at=RECEIVED) == expected


def test_due_soon_fraction_is_configurable() -> None:
    # half of 168 h = 84 h before 12-04 10:00 = Mon 11-30 22:00
    assert deadline_state(
        DUE, at(2026, 11, 30, 22), replied=False, due_soon_fraction=0.5, received_at=RECEIVED
    ) == DeadlineState(due_soon=True, overdue=False)
    assert deadline_state(
        DUE, at(2026, 11, 30, 21, 59), replied=False, due_soon_fraction=0.5, received_at=RECEIVED
    ) == DeadlineState(due_soon=False, overdue=False)
    with pytest.raises(ValueError):
        deadline_state(DUE, RECEIVED, replied=False, due_soon_fraction=1.5, received_at=RECEIVED)


def test_deadline_state_refuses_naive_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        deadline_state(DUE, datetime(2026, 12, 1), replied=False, received_at=RECEIVED)
