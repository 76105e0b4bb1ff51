"""The work-order lifecycle 接、转、办、督、回、评 as an explicit state machine.

Every legal move is one row of :data:`RULES`: the action, the states it may start from, the
state it leads to, the roles allowed to take it, an optional guard on the order's facts and
the details the caller must supply (a reason, a rating, a target order). Nothing else in the
code base decides whether an action is legal; the store and the API ask :func:`transition`.

Errors map onto HTTP: an unknown action name or a missing detail is a ``ValueError`` (422), a
role that may never take the action is :class:`ActionForbidden` (403), an action that is not
legal in the order's current state is :class:`TransitionError` (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dispatch_center.core.roles import Role


class Status(StrEnum):
    """Where a work order stands."""

    received = "received"
    dispatched = "dispatched"
    accepted = "accepted"
    in_progress = "in_progress"
    replied = "replied"
    callback_done = "callback_done"
    evaluated = "evaluated"
    closed = "closed"
    return_requested = "return_requested"
    transferred_110 = "transferred_110"
    merged = "merged"


#: An order still being worked: received and not yet answered (办结). The wall draws these,
#: the timer reminds on them and a mode switch may tighten their deadlines.
OPEN_UNREPLIED: tuple[Status, ...] = (
    Status.received,
    Status.dispatched,
    Status.accepted,
    Status.in_progress,
    Status.return_requested,
)

#: What waits in the dispatcher's queue: new orders, and orders a unit handed back (退单).
WAITING_FOR_DISPATCH: tuple[Status, ...] = (Status.received, Status.return_requested)


class Action(StrEnum):
    """Something a user does to a work order."""

    dispatch = "dispatch"
    resolve_at_intake = "resolve_at_intake"
    accept = "accept"
    start = "start"
    reply = "reply"
    request_return = "request_return"
    redispatch = "redispatch"
    uphold_return = "uphold_return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    reject_extension = "reject_extension"
    callback = "callback"
    evaluate = "evaluate"
    close = "close"
    reopen = "reopen"
    merge = "merge"
    transfer_to_110 = "transfer_to_110"
    return_from_110 = "return_from_110"
    # 一级抓一级: a holding unit passes the order to one of its child units, the child
    # hands it back up or reports its result up (core.delegation decides who holds).
    assign_down = "assign_down"
    hand_back = "hand_back"
    report_up = "report_up"
    # 协办: a co-handling unit accepts its part and replies to it; the order's status stays
    # (the lead answers for the whole).
    co_accept = "co_accept"
    co_reply = "co_reply"


class Rating(StrEnum):
    """The citizen's verdict at the callback (评价)."""

    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class Detail(StrEnum):
    """A piece of input an action cannot do without."""

    note = "note"  # a non-empty reason, e.g. why the unit returns the order
    rating = "rating"
    target_order_id = "target_order_id"


STATUS_LABELS_ZH: dict[Status, str] = {
    Status.received: "受理",
    Status.dispatched: "已派单",
    Status.accepted: "已签收",
    Status.in_progress: "办理中",
    Status.replied: "已办结",
    Status.callback_done: "已回访",
    Status.evaluated: "已评价",
    Status.closed: "已归档",
    Status.return_requested: "退单待审",
    Status.transferred_110: "已转110",
    Status.merged: "已并单",
}

ACTION_LABELS_ZH: dict[Action, str] = {
    Action.dispatch: "派单",
    Action.resolve_at_intake: "直接办结",
    Action.accept: "签收",
    Action.start: "开始办理",
    Action.reply: "办结答复",
    Action.request_return: "退单",
    Action.redispatch: "改派",
    Action.uphold_return: "退单驳回",
    Action.request_extension: "延期申请",
    Action.approve_extension: "同意延期",
    Action.reject_extension: "驳回延期",
    Action.callback: "回访",
    Action.evaluate: "评价",
    Action.close: "归档",
    Action.reopen: "重办",
    Action.merge: "并单",
    Action.transfer_to_110: "转110",
    Action.return_from_110: "110退回",
    Action.assign_down: "下派",
    Action.hand_back: "回退上级",
    Action.report_up: "办结上报",
    Action.co_accept: "协办签收",
    Action.co_reply: "协办答复",
}

RATING_LABELS_ZH: dict[Rating, str] = {
    Rating.satisfied: "满意",
    Rating.basically_satisfied: "基本满意",
    Rating.unsatisfied: "不满意",
}


