"""Supervision (督), callback and evaluation (回、评) as plain data and pure decisions.

- Supervision levels of a supervision order (督办单): 催办 → 督办 → 挂牌督办.
- The escalation ladder for hard cases, in the order the city climbs it: leader study
  (领导研究), department consultation (部门会商), on-site or video supervision
  (现场督办/视频调度), follow-up on a radio live broadcast (电台直播). Each step names the
  details it must record.
- Which orders the reminder timer speaks to, and with which kind of reminder.
- What a callback's answer means for the order (close, reopen, or limit reached).
- The rates per unit and period: response, resolution, satisfaction, on-time, return,
  reopen.

No I/O here: callers pass rows as plain mappings or dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.deadlines import Deadlines, deadline_state
from dispatch_center.core.lifecycle import Rating, parse_rating


class SupervisionLevel(StrEnum):
    """How hard the center leans on the handling unit (督办单的等级)."""

    urge = "urge"  # 催办
    supervise = "supervise"  # 督办
    listed = "listed"  # 挂牌督办


LEVEL_LABELS_ZH: dict[SupervisionLevel, str] = {
    SupervisionLevel.urge: "催办",
    SupervisionLevel.supervise: "督办",
    SupervisionLevel.listed: "挂牌督办",
}


class EscalationStep(StrEnum):
    """A rung of the escalation ladder for hard cases."""

    leader_study = "leader_study"  # 领导研究
    department_consultation = "department_consultation"  # 部门会商
    video_supervision = "video_supervision"  # 现场督办（视频调度）
    radio_broadcast = "radio_broadcast"  # 电台直播


@dataclass(frozen=True)
class StepSpec:
    """One rung: its place, its label and the details it must record."""

    step: EscalationStep
    rank: int
    label_zh: str
    required: tuple[str, ...]
    lists: tuple[str, ...] = ()  # required details that are non-empty lists


LADDER: tuple[StepSpec, ...] = (
    StepSpec(EscalationStep.leader_study, 1, "领导研究", ("leader", "instruction")),
    StepSpec(
        EscalationStep.department_consultation,
        2,
        "部门会商",
        ("departments", "meeting_record", "work_split"),
        lists=("departments",),
    ),
    StepSpec(EscalationStep.video_supervision, 3, "现场督办（视频调度）", ("session_id",)),
    StepSpec(
        EscalationStep.radio_broadcast,
        4,
        "电台直播",
        ("programme", "date", "answering_unit", "outcome"),
    ),
)

_SPEC: dict[EscalationStep, StepSpec] = {s.step: s for s in LADDER}


class StepError(ValueError):
    """An escalation step is refused: a missing detail or a step down the ladder.

    Attributes
    ----------
    field : str
        The detail at fault (``step`` when the step itself is refused).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class StepDecision:
    """A step accepted onto the order: its spec, its details and the rungs it skipped."""

    spec: StepSpec
    details: Mapping[str, Any]
    skipped: tuple[EscalationStep, ...]


def spec_for(step: EscalationStep | str) -> StepSpec:
    """The ladder's row for ``step``.

    Raises
    ------
    StepError
        If ``step`` names no rung.

    Examples
    --------
    >>> spec_for("department_consultation").label_zh
    '部门会商'
    """
    try:
        return _SPEC[EscalationStep(step)]
    except ValueError:
        known = ", ".join(EscalationStep)
        raise StepError("step", f"unknown escalation step {step!r}; known: {known}") from None


def next_steps(done: Sequence[EscalationStep | str]) -> tuple[EscalationStep, ...]:
    """The rungs that may be taken next: the highest one reached (again) and those above.

    Examples
    --------
    >>> [s.value for s in next_steps(["leader_study", "department_consultation"])]
    ['department_consultation', 'video_supervision', 'radio_broadcast']
    >>> len(next_steps([]))
    4
    """
    top = max((spec_for(s).rank for s in done), default=0)
    return tuple(s.step for s in LADDER if s.rank >= max(top, 1))


