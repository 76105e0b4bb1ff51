"""12345 ↔ 110 linkage: messages both ways and the first-receiver rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from feeds import police110 as p
from feeds.base import PayloadError
from tests.feeds.conftest import fixture_bytes

T = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)  # 21:05 in Leshan


@pytest.mark.parametrize(
    ("text", "responsibility"),
    [
        ("楼上装修噪音扰民", "non_police"),
        ("小区停水两天了", "non_police"),
        ("有人持刀伤人", "police"),
        ("手机被偷了", "police"),
        ("小区门口有人吵架，垃圾扔了一地，还有人说手机被偷了", "unclear"),
        ("想问一下办事流程", "unclear"),
    ],
)
def test_assess(text: str, responsibility: str) -> None:
    assert p.assess(text) == responsibility


@pytest.mark.parametrize(
    ("first", "responsibility", "keeper"),
    [
        ("12345", "police", "110"),
        ("110", "police", "110"),
        ("12345", "non_police", "12345"),
        ("110", "non_police", "12345"),
        ("12345", "unclear", "12345"),
        ("110", "unclear", "110"),
    ],
)
def test_first_receiver_keeps_unclear_cases(first: str, responsibility: str, keeper: str) -> None:
    assert p.keeper(first, responsibility) == keeper  # type: ignore[arg-type]


def test_incoming_transfers_accept_or_refuse() -> None:
    noise = p.parse_message(fixture_bytes("police110", "transfer_noise.json"))
    unclear = p.parse_message(fixture_bytes("police110", "transfer_unclear.json"))
    assert p.decide_transfer(noise) == (True, "非警务类诉求，12345受理")
    accepted, reason = p.decide_transfer(unclear)
    assert accepted is False and "首接" in reason
    police = p.parse_message(
        {
            **json.loads(fixture_bytes("police110", "transfer_noise.json")),
            "body": {
                "jjdbh": "J9",
                "bjnr": "有人持刀抢劫",
                "fadz": "市中区",
                "bjsj": "2026-11-27 21:00:00",
            },
        }
    )
    assert p.decide_transfer(police) == (False, "属公安机关职责，请110处置")


def test_accepted_transfer_becomes_a_draft() -> None:
    d = p.transfer_to_draft(p.parse_message(fixture_bytes("police110", "transfer_noise.json")))
    assert (d.channel, d.source, d.source_id) == ("110", "police110", "J511100202611260417")
    assert d.category.code == "environment.noise" and d.extra["auto_classified"] is True
    assert d.reporter is not None and d.reporter.phone == "13881390021"
    assert "警情类别：非警务类-噪音扰民" in d.description
    assert p.transfer_to_draft(
        p.parse_message(fixture_bytes("police110", "transfer_noise.json")), code="housing.property"
    ).category.code == ("housing.property")


def test_outgoing_messages_round_trip_through_the_parser() -> None:
    order = {
        "number": "LS2026112700031",
        "description": "小区门口有人打架",
        "urgency": "urgent",
        "address": "市中区张公桥",
        "location": {"lon": 103.758, "lat": 29.565},
        "reporter": {"name": "刘女士", "phone": "13881390021"},
        "received_at": "2026-11-27T21:00:00+08:00",
    }
    out = p.transfer_to_110(order, msg_id="M1", sent_at=T, reason="属警情，转110")
    back = p.parse_message(out)
    assert (back.msg_type, back.sender, back.receiver) == ("TRANSFER", "12345", "110")
    assert back.body["gdbh"] == "LS2026112700031" and back.body["sfjj"] == 1
    assert back.body["bjsj"] == "2026-11-27 21:00:00" and back.body["jd"] == 103.758
    ack = p.parse_message(
        p.ack(
            "110M1",
            False,
            msg_id="A1",
            sent_at=T,
            receiver="坐席A1021",
            reason="职责不清，按首接负责由首接方110处置",
        )
    )
    assert ack.body["result"] == "REJECTED" and ack.sent_at == T
    st = p.parse_message(
        p.status_update(
            "J511100202611260417", "已办结", msg_id="S1", sent_at=T, note="已协调物业处理"
        )
    )
    assert st.body["status"] == "已办结"
    call = p.parse_message(
        p.three_way_call(
            msg_id="C1",
            call_id="3W1",
            start=T,
            end=T,
            ref_no="J1",
            recording_url="http://rec/3W1.wav",
        )
    )
    assert call.body["parties"] == ["市民", "12345坐席", "110接警员"]
    with pytest.raises(ValueError):
        p.status_update("J1", "瞎写", msg_id="S2", sent_at=T)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (
            {
                "msgId": "1",
                "msgType": "ACK",
                "from": "110",
                "to": "110",
                "sendTime": "2026-11-27 1:00",
                "body": {},
            },
            "from",
        ),
        (
            {
                "msgId": "1",
                "msgType": "ACK",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": {"refMsgId": "x", "result": "MAYBE"},
            },
            "body.result",
        ),
        (
            {
                "msgId": "1",
                "msgType": "ACK",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": {"refMsgId": "x", "result": "REJECTED"},
            },
            "body.reason",
        ),
        (
            {
                "msgId": "1",
                "msgType": "TRANSFER",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": {"bjnr": "x", "bjsj": "2026-11-27 1:00:00"},
            },
            "body.jjdbh",
        ),
        (
            {
                "msgId": "1",
                "msgType": "TRANSFER",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": {"jjdbh": "J", "bjnr": "x", "bjsj": "2026-11-27 01:00:00"},
            },
            "body.fadz",
        ),
        (
            {
                "msgId": "1",
                "msgType": "STATUS",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": {"refNo": "x", "status": "done"},
            },
            "body.status",
        ),
        (
            {
                "msgId": "1",
                "msgType": "STATUS",
                "from": "110",
                "to": "12345",
                "sendTime": "2026-11-27",
                "body": [],
            },
            "body",
        ),
    ],
)
def test_bad_messages_name_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(PayloadError) as err:
        p.parse_message(doc)
    assert err.value.field == field
