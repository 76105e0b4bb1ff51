"""The intake channels: voice (CTI + form), e-mail, WeChat, SMS and letters."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from dispatch_center.models import OrderCreate
from feeds.base import PayloadError
from feeds.channels import email as mail
from feeds.channels import letter, sms, voice, wechat
from feeds.payload import SHANGHAI
from tests.feeds.conftest import RECEIVED, fixture_bytes


# -- voice ----------------------------------------------------------------------------------
def test_cti_events_and_form_make_a_phone_order() -> None:
    log = voice.CallLog()
    events = json.loads(fixture_bytes("voice", "call_events.json"))
    for e in reversed(events):  # out of order still folds to the same call
        call = log.apply(e)
    assert call.talk_seconds == 212.0
    assert call.recording_url is not None and call.recording_url.endswith(".wav")
    d = voice.form_to_draft(call, fixture_bytes("voice", "agent_form.json"))
    assert (d.channel, d.source, d.source_id, d.urgency) == (
        "phone",
        "cti",
        "CTI2026071207120001",
        "urgent",
    )
    assert d.reporter is not None and d.reporter.phone == "13981366120"  # the caller number
    assert d.received_at == datetime(2026, 7, 12, 7, 12, 9, tzinfo=SHANGHAI)
    assert d.extra["recording_url"] == call.recording_url and d.extra["agent_id"] == "A1021"
    OrderCreate.model_validate(d.to_order_body())


def test_the_call_taker_marks_a_caller_confidential() -> None:
    form = json.loads(fixture_bytes("voice", "agent_form.json"))
    call = voice.Call("C", "13981366120")
    assert voice.form_to_draft(call, form).reporter == voice.DraftReporter(
        "马先生", "13981366120", confidential=False
    )
    d = voice.form_to_draft(call, {**form, "confidential": "on"})
    assert d.reporter is not None and d.reporter.confidential
    body = OrderCreate.model_validate(d.to_order_body())
    assert body.reporter is not None and body.reporter.confidential


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"type": "help", "urgency": "soon", "description": "x", "address": "y"}, "urgency"),
        ({"type": "gripe", "urgency": "general", "description": "x", "address": "y"}, "type"),
        ({"type": "help", "urgency": "general", "description": "x"}, "address"),
        (
            {"type": "help", "urgency": "general", "description": "x", "lon": 103.7, "lat": 99},
            "lat",
        ),
    ],
)
def test_bad_agent_form(form: dict[str, object], field: str) -> None:
    with pytest.raises(PayloadError) as err:
        voice.form_to_draft(voice.Call("C", "139"), form)
    assert err.value.field == field


def test_unknown_cti_event() -> None:
    with pytest.raises(PayloadError) as err:
        voice.CallLog().apply(
            {"event": "TRANSFERRED", "callId": "C", "caller": "1", "time": "2026-11-27 08:00:00"}
        )
    assert err.value.field == "event"


# -- e-mail ---------------------------------------------------------------------------------
def test_gbk_email_with_rfc2231_attachment() -> None:
    m = mail.parse_email(fixture_bytes("email", "gbk_streetlight_with_photo.eml"))
    assert (m.from_name, m.from_addr) == ("王丽", "wangli1988@163.com")
    assert m.subject == "峨眉山市名山南路路灯不亮"
    assert "七八盏路灯不亮" in m.text
    [(name, ctype, content)] = m.attachments
    assert (name, ctype) == ("现场照片.jpg", "image/jpeg") and content.startswith(b"\xff\xd8")
    d = mail.email_to_draft(m, received_at=RECEIVED)
    assert (d.category.code, d.address) == ("urban.streetlight", "峨眉山市名山南路")
    assert d.reporter is not None and d.reporter.phone == "13881300452"
    assert d.received_at == datetime(2026, 11, 26, 21, 14, 5, tzinfo=SHANGHAI)
    assert d.attachments[0].filename == "现场照片.jpg" and d.source_id == m.message_id
    OrderCreate.model_validate(d.to_order_body())


def test_gb18030_email_with_mislabelled_gb2312_filename() -> None:
    m = mail.parse_email(fixture_bytes("email", "gb18030_property_fee_with_pdf.eml"))
    assert m.from_name == "李堃"  # 堃 is outside GB2312
    assert m.subject == "夹江县小区物业乱收费"
    assert "𠮷" in m.text  # a four-byte GB18030 character
    [(name, ctype, content)] = m.attachments
    assert (name, ctype) == ("收费单.pdf", "application/pdf") and content.startswith(b"%PDF")
    d = mail.email_to_draft(m, received_at=RECEIVED)
    assert d.category.code == "housing.property" and d.address == "夹江县漹城镇"


def test_utf8_alternative_prefers_plain_text() -> None:
    m = mail.parse_email(fixture_bytes("email", "utf8_alternative_drainage.eml"))
    assert m.subject == "反映沙湾区下水道堵塞" and "<p>" not in m.text
    assert m.attachments == ()
    assert mail.email_to_draft(m, received_at=RECEIVED).category.code == "water.drainage"


def test_raw_8bit_gbk_headers_and_missing_message_id() -> None:
    raw = fixture_bytes("email", "raw8bit_gbk_no_message_id.eml")
    m = mail.parse_email(raw)
    assert m.subject == "五通桥区竹根镇停水三天" and m.from_name == "张三"
    assert m.message_id.startswith("<sha256:")
    assert mail.parse_email(raw).message_id == m.message_id  # stable, so retries dedupe
    d = mail.email_to_draft(m, received_at=RECEIVED)
    assert (d.category.code, d.address) == ("water.supply", "五通桥区竹根镇")


def test_email_without_sender_names_from() -> None:
    with pytest.raises(PayloadError) as err:
        mail.parse_email(b"Subject: hi\r\n\r\nbody")
    assert err.value.field == "From"


# -- WeChat ---------------------------------------------------------------------------------
def test_signature_pass_and_fail() -> None:
    token, ts, nonce = "ls12345token", "1795737612", "482937561"
    good = wechat.signature(token, ts, nonce)
    assert wechat.verify(token, ts, nonce, good)
    assert wechat.verify(token, ts, nonce, good.upper())
    assert not wechat.verify(token, ts, nonce, "0" * 40)
    assert not wechat.verify("other-token", ts, nonce, good)
    assert not wechat.verify(token, ts, "482937562", good)
    now = datetime.fromtimestamp(1795737612, tz=UTC)
    assert wechat.verify(token, ts, nonce, good, now=now + timedelta(seconds=60))
    assert not wechat.verify(token, ts, nonce, good, now=now + timedelta(hours=1))  # replayed


def test_wechat_messages_fold_into_one_draft() -> None:
    msgs = [
        wechat.parse_message(fixture_bytes("wechat", n))
        for n in ("text.xml", "location.xml", "image.xml")
    ]
    assert [m.msg_type for m in msgs] == ["text", "location", "image"]
    loc = msgs[1]
    assert (loc.lat, loc.lon) == (29.542306, 103.772338)  # Location_X is the latitude
    d = wechat.to_draft(msgs)
    assert d.location is not None
    assert (d.location.lon, d.location.lat, d.location.crs) == (103.772338, 29.542306, "gcj02")
    assert d.category.code == "flood.waterlogging" and d.source_id == "24605318833147286"
    assert d.attachments[0].url == "http://mmbiz.qpic.cn/mmbiz_jpg/ls12345/0"
    assert d.address == "四川省乐山市市中区凌云路乐山大佛景区东门"
    OrderCreate.model_validate(d.to_order_body())


@pytest.mark.parametrize(
    ("xml", "field"),
    [
        (
            "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>video</MsgType></xml>",
            "MsgType",
        ),
        (
            "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName>"
            "<CreateTime>1795737600</CreateTime><MsgType>location</MsgType><Location_X>129.5</Location_X><Location_Y>103.7</Location_Y>"
            "</xml>",
            "Location_X",
        ),
        (
            "<xml><ToUserName>g</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
            "<Content>x</Content></xml>",
            "FromUserName",
        ),
        (
            "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>soon"
            "</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "CreateTime",
        ),
        (  # 1970: a platform clock that was never set (and year 9999 would overflow)
            "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1"
            "</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "CreateTime",
        ),
        (
            "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>"
            "99999999999999999999</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "CreateTime",
        ),
    ],
)
def test_bad_wechat_messages(xml: str, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        wechat.parse_message(xml)
    assert err.value.field == field


def test_messages_of_two_users_are_not_one_order() -> None:
    a = wechat.parse_message(fixture_bytes("wechat", "text.xml"))
    b = wechat.WeChatMessage("9", "text", "someone-else", "gh", a.created_at, "hi")
    with pytest.raises(PayloadError):
        wechat.to_draft([a, b])


# -- SMS ------------------------------------------------------------------------------------
PARTS = json.loads(fixture_bytes("sms", "long_message_parts.json"))
WHOLE = "".join(p["content"] for p in PARTS)
T0 = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)])
def test_reassembly_in_any_order(order: tuple[int, int, int]) -> None:
    a = sms.SmsAssembler()
    results = [a.add(sms.parse_part(PARTS[i]), now=T0) for i in order]
    assert results[:2] == [None, None]
    done = results[2]
    assert done is not None and done.text == WHOLE and done.complete and done.parts == 3
    assert a.pending == {}


def test_duplicate_parts_are_ignored() -> None:
    a = sms.SmsAssembler()
    assert a.add(sms.parse_part(PARTS[0]), now=T0) is None
    assert a.add(sms.parse_part(PARTS[0]), now=T0) is None
    assert a.add(sms.parse_part(PARTS[1]), now=T0) is None
    assert a.add(sms.parse_part(PARTS[2]), now=T0).text == WHOLE  # type: ignore[union-attr]


def test_missing_part_is_released_after_the_timeout_with_the_gap_marked() -> None:
    a = sms.SmsAssembler(timeout=timedelta(minutes=5))
    a.add(sms.parse_part(PARTS[0]), now=T0)
    a.add(sms.parse_part(PARTS[2]), now=T0 + timedelta(seconds=20))
    assert a.expire(now=T0 + timedelta(minutes=4)) == []
    [late] = a.expire(now=T0 + timedelta(minutes=5))
    assert not late.complete and late.parts == 2
    assert late.text == PARTS[0]["content"] + "[…缺第2段…]" + PARTS[2]["content"]
    assert a.pending == {}
    d = sms.sms_to_draft(late)
    assert d.extra["complete"] is False


def test_sms_draft() -> None:
    a = sms.SmsAssembler()
    msg = None
    for p in PARTS:
        msg = a.add(sms.parse_part(p), now=T0) or msg
    assert msg is not None
    d = sms.sms_to_draft(msg)
    assert (d.channel, d.category.code, d.address) == ("sms", "flood.landslide", "沙湾区嘉农镇")
    assert d.reporter is not None and d.reporter.phone == "13890631177"
    OrderCreate.model_validate(d.to_order_body())


def test_short_sms_is_immediate_and_bad_udh_names_the_field() -> None:
    one = {
        "msgId": "s1",
        "mobile": "13900000000",
        "content": "路灯不亮",
        "recvTime": "2026-11-27 20:00:00",
    }
    got = sms.SmsAssembler().add(sms.parse_part(one), now=T0)
    assert got is not None and got.text == "路灯不亮"
    with pytest.raises(PayloadError) as err:
        sms.parse_part({**one, "udh": {"ref": 1, "total": 2, "seq": 3}})
    assert err.value.field == "udh.seq"


# -- letters --------------------------------------------------------------------------------
def test_registered_letter_keeps_its_scan() -> None:
    d = letter.letter_to_draft(fixture_bytes("letter", "registered_letter.json"))
    assert (d.channel, d.source_id, d.category.code) == (
        "letter",
        "XJ20261127003",
        "water.drainage",
    )
    [scan] = d.attachments
    assert scan.content_type == "application/pdf" and scan.content.startswith(b"%PDF-1.4")
    assert d.address == "犍为县玉津镇" and d.extra["postmark"] == "2026-11-24"
    OrderCreate.model_validate(d.to_order_body())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scan": None}, "scan"),
        (
            {
                "scan": {
                    "filename": "a.doc",
                    "contentType": "application/msword",
                    "contentBase64": "AAAA",
                }
            },
            "scan.contentType",
        ),
        (
            {
                "scan": {
                    "filename": "a.pdf",
                    "contentType": "application/pdf",
                    "contentBase64": "not base64!",
                }
            },
            "scan.contentBase64",
        ),
        ({"summary": ""}, "summary"),
        ({"type": "gripe"}, "type"),
    ],
)
def test_bad_letter(change: dict[str, object], field: str) -> None:
    doc = {**json.loads(fixture_bytes("letter", "registered_letter.json")), **change}
    with pytest.raises(PayloadError) as err:
        letter.letter_to_draft(doc)
    assert err.value.field == field


def test_base64_of_fixture_is_real() -> None:
    doc = json.loads(fixture_bytes("letter", "registered_letter.json"))
    assert base64.b64decode(doc["scan"]["contentBase64"]).endswith(b"%%EOF\n")