@dataclass(frozen=True)
class OrderFacts:
    """What the guards need to know about an order.

    Parameters
    ----------
    status : Status
        The order's current status.
    urgency : str
        ``consultation``, ``urgent`` or ``general``.
    extension_pending : bool
        A deadline extension has been requested and not yet decided.
    last_rating : Rating or None
        The citizen's most recent rating, if any.
    """

    status: Status
    urgency: str
    extension_pending: bool = False
    last_rating: Rating | None = None
    last_solved: bool | None = None
    #: The order was passed down (下派) and a child unit holds it now: the answer to the
    #: citizen (办结) and a return to the center (退单) wait until it is back with the unit
    #: the center dispatched it to.
    delegated: bool = False
    #: Co-handling units (协办) were named at dispatch: each has a part to accept and answer.
    co_handled: bool = False


@dataclass(frozen=True)
class Transition:
    """A legal move: the action taken and the status before and after it."""

    action: Action
    from_status: Status
    to_status: Status


class TransitionError(Exception):
    """The action is not legal in the order's current state (HTTP 409).

    Attributes
    ----------
    current : Status
        The order's status.
    action : Action
        The action that was refused.
    allowed : tuple of Action
        What any role could do to this order now.
    message : str
        A plain English explanation naming the state and the allowed actions.
    """

    def __init__(
        self, current: Status, action: Action, allowed: tuple[Action, ...], reason: str = ""
    ) -> None:
        self.current = current
        self.action = action
        self.allowed = allowed
        listed = ", ".join(allowed) if allowed else "none"
        why = f": {reason}" if reason else ""
        self.message = f"cannot {action} an order that is '{current}'{why}; allowed: {listed}"
        super().__init__(self.message)


class ActionForbidden(Exception):
    """The role may never take this action (HTTP 403).

    Attributes
    ----------
    role : Role or str
        The refused role (a plain string when it names no known role).
    action : Action
    message : str
    """

    def __init__(self, role: Role | str, action: Action) -> None:
        self.role = role
        self.action = action
        may = ", ".join(sorted(rule_for(action).roles))
        self.message = f"role '{role}' may not {action}; roles that may: {may}"
        super().__init__(self.message)


class DetailError(ValueError):
    """An action's required detail is missing or invalid (HTTP 422).

    Attributes
    ----------
    field : Detail
        The detail at fault (``note``, ``rating`` or ``target_order_id``), for the error's
        ``fields`` map.
    """

    def __init__(self, field: Detail, message: str) -> None:
        self.field = field
        super().__init__(message)


# A guard returns None when the move is allowed, else the reason it is not.
Guard = Callable[[OrderFacts], str | None]


def _only_consultations(facts: OrderFacts) -> str | None:
    if facts.urgency == "consultation":
        return None
    return f"only consultations can be resolved at intake, this order is '{facts.urgency}'"


def _no_extension_pending(facts: OrderFacts) -> str | None:
    return "an extension request is already pending" if facts.extension_pending else None


def _extension_pending(facts: OrderFacts) -> str | None:
    return None if facts.extension_pending else "no extension request is pending"


def _last_rating_unsatisfied(facts: OrderFacts) -> str | None:
    # 重办: the citizen was unsatisfied, or said the problem is not solved whatever
    # the rating ("basically satisfied with the attitude, but the water is still off").
    if facts.last_rating == Rating.unsatisfied or (
        facts.last_rating is not None and facts.last_solved is False
    ):
        return None
    rated = facts.last_rating.value if facts.last_rating else "none"
    return (
        "only an order rated unsatisfied or reported unsolved can be reopened "
        f"(last rating: {rated})"
    )


def _not_delegated(facts: OrderFacts) -> str | None:
    if facts.delegated:
        return "a child unit holds the order: it reports up (report_up) or hands it back first"
    return None


def _delegated(facts: OrderFacts) -> str | None:
    return None if facts.delegated else "the order was not passed down to this unit"


def _co_handled(facts: OrderFacts) -> str | None:
    return None if facts.co_handled else "the order has no co-handling units"


@dataclass(frozen=True)
class Rule:
    """One row of the lifecycle table.

    ``to_status`` None means the action leaves the status as it is (extension requests and
    decisions change the deadline, not the stage of work).
    """

    action: Action
    from_statuses: tuple[Status, ...]
    to_status: Status | None
    roles: frozenset[Role]
    guard: Guard | None = None
    needs: frozenset[Detail] = frozenset()


_S = Status
_D = frozenset({Role.dispatcher, Role.duty_officer, Role.admin})
_H = frozenset({Role.handler, Role.admin})
# The call floor's seats open orders and settle what needs no unit: a consultation answered
# on the call, a repeat call attached to its order, a call that belongs to 110.
_C = _D | {Role.call_taker}
# The callback desk records the citizen's verdict; a verdict of 不满意 reopens the order.
_B = _D | {Role.callback_agent}

