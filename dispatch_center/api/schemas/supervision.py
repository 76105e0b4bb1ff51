"""Supervision (督): 督办单, the escalation ladder, reminders, video supervision sessions,
instructions and tasks, callbacks (回) and rates (评).
"""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Number, Public, Timestamp
from dispatch_center.api.schemas.orders import OrderPublic


class SupervisionOrderPublic(Public):
    """A 督办单: level, what must be answered by when, and the answer."""

    id: str
    order_id: str
    order_number: str | None
    level: str = Field(examples=["listed"])
    level_label: str = Field(examples=["挂牌督办"])
    requirement: str
    answer_by: Timestamp | None
    unit: str | None
    issued_by: str
    issued_at: Timestamp
    status: str = Field(examples=["open"])
    answer: str | None
    answered_by: str | None
    answered_at: Timestamp | None


class EscalationStepPublic(Public):
    """A step of the ladder taken on an order (领导研究, 部门会商, 现场/视频督办, 电台直播)."""

    order_id: str
    at: Timestamp
    by: str
    step: str = Field(examples=["leader_study"])
    label: str
    rank: int
    details: Json
    skipped: list[str]


class LadderStep(Public):
    """One rung of the escalation ladder and what it requires."""

    step: str
    label: str
    rank: int
    required: list[str]


class StepTaken(Public):
    """A step taken, as recorded on the order (keys in the stored record's order)."""

    at: Timestamp
    by: str
    rank: int | None = None
    step: str | None = None
    label: str | None = None
    details: Json | None = None
    skipped: list[str] | None = None


class ReminderPublic(Public):
    """A reminder sent to a unit about a due-soon or overdue order."""

    id: str
    order_id: str
    order_number: str | None
    kind: str = Field(examples=["due_soon"])
    label: str
    unit: str | None
    reply_by: Timestamp | None
    at: Timestamp
    message: str


class LadderPublic(Public):
    """The ladder, the steps taken on an order, what may come next, its 督办单,
    reminders and sessions.
    """

    order_id: str
    ladder: list[LadderStep]
    taken: list[StepTaken]
    next: list[str]
    supervision_orders: list[SupervisionOrderPublic]
    reminders: list[ReminderPublic]
    sessions: list[str]


class TickPublic(Public):
    """What one pass of the reminder timer did (``skipped``: another worker held it)."""

    reminders: int
    callbacks: int
    skipped: bool
    outbox: dict[str, int] | None = None


class Invited(Public):
    """Someone invited to a session (kept as stored with the session)."""

    name: str
    role: str | None = None
    unit: str | None = None
    user: str | None = None
    invited_by: str | None = Field(default=None, description="who invited, once it started")
    invited_at: Timestamp | None = None


class PresenceInterval(Public):
    """One stretch of presence in a session."""

    joined_at: Timestamp | None
    left_at: Timestamp | None
    joined_via: str | None
    left_via: str | None


class ParticipantPublic(Public):
    """A participant with first joining, last leaving and every interval."""

    participant: str
    name: str | None
    role: str | None
    joined_at: Timestamp | None
    left_at: Timestamp | None
    present: bool
    intervals: list[PresenceInterval]


class InstructionPublic(Public):
    """A leader's instruction or decision, with its task or the work order it made."""

    id: str
    session_id: str
    text: str
    owner: str
    due: Timestamp | None
    kind: str = Field(examples=["instruction"])
    issued_by: str
    issued_at: Timestamp
    task: Json | None
    order: Json | None


class AttachmentPublic(Public):
    """A recording link or a document."""

    id: str
    kind: str
    title: str
    url: str
    added_by: str
    added_at: Timestamp


class AmendmentPublic(Public):
    """A correction appended to a closed session's record."""

    id: str
    text: str
    author: str
    at: Timestamp


