"""The leader's console (``/leader``): the board of overdue and at-risk orders, a person's
day, the instructions' follow-up list and the signature on minutes.
"""

from __future__ import annotations

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Public, Timestamp


class BoardOrder(Public):
    """An open order past or near its reply deadline, with the supervision on it."""

    id: str
    number: str
    description: str
    category: str | None
    urgency: str
    status: str
    status_label: str
    unit: Json | None
    tier: int | None
    county: str | None
    reply_by: Timestamp
    state: str = Field(examples=["overdue"], description="overdue or at_risk")
    late_minutes: int = Field(description="minutes past reply_by (negative: left)")
    escalate_after_minutes: int
    level: str | None = Field(examples=["listed"], description="strongest 督办单 issued")
    level_label: str | None
    open_supervision_orders: int
    top_step: str | None
    top_step_label: str | None
    next_steps: list[str]
    version: int


class BoardUnit(Public):
    """One unit's overdue and at-risk counts."""

    code: str | None
    name: str | None
    tier: int | None
    overdue: int
    at_risk: int
    worst_late_minutes: int


class BoardPublic(Public):
    """Overdue and at-risk orders the caller may see, worst first, and per unit."""

    at: Timestamp
    overdue: int
    at_risk: int
    orders: list[BoardOrder]
    units: list[BoardUnit]


class FollowUp(Public):
    """A session instruction and how it is being carried out."""

    id: str
    session_id: str
    topic: str
    text: str
    owner: str
    due: Timestamp | None
    issued_by: str
    issued_at: Timestamp
    state: str = Field(examples=["overdue"], description="overdue, open or done")
    task: Json | None
    order: Json | None


class FollowUpList(Public):
    """Instructions, overdue first, done last."""

    items: list[FollowUp]


class DayPublic(Public):
    """A leader's day: what waits for a 批示 or a signature, what they asked for."""

    at: Timestamp
    needs_instruction: list[BoardOrder]
    unsigned_minutes: list[Json]
    instructions_given: list[Json]
    supervision_orders: list[Json]
    session_instructions: list[FollowUp]


class SignaturePublic(Public):
    """Minutes signed (签发)."""

    session_id: str
    signed_by: str
    signed_at: Timestamp
