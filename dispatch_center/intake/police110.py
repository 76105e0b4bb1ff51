"""12345 ↔ 110 linkage: transfers both ways, acknowledgements, status and three-way calls.

Incoming messages arrive as the ``police110`` feed (``POST /api/v1/feeds/police110/events``
or ``/api/v1/feeds/police110/messages``); the adapter decides whether a transfer from 110 is
ours (first-receiver rule) and this module records the message and answers with an ACK.
Outgoing messages (our transfers, ACKs, status of cases 110 handed us, three-way call
records) are kept in ``linkage_messages`` as an outbox the 110 platform's connector drains
(``GET .../outbox?pending=true`` then ``POST .../outbox/sent``).

The messages name the caller: the platform's connector reads them whole, and so do the
seats that run the linkage (``core.roles.ROLES_HANDLING_110``); every other reader gets the
caller's name and number masked, numbers in the text redacted and no call recording
(:func:`message_for`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core.disclosure import redact_value
from dispatch_center.core.privacy import mask_name, mask_phone
from dispatch_center.core.roles import ROLES_HANDLING_110
from dispatch_center.errors import Invalid, NotFound
from dispatch_center.models import OrderAction
from dispatch_center.orders import service as order_service
from dispatch_center.store import channels as channel_store
from dispatch_center.store import orders as order_store
from dispatch_center.store.orders import TimelineEntry
from feeds import police110 as link
from feeds.base import Normalized, OrderDraft, PayloadError

Row = dict[str, Any]
# Who the police desk is on an order's timeline (feed-made orders are ``feed:<system>`` too).
SOURCE = "feed:police110"


def _msg_id() -> str:
    return f"12345-{uuid.uuid4().hex[:16]}"


def reads_callers(reader: Principal | None) -> bool:
    """Whether ``reader`` reads a 110 caller's name and number (``None``: the 110 platform's
    connector, which sent them). A wall-screen token never does, whoever issued it.

    Examples
    --------
    >>> from dispatch_center.core.roles import Role
    >>> reads_callers(Principal("d", Role.dispatcher)), reads_callers(Principal("l", Role.leader))
    (True, False)
    >>> reads_callers(Principal("w", Role.duty_officer, scope="wall"))
    False
    """
    if reader is None:
        return True
    return reader.role in ROLES_HANDLING_110 and reader.scope != "wall"


def message_for(message: Mapping[str, Any], reader: Principal | None) -> dict[str, Any]:
    """A linkage message as ``reader`` may read it: whole for those :func:`reads_callers`
    admits; else the caller's name and number masked, phone and ID-card numbers in any text
    redacted, and no link to a call recording.

    Examples
    --------
    >>> from dispatch_center.core.roles import Role
    >>> m = {"msgType": "TRANSFER", "body": {"bjr": "刘女士", "bjdh": "13881390021",
    ...      "bjnr": "噪音扰民，回电15912345678"}}
    >>> message_for(m, Principal("l", Role.leader))["body"]
    {'bjr': '刘**', 'bjdh': '138****0021', 'bjnr': '噪音扰民，回电159****5678'}
    """
    if reads_callers(reader):
        return dict(message)
    shown: dict[str, Any] = redact_value(message)
    body = shown.get("body")
    if isinstance(body, dict):
        if isinstance(body.get(link.CALLER_NAME), str):
            body[link.CALLER_NAME] = mask_name(body[link.CALLER_NAME])
        # Masked as a number whatever its shape (a local number without its area code is
        # no phone number to the text's redaction).
        phone = (message.get("body") or {}).get(link.CALLER_PHONE)
        if phone is not None:
            body[link.CALLER_PHONE] = mask_phone(str(phone))
        body.pop(link.RECORDING, None)
    return shown


def _view(r: Row, reader: Principal | None) -> Row:
    return {
        "id": str(r["id"]),
        "direction": r["direction"],
        "msg_id": r["msg_id"],
        "msg_type": r["msg_type"],
        "order_id": str(r["order_id"]) if r["order_id"] else None,
        "ref_no": r["ref_no"],
        "message": message_for(r["body"], reader),
        "created_at": r["created_at"].isoformat(),
        "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None,
        "acked": r["acked"],
    }


async def _outgoing(
    center: Center,
    message: dict[str, Any],
    *,
    order_id: int | None,
    ref_no: str | None,
    reader: Principal | None,
) -> Row:
    """Keep an outgoing message for the connector; the view of it ``reader`` may read."""
    async with center.db.connection() as conn:
        row = await channel_store.linkage_insert(
            conn,
            direction="out",
            msg_id=message["msgId"],
            msg_type=message["msgType"],
            body=message,
            order_id=order_id,
            ref_no=ref_no,
        )
    assert row is not None
    return _view(row, reader)


async def check_incoming(center: Center, payload: bytes) -> None:
    """Before the 202: an ACK or STATUS from 110 must be about something of ours.

    A STATUS names the order we transferred (``body.refNo`` = our order number), an ACK
    our outgoing message (``body.refMsgId``); naming neither is refused with the field, so
    the police desk hears of it at once rather than the message vanishing unlinked.
    """
    try:
        msg = link.parse_message(payload)
    except PayloadError:
        return  # the adapter refuses it next, with its own dead letter
    if msg.receiver != "12345" or msg.msg_type not in ("ACK", "STATUS"):
        return
    async with center.db.connection() as conn:
        if msg.msg_type == "STATUS":
            ref = str(msg.body["refNo"])
            if await channel_store.linkage_transferred(conn, ref) is None:
                raise PayloadError("body.refNo", f"no order {ref!r} was transferred to 110")
        else:
            ref = str(msg.body["refMsgId"])
            if await channel_store.linkage_sent(conn, ref) is None:
                raise PayloadError("body.refMsgId", f"12345 sent no message {ref!r}")


async def _our_order(conn: Any, msg: link.LinkMessage) -> Row | None:
    """The order an incoming ACK or STATUS is about (``None`` for other messages)."""
    if msg.receiver != "12345":
        return None
    if msg.msg_type == "STATUS":
        return await channel_store.linkage_transferred(conn, str(msg.body["refNo"]))
    if msg.msg_type == "ACK":
        sent = await channel_store.linkage_sent(conn, str(msg.body["refMsgId"]))
        if sent is not None and sent["order_id"] is not None:
            return await order_store.get_order(conn, int(sent["order_id"]))
    return None


def _timeline_entry(msg: link.LinkMessage, at: datetime) -> TimelineEntry:
    """What an ACK or STATUS from the police desk adds to our order's timeline."""
    b = msg.body
    if msg.msg_type == "STATUS":
        status = str(b["status"])
        note = f"110反馈：{status}" + (f"（{b['note']}）" if b.get("note") else "")
        data: dict[str, Any] = {"status": status, "ref_no": str(b["refNo"])}
    else:
        status = str(b["result"])
        label = "已接收" if status == "ACCEPTED" else "拒收"
        note = f"110回执：{label}" + (f"（{b['reason']}）" if b.get("reason") else "")
        data = {"result": status, "ref_msg_id": str(b["refMsgId"])}
    handler = b.get("handler") if msg.msg_type == "STATUS" else b.get("receiver")
    return TimelineEntry(
        actor=SOURCE,
        role="source",
        action=f"110_{msg.msg_type.lower()}",
        at=at,
        note=note,
        data={
            **data,
            "msg_id": msg.msg_id,
            "sent_at": msg.sent_at.isoformat(),
            "handler": str(handler) if handler else None,
        },
    )


