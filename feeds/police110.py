"""12345 ↔ 110 linkage (12345与110高效对接联动): messages both ways, and who keeps a case.

The message format is modelled on provincial 110/12345 linkage platforms (a JSON envelope,
pinyin field names for the 接警单); it is not a vendor specification. Envelope::

    {"msgId": "...", "msgType": "TRANSFER|ACK|STATUS|CALL", "from": "110|12345",
     "to": "12345|110", "sendTime": "2026-11-27 21:05:00", "body": {...}}

- ``TRANSFER`` body (a case handed over): ``jjdbh`` 接警单编号 (or ``gdbh`` order number when
  12345 sends), ``bjr``/``bjdh`` caller and phone, ``bjnr`` content, ``fadz`` address,
  ``jd``/``wd`` WGS-84, ``bjsj`` time received, ``jqlb`` 警情类别, ``zjyy`` why transferred,
  ``sfjj`` urgent 0/1.
- ``ACK`` body: ``refMsgId``, ``result`` ACCEPTED|REJECTED, ``reason``, ``receiver``.
- ``STATUS`` body: ``refNo`` (the other side's case number), ``status`` 已受理|处理中|已办结|已退回,
  ``note``, ``handler``.
- ``CALL`` body (three-way call 三方通话): ``callId``, ``startTime``, ``endTime``, ``parties``,
  ``recordingUrl``, ``refNo``.

The first-receiver rule (首接负责): when it is unclear whether a case is a police matter,
whoever received it first keeps it; a transfer is only for cases clearly the other side's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from feeds.base import DraftCategory, DraftLocation, DraftReporter, OrderDraft, PayloadError
from feeds.channels.triage import guess_category
from feeds.payload import (
    SHANGHAI,
    as_mapping,
    get,
    number,
    opt_point,
    opt_text,
    text,
    time_field,
)

Desk = Literal["110", "12345"]
Responsibility = Literal["police", "non_police", "unclear"]
MSG_TYPES = ("TRANSFER", "ACK", "STATUS", "CALL")
STATUSES = ("已受理", "处理中", "已办结", "已退回")

#: The caller in a TRANSFER body: their name and their number.
CALLER_NAME, CALLER_PHONE = "bjr", "bjdh"
#: A CALL body's link to the recorded conversation with the citizen.
RECORDING = "recordingUrl"

POLICE_WORDS = (
    "打架",
    "斗殴",
    "盗窃",
    "被偷",
    "抢劫",
    "诈骗",
    "持刀",
    "伤人",
    "吸毒",
    "赌博",
    "失踪",
    "走失",
    "拐",
    "家暴",
    "醉驾",
    "肇事逃逸",
    "报警",
    "威胁",
)
NON_POLICE_WORDS = (
    "噪音",
    "扰民",
    "停水",
    "停电",
    "燃气",
    "物业",
    "垃圾",
    "占道",
    "欠薪",
    "工资",
    "路灯",
    "井盖",
    "积水",
    "漏水",
    "宠物",
    "违建",
    "装修",
    "退款",
)


@dataclass(frozen=True)
class LinkMessage:
    """Any linkage message; ``body`` holds the type-specific fields (checked by the parser)."""

    msg_id: str
    msg_type: str
    sender: Desk
    receiver: Desk
    sent_at: datetime
    body: Mapping[str, Any]


def assess(text_: str) -> Responsibility:
    """Police matter, non-police matter, or unclear, from what the caller said.

    Examples
    --------
    >>> assess("楼上装修噪音扰民"), assess("有人持刀伤人"), assess("邻居吵架，还说要威胁我，也很吵")
    ('non_police', 'police', 'police')
    >>> assess("家门口有人吵架，垃圾扔了一地，有人报警说被偷了")
    'unclear'
    """
    police = any(w in text_ for w in POLICE_WORDS)
    civil = any(w in text_ for w in NON_POLICE_WORDS)
    if police and not civil:
        return "police"
    if civil and not police:
        return "non_police"
    return "unclear"


def keeper(first_receiver: Desk, responsibility: Responsibility) -> Desk:
    """Who handles the case: the responsible desk, or, when unclear, the first receiver.

    Examples
    --------
    >>> keeper("12345", "police"), keeper("12345", "unclear"), keeper("110", "unclear")
    ('110', '12345', '110')
    """
    if responsibility == "police":
        return "110"
    if responsibility == "non_police":
        return "12345"
    return first_receiver


def decide_transfer(message: LinkMessage) -> tuple[bool, str]:
    """Whether 12345 accepts a TRANSFER from 110, and why (the ACK's result and reason).

    A case clearly a police matter is refused; an unclear case is refused too, because the
    first receiver (110) keeps it.

    Examples
    --------
    >>> m = parse_message({"msgId": "M1", "msgType": "TRANSFER", "from": "110", "to": "12345",
    ...     "sendTime": "2026-11-27 21:00:00", "body": {"jjdbh": "J1", "bjnr": "楼上噪音扰民",
    ...     "fadz": "市中区", "bjsj": "2026-11-27 20:58:00"}})
    >>> decide_transfer(m)
    (True, '非警务类诉求，12345受理')
    """
    who = keeper("110", assess(str(message.body.get("bjnr", ""))))
    if who == "12345":
        return True, "非警务类诉求，12345受理"
    if assess(str(message.body.get("bjnr", ""))) == "police":
        return False, "属公安机关职责，请110处置"
    return False, "职责不清，按首接负责由首接方110处置"


def _check_body(msg_type: str, body: Mapping[str, Any]) -> None:
    p = "body."
    if msg_type == "TRANSFER":
        if not (body.get("jjdbh") or body.get("gdbh")):
            raise PayloadError("body.jjdbh", "a transfer needs the case number (jjdbh or gdbh)")
        text(body, "bjnr", prefix=p)
        time_field(body, "bjsj", prefix=p)
        if not body.get("fadz") and opt_point(body, "jd", "wd", "wgs84", prefix=p) is None:
            raise PayloadError("body.fadz", "a transfer needs an address or jd/wd")
    elif msg_type == "ACK":
        text(body, "refMsgId", prefix=p)
        if text(body, "result", prefix=p) not in ("ACCEPTED", "REJECTED"):
            raise PayloadError("body.result", "must be ACCEPTED or REJECTED")
        if body["result"] == "REJECTED":
            text(body, "reason", prefix=p)
    elif msg_type == "STATUS":
        text(body, "refNo", prefix=p)
        if text(body, "status", prefix=p) not in STATUSES:
            raise PayloadError("body.status", f"must be one of {STATUSES}")
    elif msg_type == "CALL":
        text(body, "callId", prefix=p)
        start = time_field(body, "startTime", prefix=p)
        end = time_field(body, "endTime", prefix=p)
        if end < start:
            raise PayloadError("body.endTime", "the call ends before it starts")
        parties = get(body, "parties", prefix=p)
        if not isinstance(parties, list) or len(parties) != 3:
            raise PayloadError("body.parties", "a three-way call has exactly three parties")


def parse_message(payload: bytes | Mapping[str, Any]) -> LinkMessage:
    """Parse and check a linkage message in either direction.

    Examples
    --------
    >>> parse_message({"msgId": "A1", "msgType": "ACK", "from": "110", "to": "12345",
    ...     "sendTime": "2026-11-27 21:01:00", "body": {"refMsgId": "M1",
    ...     "result": "ACCEPTED"}}).msg_type
    'ACK'
    """
    data = as_mapping(payload)
    msg_type = text(data, "msgType")
    if msg_type not in MSG_TYPES:
        raise PayloadError("msgType", f"unknown message type {msg_type!r}; expected {MSG_TYPES}")
    sender, receiver = text(data, "from"), text(data, "to")
    if {sender, receiver} != {"110", "12345"}:
        raise PayloadError("from", "a linkage message goes between 110 and 12345")
    body = get(data, "body")
    if not isinstance(body, Mapping):
        raise PayloadError("body", "expected an object")
    _check_body(msg_type, body)
    return LinkMessage(
        text(data, "msgId"),
        msg_type,
        cast(Desk, sender),
        cast(Desk, receiver),
        time_field(data, "sendTime"),
        body,
    )


def transfer_to_draft(message: LinkMessage, *, code: str | None = None) -> OrderDraft:
    """An accepted TRANSFER from 110 → an order draft (channel ``110``).

    ``code`` is the taxonomy code the seat chose; without it, a first guess from the text
    (``extra["auto_classified"]`` says so).
    """
    b = message.body
    pt = opt_point(b, "jd", "wd", "wgs84", prefix="body.")
    name, phone = opt_text(b, "bjr"), opt_text(b, "bjdh")
    category = opt_text(b, "jqlb")
    desc = f"【110转办】{text(b, 'bjnr')}"
    if category:
        desc += f"（警情类别：{category}）"
    rtype, guessed = guess_category(text(b, "bjnr"))
    return OrderDraft(
        channel="110",
        category=DraftCategory(rtype, code or guessed),
        urgency="urgent" if number(b, "sfjj", 0, lo=0, hi=1) == 1 else "general",
        description=desc,
        location=DraftLocation(pt.lon, pt.lat, "wgs84") if pt else None,
        address=opt_text(b, "fadz") or (None if pt else "乐山市"),
        reporter=DraftReporter(name, phone) if (name or phone) else None,
        source="police110",
        source_id=text(b, "jjdbh", prefix="body."),
        received_at=time_field(b, "bjsj", prefix="body."),
        extra={
            "transfer_msg_id": message.msg_id,
            "reason": opt_text(b, "zjyy"),
            "auto_classified": code is None,
        },
    )


def _envelope(
    msg_id: str, msg_type: str, sent_at: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    return {
        "msgId": msg_id,
        "msgType": msg_type,
        "from": "12345",
        "to": "110",
        "sendTime": sent_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "body": body,
    }


def transfer_to_110(
    order: Mapping[str, Any], *, msg_id: str, sent_at: datetime, reason: str
) -> dict[str, Any]:
    """The outgoing TRANSFER of an order (``number``, ``description``, ``location``, ...) to 110.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> m = transfer_to_110({"number": "LS2026112700012", "description": "有人打架",
    ...     "address": "市中区张公桥", "received_at": "2026-11-27T21:00:00+08:00"},
    ...     msg_id="M9", sent_at=datetime(2026, 11, 27, 13, 5, tzinfo=timezone.utc), reason="警情")
    >>> (m["to"], m["body"]["gdbh"], m["sendTime"])
    ('110', 'LS2026112700012', '2026-11-27 21:05:00')
    """
    loc = order.get("location") or {}
    reporter = order.get("reporter") or {}
    received = order.get("received_at")
    received_dt = datetime.fromisoformat(received) if isinstance(received, str) else received
    body: dict[str, Any] = {
        "gdbh": str(order["number"]),
        "bjnr": str(order["description"]),
        "fadz": order.get("address") or "",
        "bjr": reporter.get("name"),
        "bjdh": reporter.get("phone"),
        "bjsj": (received_dt or sent_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "zjyy": reason,
        "sfjj": 1 if order.get("urgency") == "urgent" else 0,
    }
    if loc.get("lon") is not None:
        body["jd"], body["wd"] = loc["lon"], loc["lat"]
    return _envelope(msg_id, "TRANSFER", sent_at, body)


def ack(
    ref_msg_id: str,
    accepted: bool,
    *,
    msg_id: str,
    sent_at: datetime,
    receiver: str,
    reason: str = "",
) -> dict[str, Any]:
    """The outgoing ACK of a message from 110."""
    return _envelope(
        msg_id,
        "ACK",
        sent_at,
        {
            "refMsgId": ref_msg_id,
            "result": "ACCEPTED" if accepted else "REJECTED",
            "reason": reason,
            "receiver": receiver,
        },
    )


def status_update(
    ref_no: str, status: str, *, msg_id: str, sent_at: datetime, note: str = "", handler: str = ""
) -> dict[str, Any]:
    """The outgoing STATUS of a case 110 transferred (``ref_no`` is its 接警单编号)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    return _envelope(
        msg_id,
        "STATUS",
        sent_at,
        {"refNo": ref_no, "status": status, "note": note, "handler": handler},
    )


def three_way_call(
    *,
    msg_id: str,
    call_id: str,
    start: datetime,
    end: datetime,
    ref_no: str,
    recording_url: str | None,
    parties: tuple[str, str, str] = ("市民", "12345坐席", "110接警员"),
) -> dict[str, Any]:
    """The record of a three-way call (citizen, 12345 seat, 110 operator)."""
    fmt = "%Y-%m-%d %H:%M:%S"
    return _envelope(
        msg_id,
        "CALL",
        end,
        {
            "callId": call_id,
            "startTime": start.astimezone(SHANGHAI).strftime(fmt),
            "endTime": end.astimezone(SHANGHAI).strftime(fmt),
            "parties": list(parties),
            "recordingUrl": recording_url,
            "refNo": ref_no,
        },
    )
