"""The work-order state machine, checked against a table written out by hand here.

The expected table below is typed from the brief, not derived from ``lifecycle.RULES``, so a
wrong row in the module fails these tests.
"""

from __future__ import annotations

import itertools

import pytest

from dispatch_center.core.lifecycle import (
    ACTION_LABELS_ZH,
    RULES,
    STATUS_LABELS_ZH,
    Action,
    ActionForbidden,
    Detail,
    DetailError,
    OrderFacts,
    Rating,
    Status,
    TransitionError,
    allowed_actions,
    is_open,
    transition,
)
from dispatch_center.core.roles import Role

S, A = Status, Action

# (from, action) -> to
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.received, A.dispatch): S.dispatched,
    (S.received, A.resolve_at_intake): S.replied,
    (S.dispatched, A.accept): S.accepted,
    (S.accepted, A.start): S.in_progress,
    (S.accepted, A.reply): S.replied,
    (S.in_progress, A.reply): S.replied,
    (S.dispatched, A.request_return): S.return_requested,
    (S.accepted, A.request_return): S.return_requested,
    (S.return_requested, A.redispatch): S.dispatched,
    (S.dispatched, A.redispatch): S.dispatched,
    (S.return_requested, A.uphold_return): S.dispatched,
    (S.accepted, A.request_extension): S.accepted,
    (S.in_progress, A.request_extension): S.in_progress,
    (S.accepted, A.approve_extension): S.accepted,
    (S.in_progress, A.approve_extension): S.in_progress,
    (S.accepted, A.reject_extension): S.accepted,
    (S.in_progress, A.reject_extension): S.in_progress,
    (S.replied, A.callback): S.callback_done,
    (S.callback_done, A.evaluate): S.evaluated,
    (S.evaluated, A.close): S.closed,
    (S.evaluated, A.reopen): S.dispatched,
    (S.closed, A.reopen): S.dispatched,
    (S.received, A.merge): S.merged,
    (S.dispatched, A.merge): S.merged,
    (S.return_requested, A.merge): S.merged,
    (S.received, A.transfer_to_110): S.transferred_110,
    (S.dispatched, A.transfer_to_110): S.transferred_110,
    (S.return_requested, A.transfer_to_110): S.transferred_110,
    (S.transferred_110, A.return_from_110): S.received,
    # 一级抓一级 (issue 18): pass down, hand back up, report the result up.
    (S.accepted, A.assign_down): S.dispatched,
    (S.in_progress, A.assign_down): S.dispatched,
    (S.dispatched, A.hand_back): S.in_progress,
    (S.accepted, A.hand_back): S.in_progress,
    (S.in_progress, A.hand_back): S.in_progress,
    (S.accepted, A.report_up): S.in_progress,
    (S.in_progress, A.report_up): S.in_progress,
    # 协办: a co-handling unit's part moves; the order's status stays.
    (S.dispatched, A.co_accept): S.dispatched,
    (S.accepted, A.co_accept): S.accepted,
    (S.in_progress, A.co_accept): S.in_progress,
    (S.dispatched, A.co_reply): S.dispatched,
    (S.accepted, A.co_reply): S.accepted,
    (S.in_progress, A.co_reply): S.in_progress,
}

DISPATCH_SIDE = {Role.dispatcher, Role.duty_officer, Role.admin}
HANDLER_SIDE = {Role.handler, Role.admin}
INTAKE_SEATS = DISPATCH_SIDE | {Role.call_taker}
CALLBACK_DESK = DISPATCH_SIDE | {Role.callback_agent}
ROLES_FOR: dict[Action, set[Role]] = {
    A.dispatch: DISPATCH_SIDE,
    A.resolve_at_intake: INTAKE_SEATS,
    A.accept: HANDLER_SIDE,
    A.start: HANDLER_SIDE,
    A.reply: HANDLER_SIDE,
    A.request_return: HANDLER_SIDE,
    A.redispatch: DISPATCH_SIDE,
    A.uphold_return: DISPATCH_SIDE,
    A.request_extension: HANDLER_SIDE,
    A.approve_extension: DISPATCH_SIDE,
    A.reject_extension: DISPATCH_SIDE,
    A.callback: CALLBACK_DESK,
    A.evaluate: CALLBACK_DESK,
    A.close: DISPATCH_SIDE,
    A.reopen: CALLBACK_DESK,
    A.merge: INTAKE_SEATS,
    A.transfer_to_110: INTAKE_SEATS,
    A.return_from_110: DISPATCH_SIDE,
    A.assign_down: HANDLER_SIDE,
    A.hand_back: HANDLER_SIDE,
    A.report_up: HANDLER_SIDE,
    A.co_accept: HANDLER_SIDE,
    A.co_reply: HANDLER_SIDE,
}

