"""Feeds and intake: connected systems and their health, live layers, push intake, CAP,
dead letters and the 12345 ↔ 110 linkage.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dispatch_center.api.schemas.common import Json, Number, Public, Timestamp
from dispatch_center.api.schemas.orders import OrderPublic


class FeedPublic(Public):
    """A connected system: what it is and how it is doing (merged over every worker)."""

    system: str = Field(examples=["hydrology"])
    name_zh: str
    name_en: str
    owner: str
    mode: str = Field(examples=["poll"])
    interval_s: Number | None
    datum: str
    source_kind: str
    status: str = Field(examples=["up"], description="up, degraded, down or unknown")
    last_seen: Timestamp | None
    last_seen_at: Timestamp | None
    lag_s: Number | None
    error_rate: Number
    consecutive_failures: int
    last_error: str | None
    push_url: str
    polled: bool
    workers: int


class IntakeStats(Public):
    """Queue and processing counters of the worker that answered."""

    backend: str = Field(examples=["postgres-queue"])
    queued: int
    capacity: int
    processed_payloads: int
    events_new: int
    events_duplicate: int
    orders_created: int
    orders_existing: int
    mode_triggers: int
    dead_letters: int
    errors: int


class FeedList(Public):
    """Every connected system with its health, and the intake's counters."""

    feeds: list[FeedPublic]
    intake: IntakeStats | None = None


class LayerItemPublic(Public):
    """The newest state of one thing on a live layer (a gauge, a camera alarm, a warning);
    ``values`` is the source's own reading, ``area`` a GeoJSON geometry when it has one.
    """

    system: str
    key: str
    layer: str = Field(examples=["gauges"])
    kind: str = Field(examples=["gauge.reading"])
    at: Timestamp
    severity: str | None
    title: str | None
    lon: float | None
    lat: float | None
    area: Json | None
    values: Json | None


class LayersPublic(Public):
    """The live layers by name (gauges, rain, crowds, cameras, warnings, ...)."""

    layers: dict[str, list[LayerItemPublic]]


class AcceptedPublic(Public):
    """A payload taken in: committed before this answer (``intake_id`` names its row in the
    intake queue).
    """

    accepted: bool
    system: str
    intake_id: int | None = None
    dead_letter_id: str | None = None


class ReplayPublic(AcceptedPublic):
    """A dead letter put through the intake again."""


class DeadLetterPublic(Public):
    """A payload that could not be understood, kept whole."""

    id: str
    system: str
    received_at: Timestamp
    content_type: str | None
    error: str
    field: str | None
    size: int
    payload: str
    payload_encoding: str = Field(examples=["utf-8"], description="utf-8 or base64")
    replayed_at: Timestamp | None
    replay_result: str | None


class DeadLetterList(Public):
    """Dead letters, newest first; pass ``next_before_id`` for the next page."""

    dead_letters: list[DeadLetterPublic]
    next_before_id: str | None


class CapReceipt(Public):
    """A CAP message taken in (``status: accepted``) or seen before (``duplicate``)."""

    id: str
    identifier: str
    sender: str
    msg_type: str = Field(examples=["Alert"])
    chain_key: str
    status: str = Field(examples=["accepted"])
    state: str | None = None
    intake_id: int | None = None


class CapAlertPublic(Public):
    """One CAP message; ``area`` is a GeoJSON geometry with the area's ``desc``."""

    id: str
    sender: str
    chain_key: str
    msg_type: str
    status: str
    sent: Timestamp
    severity: str | None
    event: str | None
    headline: str | None
    expires: Timestamp | None
    area: Json | None
    state: str | None = Field(default=None, examples=["current"])


class CapAlertList(Public):
    """CAP warnings in force."""

    alerts: list[CapAlertPublic]


class CapChainPublic(CapAlertPublic):
    """One CAP message with every version of its chain (Alert, Updates, Cancel)."""

    chain: list[CapAlertPublic]


class LinkageMessagePublic(Public):
    """A message to or from the 110 platform (``message`` is its own document)."""

    id: str
    direction: str = Field(examples=["out"])
    msg_id: str
    msg_type: str = Field(examples=["TRANSFER"])
    order_id: str | None
    ref_no: str | None
    message: dict[str, Any]
    created_at: Timestamp
    sent_at: Timestamp | None
    acked: str | bool | None


class LinkageMessageList(Public):
    """Linkage messages, newest first."""

    messages: list[LinkageMessagePublic]


class TransferPublic(Public):
    """An order handed to 110 and the TRANSFER message sent."""

    order: OrderPublic
    message: LinkageMessagePublic


class MarkedSent(Public):
    """How many outgoing messages were marked handed over."""

    marked: int