RULES: tuple[Rule, ...] = (
    Rule(Action.dispatch, (_S.received,), _S.dispatched, _D),
    Rule(Action.resolve_at_intake, (_S.received,), _S.replied, _C, _only_consultations),
    Rule(Action.accept, (_S.dispatched,), _S.accepted, _H),
    Rule(Action.start, (_S.accepted,), _S.in_progress, _H),
    Rule(Action.reply, (_S.accepted, _S.in_progress), _S.replied, _H, _not_delegated),
    Rule(
        Action.request_return,
        (_S.dispatched, _S.accepted),
        _S.return_requested,
        _H,
        _not_delegated,
        needs=frozenset({Detail.note}),
    ),
    Rule(Action.redispatch, (_S.return_requested, _S.dispatched), _S.dispatched, _D),
    Rule(Action.uphold_return, (_S.return_requested,), _S.dispatched, _D),
    Rule(
        Action.request_extension,
        (_S.accepted, _S.in_progress),
        None,
        _H,
        _no_extension_pending,
    ),
    Rule(Action.approve_extension, (_S.accepted, _S.in_progress), None, _D, _extension_pending),
    Rule(Action.reject_extension, (_S.accepted, _S.in_progress), None, _D, _extension_pending),
    Rule(Action.callback, (_S.replied,), _S.callback_done, _B),
    Rule(
        Action.evaluate,
        (_S.callback_done,),
        _S.evaluated,
        _B,
        needs=frozenset({Detail.rating}),
    ),
    Rule(Action.close, (_S.evaluated,), _S.closed, _D),
    Rule(Action.reopen, (_S.evaluated, _S.closed), _S.dispatched, _B, _last_rating_unsatisfied),
    Rule(
        Action.merge,
        (_S.received, _S.dispatched, _S.return_requested),
        _S.merged,
        _C,
        needs=frozenset({Detail.target_order_id}),
    ),
    Rule(
        Action.transfer_to_110,
        (_S.received, _S.dispatched, _S.return_requested),
        _S.transferred_110,
        _C,
    ),
    Rule(Action.return_from_110, (_S.transferred_110,), _S.received, _D),
    # The child signs for what it is passed (dispatched again); handing back or reporting up
    # leaves the parent, who had signed already, working it (in_progress).
    Rule(Action.assign_down, (_S.accepted, _S.in_progress), _S.dispatched, _H),
    Rule(
        Action.hand_back,
        (_S.dispatched, _S.accepted, _S.in_progress),
        _S.in_progress,
        _H,
        _delegated,
        needs=frozenset({Detail.note}),
    ),
    Rule(
        Action.report_up,
        (_S.accepted, _S.in_progress),
        _S.in_progress,
        _H,
        _delegated,
        needs=frozenset({Detail.note}),
    ),
    Rule(Action.co_accept, (_S.dispatched, _S.accepted, _S.in_progress), None, _H, _co_handled),
    Rule(
        Action.co_reply,
        (_S.dispatched, _S.accepted, _S.in_progress),
        None,
        _H,
        _co_handled,
        needs=frozenset({Detail.note}),
    ),
)

_RULE_BY_ACTION: dict[Action, Rule] = {rule.action: rule for rule in RULES}
_CLOSED_STATUSES = frozenset({Status.closed, Status.merged})


def rule_for(action: Action | str) -> Rule:
    """Return the table row for ``action``.

    Raises
    ------
    ValueError
        If ``action`` names no action.

    Examples
    --------
    >>> rule_for("accept").to_status
    <Status.accepted: 'accepted'>
    """
    return _RULE_BY_ACTION[_parse_action(action)]


def _parse_action(action: Action | str) -> Action:
    if isinstance(action, Action):
        return action
    try:
        return Action(action)
    except ValueError:
        known = ", ".join(Action)
        raise ValueError(f"unknown action {action!r}; known actions: {known}") from None


def _parse_role(role: Role | str) -> Role | None:
    if isinstance(role, Role):
        return role
    try:
        return Role(role)
    except ValueError:
        return None


def _blocked_by(rule: Rule, facts: OrderFacts) -> str | None:
    """Why ``rule`` cannot apply to ``facts`` now ("" for a wrong state), or None."""
    if facts.status not in rule.from_statuses:
        return ""
    return rule.guard(facts) if rule.guard else None