# Details each action needs, so the table test exercises the state machine, not input checks.
DETAILS = {
    A.request_return: {"note": "不属于本单位职责"},
    A.evaluate: {"rating": "satisfied"},
    A.merge: {"target_order_id": "LS2026112700001"},
    A.hand_back: {"note": "不在本村范围"},
    A.report_up: {"note": "已现场处理"},
    A.co_reply: {"note": "已配合处理"},
}
PASSED_DOWN = (A.hand_back, A.report_up)
CO = (A.co_accept, A.co_reply)


def facts_passing_guard(status: Status, action: Action) -> OrderFacts:
    """Order facts under which ``action``'s guard (if any) holds."""
    return OrderFacts(
        status=status,
        urgency="consultation" if action == A.resolve_at_intake else "general",
        extension_pending=action in (A.approve_extension, A.reject_extension),
        last_rating=Rating.unsatisfied if action == A.reopen else None,
        delegated=action in PASSED_DOWN,
        co_handled=action in CO,
    )


def guard_holds(action: Action, facts: OrderFacts) -> bool:
    if action == A.resolve_at_intake:
        return facts.urgency == "consultation"
    if action == A.request_extension:
        return not facts.extension_pending
    if action in (A.approve_extension, A.reject_extension):
        return facts.extension_pending
    if action == A.reopen:
        return facts.last_rating == Rating.unsatisfied
    if action in PASSED_DOWN:
        return facts.delegated
    if action in CO:
        return facts.co_handled
    if action in (A.reply, A.request_return):
        return not facts.delegated
    return True


def expected_allowed(facts: OrderFacts) -> tuple[Action, ...]:
    return tuple(a for a in Action if (facts.status, a) in EXPECTED and guard_holds(a, facts))


def a_role_for(action: Action) -> Role:
    # Prefer a non-admin role so the test also shows the ordinary role works.
    return sorted(ROLES_FOR[action] - {Role.admin})[0]


def test_every_action_has_expected_roles_and_labels() -> None:
    assert set(ROLES_FOR) == set(Action)
    assert set(ACTION_LABELS_ZH) == set(Action)
    assert set(STATUS_LABELS_ZH) == set(Status)
    assert STATUS_LABELS_ZH[S.return_requested] == "退单待审"
    assert STATUS_LABELS_ZH[S.transferred_110] == "已转110"
    assert [rule.action for rule in RULES] == list(Action)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(Status, Action)))
def test_every_status_action_pair(status: Status, action: Action) -> None:
    facts = facts_passing_guard(status, action)
    role = a_role_for(action)
    if (status, action) in EXPECTED:
        result = transition(facts, action, role, **DETAILS.get(action, {}))
        assert result.action is action
        assert result.from_status is status
        assert result.to_status is EXPECTED[(status, action)]
    else:
        with pytest.raises(TransitionError) as caught:
            transition(facts, action, role, **DETAILS.get(action, {}))
        err = caught.value
        assert err.current is status
        assert err.action is action
        assert err.allowed == expected_allowed(facts)
        assert f"'{status}'" in err.message
        assert f"cannot {action}" in err.message
        listed = ", ".join(err.allowed) if err.allowed else "none"
        assert err.message.endswith(f"allowed: {listed}")


