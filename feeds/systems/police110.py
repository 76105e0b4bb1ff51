"""110报警服务台 — The police 110 desk, two-way linkage (see ``feeds.police110``).

Incoming messages from 110: a TRANSFER of a non-police case becomes an order draft (and a
linkage event); ACK, STATUS and CALL messages become linkage events the order timeline
picks up. The message format is modelled on provincial linkage platforms, not a vendor
specification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.police110 import assess, decide_transfer, parse_message, transfer_to_draft
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="police110",
    name_zh="110报警服务台",
    name_en="Police 110 desk linkage",
    owner="市公安局指挥中心",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="linkage",
)

#: What of a linkage message may leave the center (the wall, the live layers): the case
#: number, the place, the police category and the decision. Never the caller (``bjr``,
#: ``bjdh``), what they said (``bjnr``: the title carries it, redacted), the position they
#: called from or a call recording; the seats that run the linkage read those in
#: ``GET /api/v1/feeds/police110/messages``.
PUBLIC_VALUES: PublicValues = {
    "police110.transfer": frozenset(
        {
            "msg_type",
            "from",
            "to",
            "jjdbh",
            "gdbh",
            "fadz",
            "bjsj",
            "jqlb",
            "zjyy",
            "sfjj",
            "accept",
            "reason",
            "responsibility",
        }
    ),
    "police110.ack": frozenset({"msg_type", "from", "to", "refMsgId", "result", "reason"}),
    "police110.status": frozenset({"msg_type", "from", "to", "refNo", "status", "note", "handler"}),
    "police110.call": frozenset(
        {"msg_type", "from", "to", "callId", "refNo", "startTime", "endTime", "parties"}
    ),
}

KINDS = {
    "TRANSFER": "police110.transfer",
    "ACK": "police110.ack",
    "STATUS": "police110.status",
    "CALL": "police110.call",
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A linkage message → a ``police110.*`` event; a transfer 12345 accepts → also a draft.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> out = normalize({"msgId": "M1", "msgType": "TRANSFER", "from": "110", "to": "12345",
    ...     "sendTime": "2026-11-27 21:00:00", "body": {"jjdbh": "J1", "bjnr": "楼上噪音扰民",
    ...     "fadz": "市中区", "bjsj": "2026-11-27 20:58:00"}},
    ...     received_at=datetime.now(timezone.utc))
    >>> [type(x).__name__ for x in out]
    ['FeedEvent', 'OrderDraft']
    """
    msg = parse_message(payload)
    values: dict[str, Any] = {
        "msg_type": msg.msg_type,
        "from": msg.sender,
        "to": msg.receiver,
        **{k: v for k, v in msg.body.items() if v is not None},
    }
    title = {"TRANSFER": "110转办", "ACK": "110回执", "STATUS": "110状态", "CALL": "三方通话"}[
        msg.msg_type
    ]
    out: Normalized = []
    accept = False
    if msg.msg_type == "TRANSFER":
        accept, reason = decide_transfer(msg)
        values.update(
            responsibility=assess(str(msg.body.get("bjnr", ""))), accept=accept, reason=reason
        )
        title += f"：{msg.body.get('bjnr')}"
    out.append(
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=msg.msg_id,
            kind=KINDS[msg.msg_type],
            occurred_at=msg.sent_at,
            layer=Layer.linkage,
            severity=Severity.minor,
            title=title,
            values=values,
        )
    )
    if accept:
        out.append(transfer_to_draft(msg))
    return out


CASES = (
    "楼上装修噪音扰民，已经晚上十一点了",
    "小区停水两天了物业不管",
    "饭店油烟扰民，窗户都不能开",
    "路灯不亮，井盖也丢了，很危险",
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A 110 transfer of a non-police case.

    No STATUS: 110 reports only on orders we transferred, and the simulator does not know
    their numbers; a made-up one is refused (422) and would fill the dead letters.
    """
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p, 300)
    return [
        {
            "msgId": ctx.ident("110M"),
            "msgType": "TRANSFER",
            "from": "110",
            "to": "12345",
            "sendTime": ctx.local(),
            "body": {
                "jjdbh": ctx.ident("J5111"),
                "bjr": ctx.person(),
                "bjdh": ctx.phone(),
                "bjnr": ctx.rng.choice(CASES),
                "fadz": p.name,
                "jd": lon,
                "wd": lat,
                "bjsj": ctx.local(180),
                "jqlb": "非警务类",
                "zjyy": "非警务警情，转12345办理",
                "sfjj": 0,
            },
        }
    ]