def decide_step(
    done: Sequence[EscalationStep | str], step: EscalationStep | str, details: Mapping[str, Any]
) -> StepDecision:
    """Check one escalation step against the ladder and the details it needs.

    The ladder is climbed, never descended: a step below the highest one already taken
    is refused. A rung may be taken again (a second consultation) and rungs may be
    skipped upwards; the skipped rungs are named so the timeline says so.

    Parameters
    ----------
    done : sequence of EscalationStep
        The steps already on the order, oldest first.
    step : EscalationStep or str
        The step to take now.
    details : mapping
        What the step records (``StepSpec.required`` must be present and non-empty).

    Raises
    ------
    StepError

    Examples
    --------
    >>> d = decide_step([], "department_consultation",
    ...                 {"departments": ["市住建局"], "meeting_record": "…", "work_split": "…"})
    >>> [s.value for s in d.skipped]
    ['leader_study']
    >>> decide_step(["radio_broadcast"], "leader_study", {"leader": "x", "instruction": "y"})
    Traceback (most recent call last):
    ...
    dispatch_center.core.supervision.StepError: cannot go down the ladder from 电台直播 to 领导研究
    """
    spec = spec_for(step)
    ranks = [spec_for(s).rank for s in done]
    top = max(ranks, default=0)
    if spec.rank < top:
        higher = LADDER[top - 1].label_zh
        raise StepError("step", f"cannot go down the ladder from {higher} to {spec.label_zh}")
    for name in spec.required:
        value = details.get(name)
        if name in spec.lists:
            if not isinstance(value, list | tuple) or not [v for v in value if str(v).strip()]:
                raise StepError(name, f"{spec.label_zh} needs {name}: a non-empty list")
        elif value is None or not str(value).strip():
            raise StepError(name, f"{spec.label_zh} needs {name}")
    skipped = tuple(s.step for s in LADDER if top < s.rank < spec.rank and s.rank not in ranks)
    return StepDecision(spec=spec, details=dict(details), skipped=skipped)


# -- reminders (督) ----------------------------------------------------------------------------


class ReminderKind(StrEnum):
    """Why the timer speaks to the handling unit."""

    due_soon = "due_soon"  # 即将超期
    overdue = "overdue"  # 已超期
    escalated = "escalated"  # 超期过久, the duty officer is told too


REMINDER_LABELS_ZH: dict[ReminderKind, str] = {
    ReminderKind.due_soon: "即将超期",
    ReminderKind.overdue: "已超期",
    ReminderKind.escalated: "超期升级",
}


@dataclass(frozen=True)
class ReminderThresholds:
    """When to remind, from the mode policy's ``escalation`` block.

    ``due_soon_minutes``: remind this long before ``reply_by`` (the share of the whole
    span in :func:`~dispatch_center.core.deadlines.deadline_state` also counts).
    ``overdue_escalate_minutes``: this long after ``reply_by`` the duty officer is told.
    """

    due_soon_minutes: int = 120
    overdue_escalate_minutes: int = 240

    @classmethod
    def from_policy(cls, escalation: Mapping[str, int] | None) -> ReminderThresholds:
        """Thresholds from a policy's ``escalation`` mapping; defaults for missing keys.

        Examples
        --------
        >>> ReminderThresholds.from_policy({"due_soon_minutes": 10}).overdue_escalate_minutes
        240
        """
        base = cls()
        got = dict(escalation or {})
        return cls(
            due_soon_minutes=int(got.get("due_soon_minutes", base.due_soon_minutes)),
            overdue_escalate_minutes=int(
                got.get("overdue_escalate_minutes", base.overdue_escalate_minutes)
            ),
        )


def reminder_for(
    *,
    received_at: datetime,
    respond_by: datetime,
    reply_by: datetime,
    now: datetime,
    thresholds: ReminderThresholds,
) -> ReminderKind | None:
    """The reminder an unreplied order is due now, if any.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> rec = datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)
    >>> due = rec + timedelta(hours=24)
    >>> t = ReminderThresholds(due_soon_minutes=60, overdue_escalate_minutes=120)
    >>> reminder_for(received_at=rec, respond_by=rec, reply_by=due, now=rec, thresholds=t)
    >>> reminder_for(received_at=rec, respond_by=rec, reply_by=due,
    ...              now=due + timedelta(hours=3), thresholds=t).value
    'escalated'
    """
    state = deadline_state(
        Deadlines(respond_by, reply_by, False), now, replied=False, received_at=received_at
    )
    late = to_shanghai(now) - to_shanghai(reply_by)
    if state.overdue:
        if late >= timedelta(minutes=thresholds.overdue_escalate_minutes):
            return ReminderKind.escalated
        return ReminderKind.overdue
    if state.due_soon or -late <= timedelta(minutes=thresholds.due_soon_minutes):
        return ReminderKind.due_soon
    return None


def reminder_text(kind: ReminderKind, number: str, reply_by: datetime) -> str:
    """The reminder's wording, for the console and the SMS.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> reminder_text(ReminderKind.overdue, "LS2026112700001",
    ...               datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI))
    '【12345督办】工单LS2026112700001已超期（办理时限 2026-11-27 18:00），请立即办理并答复。'
    """
    when = to_shanghai(reply_by).strftime("%Y-%m-%d %H:%M")
    tail = {
        ReminderKind.due_soon: "请抓紧办理，按时答复。",
        ReminderKind.overdue: "请立即办理并答复。",
        ReminderKind.escalated: "已报值班长督办，请立即办理并说明超期原因。",
    }[kind]
    return f"【12345督办】工单{number}{REMINDER_LABELS_ZH[kind]}（办理时限 {when}），{tail}"


# -- callback and evaluation (回、评) -----------------------------------------------------------

DEFAULT_MAX_REOPENS = 2


class CallbackOutcome(StrEnum):
    """What the callback's answer does to the order."""

    close = "close"  # satisfied and solved: 归档
    reopen = "reopen"  # 重办
    limit_reached = "limit_reached"  # would reopen, but the policy's limit is used up