async def after_incoming(
    center: Center, payload: bytes, items: Normalized, made: list[tuple[OrderDraft, Row | None]]
) -> None:
    """Processing hook of the ``police110`` feed: record the message, answer, link.

    An ACK or STATUS about one of our orders goes onto that order's timeline in the same
    transaction that records the message: its ``msg_id`` is unique, so a redelivered
    message records nothing and adds no second entry.
    """
    msg = link.parse_message(payload)
    order = next((view for _, view in made if view is not None), None)
    ref_no = (
        str(msg.body.get("jjdbh") or msg.body.get("refNo") or msg.body.get("gdbh") or "") or None
    )
    noted: Row | None = None
    async with center.db.connection() as conn, conn.transaction():
        about = await _our_order(conn, msg)
        order_id = int(order["id"]) if order else (int(about["id"]) if about else None)
        row = await channel_store.linkage_insert(
            conn,
            direction="in",
            msg_id=msg.msg_id,
            msg_type=msg.msg_type,
            body={
                "msgId": msg.msg_id,
                "msgType": msg.msg_type,
                "from": msg.sender,
                "to": msg.receiver,
                "sendTime": msg.sent_at.isoformat(),
                "body": dict(msg.body),
            },
            order_id=order_id,
            ref_no=ref_no,
        )
        if row is None:  # a repeat: answered and noted the first time
            return
        if msg.msg_type == "ACK":
            await channel_store.linkage_acked(
                conn, str(msg.body["refMsgId"]), str(msg.body["result"])
            )
        if about is not None:
            noted = await order_store.note_order(
                conn, int(about["id"]), _timeline_entry(msg, center.now())
            )
    await publish_changes(center, [noted])
    if msg.msg_type == "TRANSFER":
        accepted, reason = link.decide_transfer(msg)
        receiver = order["number"] if order else "12345"
        answer = link.ack(
            msg.msg_id,
            accepted and order is not None,
            msg_id=_msg_id(),
            sent_at=center.now(),
            receiver=receiver,
            reason=reason,
        )
        await _outgoing(
            center,
            answer,
            order_id=int(order["id"]) if order else None,
            ref_no=ref_no,
            reader=None,
        )