def test_message_names_state_and_allowed_actions() -> None:
    facts = OrderFacts(status=S.received, urgency="consultation")
    with pytest.raises(TransitionError) as caught:
        transition(facts, "accept", "handler")
    assert caught.value.message == (
        "cannot accept an order that is 'received'; "
        "allowed: dispatch, resolve_at_intake, merge, transfer_to_110"
    )


@pytest.mark.parametrize(("action", "role"), list(itertools.product(Action, Role)))
def test_role_matrix(action: Action, role: Role) -> None:
    # Pick a state the action is legal in, so only the role decides.
    status = next(s for (s, a) in EXPECTED if a == action)
    facts = facts_passing_guard(status, action)
    if role in ROLES_FOR[action]:
        assert transition(facts, action, role, **DETAILS.get(action, {})).from_status is status
    else:
        with pytest.raises(ActionForbidden) as caught:
            transition(facts, action, role, **DETAILS.get(action, {}))
        assert caught.value.role is role
        assert caught.value.action is action
        assert f"role '{role}' may not {action}" in caught.value.message


@pytest.mark.parametrize("role", [Role.leader, Role.auditor, Role.flood_hq, Role.holiday_hq])
def test_watching_roles_may_do_nothing(role: Role) -> None:
    for status in Status:
        assert allowed_actions(OrderFacts(status=status, urgency="general"), role) == ()


def test_role_is_checked_before_state() -> None:
    # A handler may never dispatch: 403 even though the order is closed (which would be 409).
    with pytest.raises(ActionForbidden):
        transition(OrderFacts(status=S.closed, urgency="general"), A.dispatch, Role.handler)


def test_unknown_role_string_is_forbidden() -> None:
    with pytest.raises(ActionForbidden) as caught:
        transition(OrderFacts(status=S.received, urgency="general"), "dispatch", "janitor")
    assert caught.value.role == "janitor"
    assert allowed_actions(OrderFacts(status=S.received, urgency="general"), "janitor") == ()


def test_unknown_action_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown action 'teleport'") as caught:
        transition(OrderFacts(status=S.received, urgency="general"), "teleport", "admin")
    assert not isinstance(caught.value, DetailError)


def test_string_action_and_role_are_accepted() -> None:
    result = transition(OrderFacts(status=S.dispatched, urgency="urgent"), "accept", "handler")
    assert result == type(result)(A.accept, S.dispatched, S.accepted)


@pytest.mark.parametrize(
    ("urgency", "legal"), [("consultation", True), ("general", False), ("urgent", False)]
)
def test_only_consultations_resolve_at_intake(urgency: str, legal: bool) -> None:
    facts = OrderFacts(status=S.received, urgency=urgency)
    if legal:
        assert transition(facts, A.resolve_at_intake, Role.dispatcher).to_status is S.replied
        assert A.resolve_at_intake in allowed_actions(facts)
    else:
        with pytest.raises(TransitionError, match="only consultations") as caught:
            transition(facts, A.resolve_at_intake, Role.dispatcher)
        assert A.resolve_at_intake not in caught.value.allowed
        assert caught.value.allowed == (A.dispatch, A.merge, A.transfer_to_110)


@pytest.mark.parametrize("status", [S.accepted, S.in_progress])
def test_extension_guards(status: Status) -> None:
    idle = OrderFacts(status=status, urgency="general", extension_pending=False)
    pending = OrderFacts(status=status, urgency="general", extension_pending=True)

    assert transition(idle, A.request_extension, Role.handler).to_status is status
    with pytest.raises(TransitionError, match="already pending"):
        transition(pending, A.request_extension, Role.handler)

    for decision in (A.approve_extension, A.reject_extension):
        assert transition(pending, decision, Role.dispatcher).to_status is status
        with pytest.raises(TransitionError, match="no extension request is pending"):
            transition(idle, decision, Role.dispatcher)

    assert A.request_extension in allowed_actions(idle, Role.handler)
    assert A.approve_extension not in allowed_actions(idle)
    assert A.request_extension not in allowed_actions(pending)
    assert A.approve_extension in allowed_actions(pending, Role.duty_officer)