@dataclass(frozen=True)
class CallbackVerdict:
    """The decision after the citizen answered the callback."""

    outcome: CallbackOutcome
    reason: str


def decide_callback(
    rating: Rating | str, solved: bool, reopens_so_far: int, max_reopens: int = DEFAULT_MAX_REOPENS
) -> CallbackVerdict:
    """Decide what follows the citizen's rating and whether the problem was solved.

    Unsatisfied or unsolved reopens the order (重办) while fewer than ``max_reopens``
    reopens were made; after that the order is left for a supervision order instead.

    Examples
    --------
    >>> decide_callback("satisfied", True, 0).outcome.value
    'close'
    >>> decide_callback("unsatisfied", True, 1).outcome.value
    'reopen'
    >>> decide_callback("basically_satisfied", False, 2).outcome.value
    'limit_reached'
    """
    r = parse_rating(rating)
    if r is not Rating.unsatisfied and solved:
        return CallbackVerdict(CallbackOutcome.close, "满意且已解决")
    why = "群众不满意" if r is Rating.unsatisfied else "问题未解决"
    if reopens_so_far >= max_reopens:
        return CallbackVerdict(
            CallbackOutcome.limit_reached,
            f"{why}，已重办{reopens_so_far}次，达到上限{max_reopens}次",
        )
    return CallbackVerdict(CallbackOutcome.reopen, f"{why}，第{reopens_so_far + 1}次重办")


# -- rates per unit and period -----------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    """One order's facts for the rates (a plain row of the store's query)."""

    unit: str
    respond_by: datetime
    reply_by: datetime
    responded_at: datetime | None = None
    replied_at: datetime | None = None
    rating: str | None = None  # the newest evaluation, if any
    returns: int = 0  # 退单 requests
    reopens: int = 0  # 重办


@dataclass(frozen=True)
class UnitRates:
    """Counts and rates of one unit over one period; a rate is None when nothing counts.

    - response rate (响应率): responded by ``respond_by`` / orders
    - resolution rate (办结率): replied / orders
    - satisfaction rate (满意率): (满意 + 基本满意) / rated
    - on-time rate (按时办结率): replied by ``reply_by`` / replied
    - return rate (退单率): orders returned at least once / orders
    - reopen rate (重办率): orders reopened at least once / orders
    """

    unit: str
    orders: int
    responded_on_time: int
    replied: int
    replied_on_time: int
    rated: int
    content: int
    returned: int
    reopened: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def rates(self) -> dict[str, float | None]:
        """The six rates as fractions in [0, 1] (4 decimals) or None.

        Examples
        --------
        >>> UnitRates("u", 4, 3, 2, 1, 0, 0, 1, 0).rates()["response_rate"]
        0.75
        """
        r = self._rate
        return {
            "response_rate": r(self.responded_on_time, self.orders),
            "resolution_rate": r(self.replied, self.orders),
            "satisfaction_rate": r(self.content, self.rated),
            "on_time_rate": r(self.replied_on_time, self.replied),
            "return_rate": r(self.returned, self.orders),
            "reopen_rate": r(self.reopened, self.orders),
        }

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates together, for the API."""
        counts = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {**counts, **self.rates()}


_CONTENT = frozenset({Rating.satisfied.value, Rating.basically_satisfied.value})


def compute_rates(unit: str, rows: Iterable[RateRow]) -> UnitRates:
    """Count one unit's orders into :class:`UnitRates`.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> t = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)
    >>> rows = [RateRow("u", t, t, responded_at=t, replied_at=t, rating="satisfied"),
    ...         RateRow("u", t, t, returns=1)]
    >>> compute_rates("u", rows).rates()["resolution_rate"]
    0.5
    """
    n = responded = replied = on_time = rated = content = returned = reopened = 0
    for row in rows:
        n += 1
        if row.responded_at is not None and row.responded_at <= row.respond_by:
            responded += 1
        if row.replied_at is not None:
            replied += 1
            if row.replied_at <= row.reply_by:
                on_time += 1
        if row.rating is not None:
            rated += 1
            content += row.rating in _CONTENT
        returned += row.returns > 0
        reopened += row.reopens > 0
    return UnitRates(unit, n, responded, replied, on_time, rated, content, returned, reopened)


def rates_by_unit(rows: Iterable[RateRow]) -> list[UnitRates]:
    """:func:`compute_rates` for every unit present, by unit code.

    Examples
    --------
    >>> from dispatch_center.core.calendar import SHANGHAI
    >>> t = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)
    >>> [u.unit for u in rates_by_unit([RateRow("b", t, t), RateRow("a", t, t)])]
    ['a', 'b']
    """
    groups: dict[str, list[RateRow]] = {}
    for row in rows:
        groups.setdefault(row.unit, []).append(row)
    return [compute_rates(u, groups[u]) for u in sorted(groups)]
