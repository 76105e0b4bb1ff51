"""Response models of the citizen's side of the loop: texts, the public status lookup."""

from __future__ import annotations

from dispatch_center.api.schemas.common import Public, Timestamp


class OutboxMessage(Public):
    """One outbound text: its template, state (queued, sent, delivered, failed) and the
    recipient's number, masked.
    """

    id: int
    channel: str
    template: str | None = None
    state: str
    to: str | None = None
    order_id: str | None = None
    order_number: str | None = None
    attempts: int
    error: str | None = None
    created_at: Timestamp | None = None
    sent_at: Timestamp | None = None
    delivered_at: Timestamp | None = None


class OutboxList(Public):
    """Messages, newest first."""

    messages: list[OutboxMessage]


class Accepted(Public):
    """A gateway's callback taken."""

    ok: bool


class DeskCallback(Public):
    """A callback on the desk: when it is due and whom to call."""

    callback_id: str
    order_id: str
    number: str
    channel: str
    replied_at: Timestamp
    due_at: Timestamp
    reporter_name: str | None = None
    phone: str | None = None
    description: str | None = None
    unit: str | None = None
    desk_reason: str | None = None
    last_reply: str | None = None


class DeskReply(Public):
    """A text that matched no open survey."""

    id: str
    phone: str | None = None
    body: str
    received_at: Timestamp


class CallbackDesk(Public):
    """The callback desk's work."""

    due: list[DeskCallback]
    replies: list[DeskReply]


class PublicStatus(Public):
    """A citizen's request as the public lookup tells it: nothing personal."""

    number: str
    status: str
    status_label: str
    received_at: Timestamp
    reply_by: Timestamp | None = None
    unit: str | None = None
    reply: str | None = None