@pytest.mark.parametrize("status", [S.evaluated, S.closed])
@pytest.mark.parametrize(
    ("rating", "legal"),
    [
        (Rating.unsatisfied, True),
        (Rating.basically_satisfied, False),
        (Rating.satisfied, False),
        (None, False),
    ],
)
def test_reopen_only_after_unsatisfied(status: Status, rating: Rating | None, legal: bool) -> None:
    facts = OrderFacts(status=status, urgency="general", last_rating=rating)
    if legal:
        assert transition(facts, A.reopen, Role.dispatcher).to_status is S.dispatched
    else:
        with pytest.raises(TransitionError, match="unsatisfied"):
            transition(facts, A.reopen, Role.dispatcher)
    assert (A.reopen in allowed_actions(facts)) is legal


@pytest.mark.parametrize("note", [None, "", "   "])
def test_request_return_needs_a_reason(note: str | None) -> None:
    facts = OrderFacts(status=S.dispatched, urgency="general")
    with pytest.raises(DetailError, match="note") as caught:
        transition(facts, A.request_return, Role.handler, note=note)
    assert caught.value.field is Detail.note


def test_evaluate_needs_a_known_rating() -> None:
    facts = OrderFacts(status=S.callback_done, urgency="general")
    with pytest.raises(DetailError, match="needs a rating") as missing:
        transition(facts, A.evaluate, Role.dispatcher)
    with pytest.raises(DetailError, match="unknown rating 'great'") as wrong:
        transition(facts, A.evaluate, Role.dispatcher, rating="great")
    assert missing.value.field is wrong.value.field is Detail.rating
    for rating in Rating:
        assert transition(facts, A.evaluate, Role.dispatcher, rating=rating).to_status is (
            S.evaluated
        )


def test_merge_needs_a_target() -> None:
    facts = OrderFacts(status=S.received, urgency="general")
    with pytest.raises(DetailError, match="target_order_id") as caught:
        transition(facts, A.merge, Role.dispatcher, target_order_id=" ")
    assert caught.value.field is Detail.target_order_id
    with pytest.raises(ValueError, match="merge into"):
        transition(facts, A.merge, Role.dispatcher)
    assert transition(facts, A.merge, Role.dispatcher, target_order_id=17).to_status is S.merged


def test_illegal_state_is_reported_before_missing_details() -> None:
    # A closed order cannot be merged at all; saying "give a target" would mislead.
    with pytest.raises(TransitionError):
        transition(OrderFacts(status=S.closed, urgency="general"), A.merge, Role.dispatcher)


def test_allowed_actions_follow_table_order_for_a_role() -> None:
    facts = OrderFacts(status=S.dispatched, urgency="general")
    assert allowed_actions(facts, Role.handler) == (A.accept, A.request_return)
    assert allowed_actions(facts, Role.dispatcher) == (A.redispatch, A.merge, A.transfer_to_110)
    assert allowed_actions(facts, Role.admin) == allowed_actions(facts)


def test_a_full_happy_path_walks_the_six_stages() -> None:
    steps = [
        (A.dispatch, Role.dispatcher, {}),
        (A.accept, Role.handler, {}),
        (A.start, Role.handler, {}),
        (A.reply, Role.handler, {}),
        (A.callback, Role.duty_officer, {}),
        (A.evaluate, Role.dispatcher, {"rating": Rating.unsatisfied}),
        (A.reopen, Role.dispatcher, {}),
    ]
    status, rating = S.received, None
    seen = [status]
    for action, role, details in steps:
        facts = OrderFacts(status=status, urgency="general", last_rating=rating)
        status = transition(facts, action, role, **details).to_status
        rating = details.get("rating", rating)
        seen.append(status)
    assert seen == [
        S.received,
        S.dispatched,
        S.accepted,
        S.in_progress,
        S.replied,
        S.callback_done,
        S.evaluated,
        S.dispatched,
    ]


@pytest.mark.parametrize("status", list(Status))
def test_is_open(status: Status) -> None:
    assert is_open(status) is (status not in (S.closed, S.merged))