class MinutesPublic(Public):
    """The minutes (纪要), frozen at closing (keys in the stored record's order), with
    later amendments and links to the documents.
    """

    mode: str | None = None
    topic: str | None = None
    orders: list[Json] | None = None
    invited: list[Json] | None = None
    room_url: str | None = None
    closed_at: Timestamp | None = None
    closed_by: str | None = None
    emergency: str | None = None
    created_by: str | None = None
    session_id: str | None = None
    started_at: Timestamp | None = None
    attachments: list[Json] | None = None
    instructions: list[Json] | None = None
    participants: list[Json] | None = None
    affected_area: list[str] | None = None
    amendments: list[AmendmentPublic] | None = None
    html_url: str | None = None
    pdf_url: str | None = None


class SessionPublic(Public):
    """A video supervision session with participants, instructions and, closed, minutes."""

    id: str
    topic: str
    room_url: str
    status: str = Field(examples=["open"])
    emergency: str | None
    mode: str | None
    affected_area: list[str]
    invited: list[Invited]
    order_ids: list[str]
    created_by: str
    created_at: Timestamp
    closed_by: str | None
    closed_at: Timestamp | None
    minutes_signed_by: str | None = None
    minutes_signed_at: Timestamp | None = None
    participants: list[ParticipantPublic]
    instructions: list[InstructionPublic]
    attachments: list[AttachmentPublic]
    amendments: list[AmendmentPublic]
    minutes: MinutesPublic | None


class SessionBrief(Public):
    """A session in a list: who is present now."""

    id: str
    topic: str
    status: str
    room_url: str
    created_at: Timestamp
    closed_at: Timestamp | None = None
    mode: str | None = None
    present: list[str] | None = None


class MySession(Public):
    """A session on a leader's or duty officer's own view."""

    id: str
    topic: str
    status: str
    created_at: Timestamp
    room_url: str


class SessionList(Public):
    """Sessions, newest first."""

    sessions: list[SessionBrief]


class PresencePublic(Public):
    """A join or leave (``changed`` false: the caller was already so)."""

    session_id: str
    participant: str
    changed: bool
    action: str | None = Field(default=None, examples=["join"])
    duplicate: bool | None = None


class TaskPublic(Public):
    """A tracked task (a leader's instruction)."""

    id: str
    source: str
    source_id: str
    title: str
    owner: str
    due: Timestamp | None
    status: str = Field(examples=["open"])
    created_by: str
    created_at: Timestamp
    done_by: str | None
    done_at: Timestamp | None
    result: str | None


class TaskList(Public):
    """Tracked tasks."""

    tasks: list[TaskPublic]


class CallbackPublic(Public):
    """A callback to the citizen (回访); after recording, the verdict and the order's state."""

    id: str
    order_id: str
    order_number: str | None
    channel: str
    status: str = Field(examples=["pending"])
    replied_at: Timestamp | None
    created_at: Timestamp
    rating: str | None
    solved: bool | None
    outcome: str | None
    done_by: str | None
    done_at: Timestamp | None
    verdict: str | None = None
    order_status: str | None = None
    reopens: int | None = None
    max_reopens: int | None = None


class CallbackList(Public):
    """Callback tasks waiting for a call."""

    callbacks: list[CallbackPublic]


class UnitRates(Public):
    """Counts and rates of one unit (a rate is null when nothing counts toward it)."""

    unit: str
    orders: int
    responded_on_time: int
    replied: int
    replied_on_time: int
    rated: int
    content: int
    returned: int
    reopened: int
    response_rate: Number | None
    resolution_rate: Number | None
    satisfaction_rate: Number | None
    on_time_rate: Number | None
    return_rate: Number | None
    reopen_rate: Number | None
    name: str | None = None


class RatesPublic(Public):
    """Rates over orders received in [from, to), overall and per unit."""

    unit: str | None
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    overall: UnitRates
    units: list[UnitRates]


class MyWorkPublic(Public):
    """A handler's orders, reminders, 督办单 and tasks; a leader's or duty officer's
    sessions, instructions, tasks and callbacks.
    """

    role: str
    unit: str | None = None
    orders: list[OrderPublic] | None = None
    reminders: list[ReminderPublic] | None = None
    supervision_orders: list[SupervisionOrderPublic] | None = None
    sessions: list[MySession] | None = None
    instructions: list[InstructionPublic] | None = None
    tasks: list[TaskPublic]
    callbacks: list[CallbackPublic] | None = None