async def transfer_to_110(
    center: Center, who: Principal, order_id: str, reason: str
) -> dict[str, Any]:
    """Hand an order to the police desk: the lifecycle action and the outgoing TRANSFER."""
    view = await order_service.act(
        center, who, order_id, "transfer_to_110", OrderAction(note=reason)
    )
    full = await order_service.get_order(center, who, order_id, with_timeline=False)
    message = link.transfer_to_110(full, msg_id=_msg_id(), sent_at=center.now(), reason=reason)
    out = await _outgoing(
        center, message, order_id=int(view["id"]), ref_no=view["number"], reader=who
    )
    return {"order": view, "message": out}


async def send_status(
    center: Center, who: Principal, order_id: str, status: str, note: str
) -> dict[str, Any]:
    """Tell 110 how a case it handed us stands (已受理 / 处理中 / 已办结 / 已退回)."""
    oid = order_service.parse_order_id(order_id)
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, oid)
    if row is None:
        raise NotFound(f"no order {order_id!r}")
    if row["source"] != "police110" or not row["source_id"]:
        raise Invalid("this order did not come from 110", fields={"order_id": "not a 110 transfer"})
    try:
        message = link.status_update(
            row["source_id"],
            status,
            msg_id=_msg_id(),
            sent_at=center.now(),
            note=note,
            handler=who.username,
        )
    except ValueError as exc:
        raise Invalid(str(exc), fields={"status": str(exc)}) from exc
    return await _outgoing(center, message, order_id=oid, ref_no=row["source_id"], reader=who)


async def record_call(
    center: Center,
    who: Principal,
    *,
    call_id: str,
    start: datetime,
    end: datetime,
    ref_no: str,
    recording_url: str | None,
    order_id: str | None,
) -> dict[str, Any]:
    """Record a three-way call (citizen, 12345 seat, 110 operator) and tell 110."""
    if end < start:
        raise Invalid("the call ends before it starts", fields={"end": "before start"})
    oid = order_service.parse_order_id(order_id) if order_id else None
    message = link.three_way_call(
        msg_id=_msg_id(),
        call_id=call_id,
        start=start,
        end=end,
        ref_no=ref_no,
        recording_url=recording_url,
    )
    try:
        link.parse_message(message)  # the same checks as for 110's own records
    except PayloadError as exc:
        raise Invalid(str(exc), fields={exc.field: exc.message}) from exc
    return await _outgoing(center, message, order_id=oid, ref_no=ref_no, reader=who)


async def messages(
    center: Center,
    *,
    reader: Principal | None,
    direction: str | None = None,
    order_id: str | None = None,
    pending: bool = False,
    limit: int = 100,
) -> dict[str, Any]:
    """Linkage messages (the outbox with ``direction="out", pending=True``), as ``reader``
    may read them (``None``: the 110 platform's connector, see :func:`message_for`).
    """
    oid = order_service.parse_order_id(order_id) if order_id else None
    async with center.db.connection() as conn:
        rows = await channel_store.linkage_list(
            conn, direction=direction, order_id=oid, pending=pending, limit=limit
        )
    return {"messages": [_view(r, reader) for r in rows]}


async def mark_sent(center: Center, ids: list[str]) -> dict[str, Any]:
    """The connector handed these outgoing messages to the 110 platform."""
    numeric = [int(i) for i in ids if i.isdigit()]
    async with center.db.connection() as conn:
        n = await channel_store.linkage_mark_sent(conn, numeric, center.now())
    return {"marked": n}
