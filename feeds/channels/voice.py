"""Voice: call-centre (CTI) events plus the seat's form → an order draft.

CTI events are modelled on common call-centre platforms' JSON callbacks (``event``: RING,
ANSWER, HANGUP; ``callId``; ``caller``; ``agentId``; ``recordUrl``); it is not a vendor
specification. :class:`CallLog` folds a call's events into a :class:`Call` purely; the seat's
form (what the citizen said, classified) plus the call give the draft, with the recording
and call times kept in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from feeds.base import DraftCategory, DraftLocation, DraftReporter, OrderDraft, PayloadError
from feeds.payload import as_mapping, number, opt_text, text, time_field

EVENTS = ("RING", "ANSWER", "HANGUP")


@dataclass(frozen=True)
class Call:
    """What the CTI said about one call."""

    call_id: str
    caller: str
    rang_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agent_id: str | None = None
    recording_url: str | None = None

    @property
    def talk_seconds(self) -> float | None:
        """Seconds from answer to hang-up."""
        if self.answered_at and self.ended_at:
            return (self.ended_at - self.answered_at).total_seconds()
        return None


@dataclass
class CallLog:
    """Folds CTI events into calls; events may arrive out of order or twice.

    Examples
    --------
    >>> log = CallLog()
    >>> c = log.apply({"event": "RING", "callId": "C1", "caller": "13900000000",
    ...     "time": "2026-11-27 09:00:00"})
    >>> c = log.apply({"event": "HANGUP", "callId": "C1", "caller": "13900000000",
    ...     "time": "2026-11-27 09:04:00", "recordUrl": "http://cti/rec/C1.wav"})
    >>> c.recording_url
    'http://cti/rec/C1.wav'
    """

    calls: dict[str, Call] = field(default_factory=dict)

    def apply(self, payload: bytes | Mapping[str, Any]) -> Call:
        """Apply one CTI event and return the call as it now stands."""
        data = as_mapping(payload)
        event = text(data, "event")
        if event not in EVENTS:
            raise PayloadError("event", f"unknown CTI event {event!r}; expected one of {EVENTS}")
        cid = text(data, "callId")
        when = time_field(data, "time")
        call = self.calls.get(cid) or Call(cid, text(data, "caller"))
        if event == "RING":
            # A platform that routes before ringing names the seat already (screen pop).
            call = replace(call, rang_at=when, agent_id=opt_text(data, "agentId") or call.agent_id)
        elif event == "ANSWER":
            call = replace(
                call, answered_at=when, agent_id=opt_text(data, "agentId") or call.agent_id
            )
        else:
            call = replace(
                call, ended_at=when, recording_url=opt_text(data, "recordUrl") or call.recording_url
            )
        self.calls[cid] = call
        return call


def form_to_draft(call: Call, form: bytes | Mapping[str, Any]) -> OrderDraft:
    """The seat's form for ``call`` → an order draft (channel ``phone``).

    Form fields: ``type``, ``code``, ``urgency``, ``description``, ``address``, optional
    ``lon``/``lat``/``crs``, ``name``, ``phone`` (defaults to the caller number).

    Examples
    --------
    >>> d = form_to_draft(Call("C1", "13900000000"), {"type": "help", "code":
    ...     "flood.waterlogging", "urgency": "urgent", "description": "小区积水",
    ...     "address": "沙湾区嘉农镇"})
    >>> (d.channel, d.source_id, d.reporter.phone)
    ('phone', 'C1', '13900000000')
    """
    f = as_mapping(form)
    lon = f.get("lon")
    loc = None
    if lon is not None:
        crs = text(f, "crs", "wgs84")
        if crs not in ("wgs84", "gcj02"):
            raise PayloadError("crs", "must be wgs84 or gcj02")
        loc = DraftLocation(number(f, "lon", lo=-180, hi=180), number(f, "lat", lo=-90, hi=90), crs)  # type: ignore[arg-type]
    urgency = text(f, "urgency")
    if urgency not in ("consultation", "urgent", "general"):
        raise PayloadError("urgency", "must be consultation, urgent or general")
    rtype = text(f, "type")
    try:
        category = DraftCategory(rtype, opt_text(f, "code"))
    except ValueError as exc:
        raise PayloadError("type", str(exc)) from exc
    address = opt_text(f, "address")
    if loc is None and address is None:
        raise PayloadError("address", "give an address or lon/lat")
    return OrderDraft(
        channel="phone",
        category=category,
        urgency=urgency,
        description=text(f, "description"),
        location=loc,
        address=address,
        reporter=DraftReporter(
            opt_text(f, "name"),
            opt_text(f, "phone") or call.caller,
            # The call-taker ticks 保密 when the caller asks for it.
            confidential=(opt_text(f, "confidential") or "").lower() in ("1", "true", "on", "yes"),
        ),
        source="cti",
        source_id=call.call_id,
        received_at=call.answered_at or call.rang_at,
        extra={
            "recording_url": call.recording_url,
            "agent_id": call.agent_id,
            "talk_seconds": call.talk_seconds,
        },
    )
