"""一级抓一级 as a table: every (status, action, who) of the pass-down actions, written out by
hand from issue 18, against the lifecycle table and the holder rule together.

``who`` is a caller and its standing: the handler of the holding unit, a handler of a unit
above the holder (it answers for the order and reads it, but does not act), the center's
dispatcher, and an admin. ``delegated`` says whether the order was passed down (a child
unit holds it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch_center.core import delegation as dl
from dispatch_center.core import lifecycle as lc
from dispatch_center.core.roles import Role
from dispatch_center.core.visibility import UnitTree

S = lc.Status
WHO = {
    "holder": (Role.handler, dl.Standing.holder),
    "above": (Role.handler, dl.Standing.above),
    "dispatcher": (Role.dispatcher, dl.Standing.outside),
    "admin": (Role.admin, dl.Standing.outside),
}


def decide(status: S, delegated: bool, action: str, who: str) -> str:
    """'→<status>' when legal, else the HTTP status the API answers."""
    role, standing = WHO[who]
    # The service's order: a handler not holding the order learns nothing more (404).
    if dl.holder_problem(lc.Action(action), role, standing):
        return "404"
    facts = lc.OrderFacts(status=status, urgency="general", delegated=delegated)
    try:
        move = lc.transition(facts, action, role, note="理由")
    except lc.ActionForbidden:
        return "403"
    except lc.TransitionError:
        return "409"
    return f"→{move.to_status}"


# (status, delegated, action) → expected per who: holder, above, dispatcher, admin.
TABLE: list[tuple[S, bool, str, tuple[str, str, str, str]]] = [
    # 下派: the holder, once signed for, passes to a child; the child signs for it again.
    (S.accepted, False, "assign_down", ("→dispatched", "404", "403", "→dispatched")),
    (S.in_progress, False, "assign_down", ("→dispatched", "404", "403", "→dispatched")),
    (S.accepted, True, "assign_down", ("→dispatched", "404", "403", "→dispatched")),
    (S.in_progress, True, "assign_down", ("→dispatched", "404", "403", "→dispatched")),
    (S.dispatched, False, "assign_down", ("409", "404", "403", "409")),
    (S.dispatched, True, "assign_down", ("409", "404", "403", "409")),
    (S.received, False, "assign_down", ("409", "404", "403", "409")),
    (S.replied, False, "assign_down", ("409", "404", "403", "409")),
    (S.return_requested, False, "assign_down", ("409", "404", "403", "409")),
    (S.closed, False, "assign_down", ("409", "404", "403", "409")),
    # 回退上级: only a child holding a passed-down order, with a reason; the parent works on.
    (S.dispatched, True, "hand_back", ("→in_progress", "404", "403", "→in_progress")),
    (S.accepted, True, "hand_back", ("→in_progress", "404", "403", "→in_progress")),
    (S.in_progress, True, "hand_back", ("→in_progress", "404", "403", "→in_progress")),
    (S.dispatched, False, "hand_back", ("409", "404", "403", "409")),
    (S.accepted, False, "hand_back", ("409", "404", "403", "409")),
    (S.in_progress, False, "hand_back", ("409", "404", "403", "409")),
    (S.replied, True, "hand_back", ("409", "404", "403", "409")),
    # 办结上报: the child's result climbs to the parent.
    (S.accepted, True, "report_up", ("→in_progress", "404", "403", "→in_progress")),
    (S.in_progress, True, "report_up", ("→in_progress", "404", "403", "→in_progress")),
    (S.dispatched, True, "report_up", ("409", "404", "403", "409")),
    (S.in_progress, False, "report_up", ("409", "404", "403", "409")),
    # Only the lead answers the citizen and asks the center to take the order back.
    (S.in_progress, True, "reply", ("409", "404", "403", "409")),
    (S.in_progress, False, "reply", ("→replied", "404", "403", "→replied")),
    (S.accepted, True, "request_return", ("409", "404", "403", "409")),
    (S.accepted, False, "request_return", ("→return_requested", "404", "403", "→return_requested")),
    # The child signs and works what it was passed; the parent above does not.
    (S.dispatched, True, "accept", ("→accepted", "404", "403", "→accepted")),
    (S.accepted, True, "start", ("→in_progress", "404", "403", "→in_progress")),
    (S.in_progress, True, "request_extension", ("→in_progress", "404", "403", "→in_progress")),
]


@pytest.mark.parametrize(
    ("status", "delegated", "action", "who", "expected"),
    [
        (status, delegated, action, who, want)
        for status, delegated, action, wants in TABLE
        for who, want in zip(WHO, wants, strict=True)
    ],
)
def test_table(status: S, delegated: bool, action: str, who: str, expected: str) -> None:
    assert decide(status, delegated, action, who) == expected


def test_every_status_is_covered_for_the_new_actions() -> None:
    """No status of a new action is left out of the table by accident: every status not in
    the table is refused (409) for the holder."""
    listed = {(s, d, a) for s, d, a, _ in TABLE}
    for action in ("assign_down", "hand_back", "report_up"):
        for status in S:
            for delegated in (False, True):
                if (status, delegated, action) in listed:
                    continue
                assert decide(status, delegated, action, "holder") == "409", (status, action)


def test_hand_back_and_report_up_need_a_reason() -> None:
    facts = lc.OrderFacts(status=S.in_progress, urgency="general", delegated=True)
    for action in ("hand_back", "report_up"):
        with pytest.raises(lc.DetailError):
            lc.transition(facts, action, Role.handler, note="  ")


TREE = UnitTree({"c": None, "c.t": "c", "c.t2": "c", "c.t.v": "c.t", "d": None})
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
LATER = NOW + timedelta(days=5)


def test_pass_down_county_township_village_and_back() -> None:
    s1 = dl.pass_down([], "c", "c.t", TREE, by="h_c", at=NOW, reply_by=LATER, note="请核实")
    s2 = dl.pass_down(s1, "c.t", "c.t.v", TREE, by="h_t", at=NOW, reply_by=LATER)
    assert [(e["parent"], e["child"]) for e in s2] == [("c", "c.t"), ("c.t", "c.t.v")]
    assert s1[0]["note"] == "请核实" and s2[1]["by"] == "h_t"
    back, parent = dl.pop(s2)
    assert (back, parent) == (s1, "c.t")
    assert dl.pop(back) == ([], "c")


@pytest.mark.parametrize(
    ("holder", "child", "field"),
    [
        ("c", "c.t.v", "unit_code"),  # a grandchild is not a child
        ("c", "d", "unit_code"),  # another tree
        ("c.t", "c", "unit_code"),  # up is not down
        ("c", "c", "unit_code"),  # not itself
        ("c", "nowhere", "unit_code"),
    ],
)
def test_pass_down_only_to_a_child(holder: str, child: str, field: str) -> None:
    with pytest.raises(dl.DelegationError) as err:
        dl.pass_down([], holder, child, TREE, by="x", at=NOW, reply_by=LATER)
    assert err.value.field == field


@pytest.mark.parametrize(
    "due",
    [NOW - timedelta(hours=1), NOW, LATER + timedelta(minutes=1), datetime(2026, 12, 2, 9)],
)
def test_internal_deadline_within_the_orders(due: datetime) -> None:
    with pytest.raises(dl.DelegationError) as err:
        dl.pass_down([], "c", "c.t", TREE, by="x", at=NOW, reply_by=LATER, due=due)
    assert err.value.field == "due"


def test_internal_deadline_kept() -> None:
    due = NOW + timedelta(days=2)
    stack = dl.pass_down([], "c", "c.t", TREE, by="x", at=NOW, reply_by=LATER, due=due)
    assert stack[0]["due"] == due.isoformat()


def test_pop_of_an_undelegated_order() -> None:
    with pytest.raises(dl.DelegationError):
        dl.pop([])


def test_standing() -> None:
    assert dl.standing_of("c", "c.t.v", TREE) is dl.Standing.above
    assert dl.standing_of("c.t.v", "c.t.v", TREE) is dl.Standing.holder
    assert dl.standing_of("c.t2", "c.t.v", TREE) is dl.Standing.outside
    assert TREE.children("c") == ("c.t", "c.t2") and TREE.children("c.t.v") == ()
