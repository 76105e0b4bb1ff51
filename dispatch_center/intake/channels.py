"""The intake channels as ingest sources: voice (CTI events and the seat's form), e-mail,
WeChat, SMS and letters.

Each channel has a pure ``validate`` (run before the 202, so a bad payload is answered 4xx and
kept as a dead letter) and a ``decode`` run by the consumer, which may read and write the
channel's state (a call's CTI events, the parts of a long SMS) before giving order drafts. A
decoder is handed what it may use of the running intake (a ``payloads.ChannelContext``: the
center, and making an order, which WeChat does itself).
:class:`SmsSweep` releases long messages whose parts stopped arriving.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta
from typing import Any

import orjson

from dispatch_center.background import BackgroundLoop
from dispatch_center.center import Center
from dispatch_center.core import notices
from dispatch_center.intake import wechat as wechat_service
from dispatch_center.intake.payloads import ChannelContext, ChannelSource, CreateOrder, Decoded
from dispatch_center.messaging.replies import take_reply
from dispatch_center.store import channels as channel_store
from feeds.base import Normalized, OrderDraft, PayloadError
from feeds.channels import email as email_channel
from feeds.channels import letter as letter_channel
from feeds.channels import sms as sms_channel
from feeds.channels import voice as voice_channel
from feeds.channels import wechat as wechat_channel
from feeds.payload import as_mapping, text

Row = dict[str, Any]
SMS_TIMEOUT = timedelta(minutes=5)
SWEEP_EVERY_S = 60.0


# -- voice --------------------------------------------------------------------------------


def _voice_validate(payload: bytes, at: datetime) -> Normalized | None:
    voice_channel.CallLog().apply(payload)
    return None


async def _voice_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    call = voice_channel.CallLog().apply(payload)
    async with ctx.center.db.connection() as conn:
        await channel_store.voice_merge(
            conn,
            {
                "call_id": call.call_id,
                "caller": call.caller,
                "rang_at": call.rang_at,
                "answered_at": call.answered_at,
                "ended_at": call.ended_at,
                "agent_id": call.agent_id,
                "recording_url": call.recording_url,
            },
        )
    return Decoded([])


def _form_call(payload: bytes) -> tuple[str, dict[str, Any]]:
    data = dict(as_mapping(payload))
    return text(data, "callId"), data


def _voice_form_validate(payload: bytes, at: datetime) -> Normalized | None:
    call_id, form = _form_call(payload)
    voice_channel.form_to_draft(voice_channel.Call(call_id, str(form.get("caller") or "")), form)
    return None


async def _voice_form_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    call_id, form = _form_call(payload)
    async with ctx.center.db.connection() as conn:
        row = await channel_store.voice_call(conn, call_id)
    if row is None:  # the form came before the CTI events: the call is what the form says
        call = voice_channel.Call(
            call_id, str(form.get("caller") or form.get("phone") or ""), rang_at=at
        )
    else:
        call = voice_channel.Call(
            row["call_id"],
            row["caller"],
            row["rang_at"],
            row["answered_at"],
            row["ended_at"],
            row["agent_id"],
            row["recording_url"],
        )
    return Decoded([voice_channel.form_to_draft(call, form)])


# -- e-mail -------------------------------------------------------------------------------


def _email_validate(payload: bytes, at: datetime) -> Normalized | None:
    return [email_channel.email_to_draft(email_channel.parse_email(payload), received_at=at)]


async def _email_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    mail = email_channel.parse_email(payload)
    return Decoded([email_channel.email_to_draft(mail, received_at=at)])


# -- WeChat -------------------------------------------------------------------------------


def _wechat_items(payload: bytes) -> Normalized:
    msg = wechat_channel.parse_message(payload)
    if msg.msg_type == "event":  # subscribe, menu clicks: nothing a citizen asked for
        return []
    return [wechat_channel.to_draft([msg])]


def _wechat_validate(payload: bytes, at: datetime) -> Normalized | None:
    return _wechat_items(payload)


async def _wechat_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    # The order is made or folded into here (one conversation, one order): no drafts left.
    msg = wechat_channel.parse_message(payload)
    # "查询 LS…" asks where an order stands (answered by the passive reply): no order.
    if msg.msg_type == "text" and notices.status_query(msg.content) is not None:
        return Decoded([])
    if msg.msg_type != "event":
        await wechat_service.handle_message(ctx.center, msg, ctx.create_order)
    return Decoded([])


# -- SMS ----------------------------------------------------------------------------------


def _sms_validate(payload: bytes, at: datetime) -> Normalized | None:
    sms_channel.parse_part(payload)
    return None


def _assemble(rows: list[Row], *, complete: bool) -> sms_channel.SmsMessage:
    book = sms_channel.SmsAssembler()
    first = rows[0]
    parts = [
        sms_channel.SmsPart(
            r["msg_id"],
            r["sender"],
            r["dest"],
            r["content"],
            r["received_at"],
            r["ref"],
            r["total"],
            r["seq"],
        )
        for r in rows
    ]
    got = None
    for p in parts:
        got = book.add(p, now=first["first_seen"])
    if got is not None:
        return got
    late = book.expire(now=first["first_seen"] + book.timeout)
    assert late and not complete
    return late[0]


async def _sms_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    center = ctx.center
    part = sms_channel.parse_part(payload)
    if part.total == 1:
        # A reply to the callback survey ("1", "3 未解决") is an evaluation, not a request.
        if await take_reply(center, part.sender, part.content, part.received_at or at):
            return Decoded([])
        msg = sms_channel.SmsMessage(
            part.msg_id, part.sender, part.dest, part.content, part.received_at
        )
        return Decoded([sms_channel.sms_to_draft(msg)])
    key = {"sender": part.sender, "dest": part.dest, "ref": part.ref, "total": part.total}
    async with center.db.connection() as conn, conn.transaction():
        rows = await channel_store.sms_add_part(
            conn,
            {
                **key,
                "seq": part.seq,
                "msg_id": part.msg_id,
                "content": part.content,
                "received_at": part.received_at,
            },
        )
    if len(rows) < part.total:
        return Decoded([])  # the rest is on its way (or released with gaps by the sweep)
    msg = _assemble(rows, complete=True)

    async def release(made: list[tuple[OrderDraft, Row | None]]) -> None:
        if all(view is not None for _, view in made):
            async with center.db.connection() as conn:
                await channel_store.sms_release(conn, part.sender, part.dest, part.ref, part.total)

    return Decoded([sms_channel.sms_to_draft(msg)], after=release)


async def sms_sweep(center: Center, create: CreateOrder) -> int:
    """Release long messages whose parts stopped arriving (gaps marked); how many.

    ``create(system, draft)`` makes the order (the ingest's ``create_order``).
    """
    async with center.db.connection() as conn:
        rows = await channel_store.sms_stale(conn, center.now() - SMS_TIMEOUT)
    groups: dict[tuple[str, str, int, int], list[Row]] = {}
    for r in rows:
        groups.setdefault((r["sender"], r["dest"], r["ref"], r["total"]), []).append(r)
    for (sender, dest, ref, total), parts in groups.items():
        msg = _assemble(parts, complete=len(parts) == total)
        view = await create("sms", sms_channel.sms_to_draft(msg))
        if view is not None:
            async with center.db.connection() as conn:
                await channel_store.sms_release(conn, sender, dest, ref, total)
    return len(groups)


class SmsSweep(BackgroundLoop):
    """Every :data:`SWEEP_EVERY_S` seconds, release long messages whose parts stopped
    arriving (:func:`sms_sweep`).
    """

    name = "feeds-sweep"
    retry_after = SWEEP_EVERY_S

    def __init__(self, center: Center, create: CreateOrder) -> None:
        super().__init__()
        self.center = center
        self.create = create

    async def prepare(self) -> None:
        """Wait one period first: a part may still be on its way at start."""
        await asyncio.sleep(SWEEP_EVERY_S)

    async def step(self) -> float:
        """One sweep; the pause until the next."""
        await sms_sweep(self.center, self.create)
        return SWEEP_EVERY_S


# -- letters ------------------------------------------------------------------------------


def _letter_validate(payload: bytes, at: datetime) -> Normalized | None:
    return [letter_channel.letter_to_draft(payload)]


async def _letter_decode(ctx: ChannelContext, payload: bytes, at: datetime) -> Decoded:
    return Decoded([letter_channel.letter_to_draft(payload)])


CHANNELS: dict[str, ChannelSource] = {
    c.name: c
    for c in (
        ChannelSource("voice", _voice_validate, _voice_decode),
        ChannelSource("voice_form", _voice_form_validate, _voice_form_decode),
        ChannelSource("email", _email_validate, _email_decode),
        ChannelSource("wechat", _wechat_validate, _wechat_decode),
        ChannelSource("sms", _sms_validate, _sms_decode),
        ChannelSource("letter", _letter_validate, _letter_decode),
    )
}


def letter_payload(form: dict[str, Any], scan: bytes, filename: str, content_type: str) -> bytes:
    """The registration form plus the uploaded scan, as the letter channel's JSON."""
    body = {k: v for k, v in form.items() if v not in (None, "")}
    body["scan"] = {
        "filename": filename,
        "contentType": content_type,
        "contentBase64": base64.b64encode(scan).decode(),
    }
    if not body.get("registrationNo"):
        raise PayloadError("registrationNo", "required")
    return orjson.dumps(body)