def allowed_actions(facts: OrderFacts, role: Role | str | None = None) -> tuple[Action, ...]:
    """List the actions that are legal on the order now, in table order.

    Parameters
    ----------
    facts : OrderFacts
        The order's status and the facts the guards read.
    role : Role, str or None
        Restrict to what this role may do; None means any role. An unknown role may do
        nothing.

    Returns
    -------
    tuple of Action

    Examples
    --------
    >>> facts = OrderFacts(status=Status.dispatched, urgency="general")
    >>> [str(a) for a in allowed_actions(facts, Role.handler)]
    ['accept', 'request_return']
    """
    parsed = None if role is None else _parse_role(role)
    if role is not None and parsed is None:
        return ()
    return tuple(
        rule.action
        for rule in RULES
        if (parsed is None or parsed in rule.roles) and _blocked_by(rule, facts) is None
    )


def transition(
    facts: OrderFacts,
    action: Action | str,
    role: Role | str,
    *,
    note: str | None = None,
    rating: Rating | str | None = None,
    target_order_id: object | None = None,
) -> Transition:
    """Decide whether ``role`` may take ``action`` on the order, and where it leads.

    Checks run in this order: the action name, the role (403), the state and guard (409),
    then the details the action needs (422). The keyword details are only checked for the
    actions that need them: ``request_return`` needs a non-empty ``note``, ``evaluate`` a
    ``rating``, ``merge`` a ``target_order_id``.

    Parameters
    ----------
    facts : OrderFacts
        The order as it is now.
    action : Action or str
        What the user wants to do.
    role : Role or str
        The user's role.
    note : str, optional
        The reason given with the action.
    rating : Rating or str, optional
        The citizen's rating, for ``evaluate``.
    target_order_id : object, optional
        The order this one is merged into, for ``merge``.

    Returns
    -------
    Transition
        ``to_status`` equals ``from_status`` for the extension actions.

    Raises
    ------
    ValueError
        Unknown action name.
    DetailError
        A detail the action needs is missing or invalid (a ``ValueError`` too).
    ActionForbidden
        The role may never take this action.
    TransitionError
        The action is not legal in the current state, or its guard fails.

    Examples
    --------
    >>> facts = OrderFacts(status=Status.received, urgency="general")
    >>> transition(facts, "dispatch", Role.dispatcher).to_status
    <Status.dispatched: 'dispatched'>
    >>> transition(facts, "accept", "handler")
    Traceback (most recent call last):
    ...
    dispatch_center.core.lifecycle.TransitionError: cannot accept an order that is \
'received'; allowed: dispatch, merge, transfer_to_110
    """
    act = _parse_action(action)
    rule = _RULE_BY_ACTION[act]
    parsed_role = _parse_role(role)
    if parsed_role is None or parsed_role not in rule.roles:
        raise ActionForbidden(role if parsed_role is None else parsed_role, act)
    blocked = _blocked_by(rule, facts)
    if blocked is not None:
        raise TransitionError(facts.status, act, allowed_actions(facts), blocked)
    _check_details(rule, note=note, rating=rating, target_order_id=target_order_id)
    to_status = facts.status if rule.to_status is None else rule.to_status
    return Transition(action=act, from_status=facts.status, to_status=to_status)


def _check_details(
    rule: Rule, *, note: str | None, rating: Rating | str | None, target_order_id: object | None
) -> None:
    if Detail.note in rule.needs and not (note and note.strip()):
        raise DetailError(Detail.note, f"{rule.action} needs a non-empty note giving the reason")
    if Detail.rating in rule.needs:
        if rating is None:
            raise DetailError(Detail.rating, f"{rule.action} needs a rating: {', '.join(Rating)}")
        try:
            parse_rating(rating)
        except ValueError as exc:
            raise DetailError(Detail.rating, str(exc)) from None
    if Detail.target_order_id in rule.needs and (
        target_order_id is None or str(target_order_id).strip() == ""
    ):
        raise DetailError(
            Detail.target_order_id,
            f"{rule.action} needs target_order_id, the order to merge into",
        )


def parse_rating(rating: Rating | str) -> Rating:
    """Return ``rating`` as a :class:`Rating`.

    Raises
    ------
    ValueError
        If the string is not one of the three ratings.

    Examples
    --------
    >>> parse_rating("basically_satisfied")
    <Rating.basically_satisfied: 'basically_satisfied'>
    """
    if isinstance(rating, Rating):
        return rating
    try:
        return Rating(rating)
    except ValueError:
        raise ValueError(
            f"unknown rating {rating!r}; expected one of: {', '.join(Rating)}"
        ) from None


def is_open(status: Status) -> bool:
    """Tell whether an order in ``status`` still needs work or follow-up.

    Closed (归档) and merged (并单) orders are finished; every other status, including an
    order handed to 110, still counts against the center.

    Examples
    --------
    >>> is_open(Status.in_progress), is_open(Status.closed), is_open(Status.merged)
    (True, False, False)
    """
    return status not in _CLOSED_STATUSES
