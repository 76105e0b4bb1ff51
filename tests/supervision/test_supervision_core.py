"""The pure supervision rules: the ladder, reminders, callback verdicts and the rates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch_center.core import supervision as sv
from dispatch_center.core.calendar import SHANGHAI

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)

FULL: dict[str, dict[str, Any]] = {
    "leader_study": {"leader": "分管副市长", "instruction": "请市住建局牵头处置"},
    "department_consultation": {
        "departments": ["市住建局", "市中区政府"],
        "meeting_record": "会商纪要",
        "work_split": "住建抽排，区政府疏导",
    },
    "video_supervision": {"session_id": "7"},
    "radio_broadcast": {
        "programme": "行风热线",
        "date": "2026-11-28",
        "answering_unit": "市住建局",
        "outcome": "承诺三日内完成",
    },
}


def test_ladder_is_climbed_in_order_and_records_skips() -> None:
    done: list[str] = []
    for step in ("leader_study", "department_consultation", "video_supervision", "radio_broadcast"):
        decision = sv.decide_step(done, step, FULL[step])
        assert decision.skipped == ()
        assert decision.spec.step.value == step
        done.append(step)
    assert [s.rank for s in sv.LADDER] == [1, 2, 3, 4]
    skip = sv.decide_step([], "video_supervision", FULL["video_supervision"])
    assert [s.value for s in skip.skipped] == ["leader_study", "department_consultation"]


@pytest.mark.parametrize(
    ("done", "step", "details", "field"),
    [
        (["department_consultation"], "leader_study", FULL["leader_study"], "step"),
        (["radio_broadcast"], "video_supervision", FULL["video_supervision"], "step"),
        ([], "leader_study", {"leader": "x"}, "instruction"),
        (
            [],
            "department_consultation",
            {**FULL["department_consultation"], "departments": []},
            "departments",
        ),
        (
            [],
            "department_consultation",
            {**FULL["department_consultation"], "work_split": " "},
            "work_split",
        ),
        ([], "radio_broadcast", {**FULL["radio_broadcast"], "outcome": None}, "outcome"),
        ([], "press_conference", {}, "step"),
    ],
)
def test_ladder_refusals_name_the_field(
    done: list[str], step: str, details: dict[str, object], field: str
) -> None:
    with pytest.raises(sv.StepError) as err:
        sv.decide_step(done, step, details)
    assert err.value.field == field


def test_a_rung_may_be_taken_again() -> None:
    again = sv.decide_step(
        ["leader_study", "department_consultation"],
        "department_consultation",
        FULL["department_consultation"],
    )
    assert again.skipped == ()
    assert [s.value for s in sv.next_steps(["department_consultation"])] == [
        "department_consultation",
        "video_supervision",
        "radio_broadcast",
    ]


THRESH = sv.ReminderThresholds(due_soon_minutes=60, overdue_escalate_minutes=120)


@pytest.mark.parametrize(
    ("span_h", "now_offset", "expected"),
    [
        (24, timedelta(hours=19), None),  # 5 h left: more than 20 % of 24 h and 60 min
        (24, timedelta(hours=19, minutes=30), sv.ReminderKind.due_soon),  # 4.5 h < 4.8 h
        (4, timedelta(hours=2, minutes=50), None),  # 70 min left: > 60 min and > 48 min
        (4, timedelta(hours=3, minutes=5), sv.ReminderKind.due_soon),  # 55 min < 60 min
        (24, timedelta(hours=24), sv.ReminderKind.due_soon),  # exactly at the deadline
        (24, timedelta(hours=24, minutes=1), sv.ReminderKind.overdue),
        (24, timedelta(hours=25, minutes=59), sv.ReminderKind.overdue),
        (24, timedelta(hours=26), sv.ReminderKind.escalated),
        (100, timedelta(hours=85), sv.ReminderKind.due_soon),  # 15h left < 20% of 100h
        (100, timedelta(hours=79), None),
    ],
)
def test_reminder_kinds(
    span_h: int, now_offset: timedelta, expected: sv.ReminderKind | None
) -> None:
    got = sv.reminder_for(
        received_at=T0,
        respond_by=T0,
        reply_by=T0 + timedelta(hours=span_h),
        now=T0 + now_offset,
        thresholds=THRESH,
    )
    assert got == expected


def test_thresholds_from_each_bundled_policy() -> None:
    from dispatch_center.modeswitch.policies import read_policies
    from modes.policy import ModeName

    policies = read_policies(None, None, None)
    got = {m: sv.ReminderThresholds.from_policy(p.escalation) for m, p in policies.items()}
    # An emergency reminds sooner than normal times.
    assert got[ModeName.emergency].due_soon_minutes < got[ModeName.normal].due_soon_minutes
    assert (
        got[ModeName.emergency].overdue_escalate_minutes
        < got[ModeName.normal].overdue_escalate_minutes
    )


@pytest.mark.parametrize(
    ("rating", "solved", "reopens", "limit", "outcome"),
    [
        ("satisfied", True, 0, 2, "close"),
        ("basically_satisfied", True, 5, 2, "close"),
        ("unsatisfied", True, 0, 2, "reopen"),
        ("unsatisfied", False, 1, 2, "reopen"),
        ("satisfied", False, 0, 2, "reopen"),
        ("unsatisfied", True, 2, 2, "limit_reached"),
        ("unsatisfied", True, 0, 0, "limit_reached"),
    ],
)
def test_callback_verdicts(
    rating: str, solved: bool, reopens: int, limit: int, outcome: str
) -> None:
    verdict = sv.decide_callback(rating, solved, reopens, limit)
    assert verdict.outcome.value == outcome
    assert verdict.reason


def test_reminder_text_names_the_order_and_deadline() -> None:
    text = sv.reminder_text(sv.ReminderKind.escalated, "LS2026112700007", T0)
    assert "LS2026112700007" in text and "2026-11-27 08:00" in text and "超期升级" in text


def _row(unit: str, **kw: object) -> sv.RateRow:
    base: dict[str, object] = {"unit": unit, "respond_by": T0, "reply_by": T0 + timedelta(days=5)}
    base.update(kw)
    return sv.RateRow(**base)  # type: ignore[arg-type]


def test_rates_on_hand_computed_data() -> None:
    on = T0 - timedelta(minutes=1)
    late = T0 + timedelta(days=6)
    rows = [
        # unit A: 5 orders
        _row("A", responded_at=on, replied_at=on, rating="satisfied"),
        _row("A", responded_at=on, replied_at=late, rating="basically_satisfied", returns=1),
        _row("A", responded_at=late, replied_at=on, rating="unsatisfied", reopens=2),
        _row("A", responded_at=on),
        _row("A", returns=2, reopens=1),
        # unit B: 1 order, nothing done
        _row("B"),
    ]
    a, b = sv.rates_by_unit(rows)
    assert (a.unit, b.unit) == ("A", "B")
    assert a.rates() == {
        "response_rate": 0.6,  # 3 of 5 responded by respond_by
        "resolution_rate": 0.6,  # 3 of 5 replied
        "satisfaction_rate": 0.6667,  # 2 of 3 rated content
        "on_time_rate": 0.6667,  # 2 of 3 replies by reply_by
        "return_rate": 0.4,  # 2 of 5 returned at least once
        "reopen_rate": 0.4,  # 2 of 5 reopened at least once
    }
    assert b.rates() == {
        "response_rate": 0.0,
        "resolution_rate": 0.0,
        "satisfaction_rate": None,
        "on_time_rate": None,
        "return_rate": 0.0,
        "reopen_rate": 0.0,
    }
    total = sv.compute_rates("all", rows)
    assert total.orders == 6 and total.replied == 3 and total.rates()["response_rate"] == 0.5
    assert sv.compute_rates("none", []).rates()["response_rate"] is None
