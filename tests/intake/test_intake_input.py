"""Hostile or odd client input to the intake and feed routes: always a 4xx naming the field,
never a 500 (issue 15, Low)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch_center.accounts.signatures import sign, signed_headers
from feeds.channels import wechat_crypto
from feeds.channels.wechat import signature as wechat_signature
from tests.api.conftest import LiveCenter
from tests.intake.conftest import (
    DEMO_KEY,
    HMAC_SECRET,
    WECHAT_TOKEN,
    drain,
    fixture_bytes,
    source,
    wechat_answered,
    wechat_post,
    wechat_request,
)
from tests.intake.conftest import _start as start_center
from tests.intake.test_ingest_http import sql

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- the 110 connector's "handed over" report ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"[]", "body"),
        (b"not json", "body"),
        (b'{"ids": 5}', "ids"),
        (b'{"ids": [["x"]]}', "ids.0"),
        (b'{"ids": "1"}', "ids"),
    ],
)
def test_outbox_sent_bad_body_is_422_naming_the_field(
    feeds_live: LiveCenter, raw: bytes, field: str
) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/police110/outbox/sent", content=raw)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()


def test_outbox_sent_good_body_still_marks(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/police110/outbox/sent", json={"ids": []})
    assert r.status_code == 200, r.text
    assert r.json() == {"marked": 0}


# -- a NUL character in a payload ---------------------------------------------------------


def test_nul_in_a_feed_payload_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = f"NUL-{time.time_ns()}"
    doc["cameraName"] = "嘉定中路\x00白塔街"
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=json.dumps(doc).encode())
    assert r.status_code == 422, r.text
    assert "cameraName" in r.json()["error"]["fields"], r.json()


def test_nul_in_the_seat_form_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    form = {
        **json.loads(fixture_bytes("voice", "agent_form.json")),
        "callId": f"NUL-{time.time_ns()}",
        "description": "地下车库进水\x00请求排水",
    }
    with feeds_live.client("dispatcher") as c:
        r = c.post("/api/v1/intake/voice/form", json=form)
    assert r.status_code == 422, r.text
    assert "description" in r.json()["error"]["fields"], r.json()


def test_nul_in_a_letter_form_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("letter", "registered_letter.json"))
    scan = base64.b64decode(doc["scan"]["contentBase64"])
    form = {k: v for k, v in doc.items() if isinstance(v, str)}
    form["registrationNo"] = f"NUL{time.time_ns()}"
    form["summary"] = "小区物业\x00乱收费"
    with feeds_live.client("dispatcher") as c:
        r = c.post(
            "/api/v1/intake/letters",
            data=form,
            files={"scan": (doc["scan"]["filename"], scan, doc["scan"]["contentType"])},
        )
    assert r.status_code == 422, r.text
    assert "summary" in r.json()["error"]["fields"], r.json()


# -- received_at in intake payloads ------------------------------------------------------


def _letter(feeds_live: LiveCenter, received_at: str) -> httpx.Response:
    doc = json.loads(fixture_bytes("letter", "registered_letter.json"))
    scan = base64.b64decode(doc["scan"]["contentBase64"])
    form = {k: v for k, v in doc.items() if isinstance(v, str)}
    form["registrationNo"] = f"RA{time.time_ns()}"
    form["receivedAt"] = received_at
    with feeds_live.client("dispatcher") as c:
        return c.post(
            "/api/v1/intake/letters",
            data=form,
            files={"scan": (doc["scan"]["filename"], scan, doc["scan"]["contentType"])},
        )


@pytest.mark.parametrize("when", ["9999-12-31 00:00:00", "0001-01-01 00:00:00", "future", "old"])
def test_letter_received_at_outside_the_window_is_422(feeds_live: LiveCenter, when: str) -> None:
    now = datetime.now(SHANGHAI)
    at = {"future": now + timedelta(days=1), "old": now - timedelta(days=60)}.get(when)
    r = _letter(feeds_live, at.strftime("%Y-%m-%d %H:%M:%S") if at else when)
    assert r.status_code == 422, r.text
    assert "receivedAt" in r.json()["error"]["fields"], r.json()


def test_letter_registered_days_later_keeps_its_date(feeds_live: LiveCenter) -> None:
    at = (datetime.now(SHANGHAI) - timedelta(days=4)).replace(microsecond=0)
    r = _letter(feeds_live, at.strftime("%Y-%m-%d %H:%M:%S"))
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(
        feeds_live,
        "SELECT received_at FROM orders WHERE source = 'letter' ORDER BY id DESC LIMIT 1",
    )
    assert rows[0][0] == at


def test_feed_time_of_year_9999_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = f"Y9999-{time.time_ns()}"
    doc["alarmTime"] = "9999-12-31 23:59:59"
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=json.dumps(doc).encode())
        assert r.status_code == 422, r.text
        assert "alarmTime" in r.json()["error"]["fields"]
        part = {**json.loads(fixture_bytes("sms", "long_message_parts.json"))[0]}
        part.update(msgId=f"Y1-{time.time_ns()}", recvTime="0001-01-01 00:00:00", udh=None)
        r = c.post("/api/v1/intake/sms", json=part)
        assert r.status_code == 422, r.text
        assert "recvTime" in r.json()["error"]["fields"]


def test_mail_dated_long_ago_is_dated_when_received(feeds_live: LiveCenter) -> None:
    # The Date header is the sender's to write: beyond the window the order is not lost,
    # it is dated when the center processed it.
    raw = fixture_bytes("email", "utf8_alternative_drainage.eml")
    mid = f"<old-{time.time_ns()}@example.com>"
    old = b"Date: Fri, 27 Nov 2026 07:30:00 +0800"
    assert old in raw
    raw = raw.replace(old, b"Date: Mon, 3 Jan 2005 07:30:00 +0800")
    raw = raw.replace(b"Message-ID: <CH0PR1@outlook.com>", f"Message-ID: {mid}".encode())
    with source(feeds_live) as c:
        r = c.post("/api/v1/intake/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(feeds_live, "SELECT received_at FROM orders WHERE source_id = %s", mid)
    assert len(rows) == 1, rows
    assert abs((rows[0][0] - datetime.now(UTC)).total_seconds()) < 120


# -- XML in GBK / GB2312 -----------------------------------------------------------------


def _gbk_cap(encoding: str) -> tuple[bytes, str]:
    doc = fixture_bytes("weather_cap", "rainstorm_red_alert.xml").decode("utf-8")
    ident = f"GBK{time.time_ns()}"
    doc = doc.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    doc = doc.replace("51110041600000_20260712061500", ident)
    return doc.encode("gbk"), ident


@pytest.mark.parametrize("encoding", ["GBK", "GB2312", "gbk"])
def test_cap_declared_gbk_is_read(feeds_live: LiveCenter, encoding: str) -> None:
    body, ident = _gbk_cap(encoding)
    assert "暴雨".encode("gbk") in body and "暴雨".encode() not in body  # real GBK bytes
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/cap", content=body, headers={"Content-Type": "application/xml"})
        assert r.status_code == 202, r.text
        assert r.json()["id"] == ident
        drain(feeds_live)
    # an admin reads it back: the Chinese text came through intact
    with feeds_live.client("admin") as a:
        got = a.get(f"/api/v1/feeds/cap/{r.json()['sender']}/{ident}")
    assert got.status_code == 200, got.text
    assert "暴雨" in got.json()["headline"]


def test_xml_in_gbk_that_is_not_gbk_is_422(feeds_live: LiveCenter) -> None:
    body, _ = _gbk_cap("GBK")
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/cap", content=body.replace(b"<sent>", b"\xff\xff<sent>", 1))
    assert r.status_code == 422, r.text
    assert "body" in r.json()["error"]["fields"]


def _wechat_text(content: str, encoding: str) -> bytes:
    doc = fixture_bytes("wechat", "text.xml").decode("utf-8")
    doc = doc.replace("24605318833147286", str(time.time_ns()))
    doc = doc.replace("oLs7Q6xk2m9Vb1nZ8yJp3RqT0aEu", f"oGBK{time.time_ns()}")
    doc = doc.replace("乐山大佛景区东门外的路口积水很深，行人都过不去了，麻烦尽快处理", content)
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{doc}'.encode("gbk")


def test_wechat_message_declared_gb2312_is_read(feeds_live: LiveCenter) -> None:
    content = f"嘉定北路井盖缺失{time.time_ns()}，很危险"
    body = _wechat_text(content, "GB2312")
    assert content.encode("gbk") in body
    r = wechat_post(feeds_live, body)
    assert wechat_answered(r), r.text
    drain(feeds_live)
    rows = sql(feeds_live, "SELECT id FROM orders WHERE description LIKE %s", f"%{content}%")
    assert len(rows) == 1, rows


# -- e-mail: a NUL, and the attachments' permissions ---------------------------------------


def test_mail_with_nul_makes_one_order_and_no_dead_letter(feeds_live: LiveCenter) -> None:
    # A mail client's stray NUL must not lose the citizen's mail, nor make an order and a
    # dead letter: NULs are removed from the text a mail is read into (one clean order).
    raw = fixture_bytes("email", "utf8_alternative_drainage.eml")
    mid = f"<nul-{time.time_ns()}@example.com>"
    raw = raw.replace(b"Message-ID: <CH0PR1@outlook.com>", f"Message-ID: {mid}".encode())
    raw = raw.replace(b"Subject: ", b"Subject: \x00", 1).replace(b"\r\n\r\n", b"\r\n\r\n\x00", 2)
    raw += b"\x00\x00"
    before = sql(feeds_live, "SELECT count(*) FROM dead_letters WHERE system = 'email'")
    with source(feeds_live) as c:
        r = c.post("/api/v1/intake/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(feeds_live, "SELECT description FROM orders WHERE source_id = %s", mid)
    assert len(rows) == 1 and "\x00" not in rows[0][0]
    after = sql(feeds_live, "SELECT count(*) FROM dead_letters WHERE system = 'email'")
    assert after == before


def test_attachments_are_owner_only_whatever_the_umask(feeds_live: LiveCenter) -> None:
    raw = fixture_bytes("email", "gbk_streetlight_with_photo.eml")
    mid = f"<perm-{time.time_ns()}@example.com>"
    raw = raw.replace(b"Message-ID: <20261126211405.6a1f@163.com>", f"Message-ID: {mid}".encode())
    # a different photo each run, so the file is written now (files are kept by content)
    photo = b"/9j/4AAQSkZJRgABAQAAAQABAAD/2Q=="
    assert photo in raw
    raw = raw.replace(photo, base64.b64encode(os.urandom(48)))
    old = os.umask(0o002)  # the server writes in this process: a lax umask
    try:
        with source(feeds_live) as c:
            r = c.post(
                "/api/v1/intake/email", content=raw, headers={"Content-Type": "message/rfc822"}
            )
        assert r.status_code == 202, r.text
        drain(feeds_live)
    finally:
        os.umask(old)
    paths = sql(
        feeds_live,
        "SELECT a.path FROM intake_attachments a JOIN orders o ON o.id = a.order_id"
        " WHERE o.source_id = %s AND a.path IS NOT NULL",
        mid,
    )
    assert paths, "the photo was not kept"
    for (path,) in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
        folder = os.path.dirname(path)
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, oct(os.stat(folder).st_mode)


# -- signed feeds: timestamp, window, no replay; a source with a secret must sign -------


def _hydrology(
    live: LiveCenter, headers: dict[str, str], body: bytes | None = None
) -> httpx.Response:
    return httpx.post(
        f"{live.base_url}/api/v1/feeds/hydrology/events",
        content=fixture_bytes("hydrology", "normal.json") if body is None else body,
        headers=headers,
    )


def test_a_signed_request_is_accepted_once(feeds_live: LiveCenter) -> None:
    body = fixture_bytes("hydrology", "normal.json")
    headers = signed_headers(HMAC_SECRET, body)
    first = _hydrology(feeds_live, headers)
    assert first.status_code == 202, first.text
    again = _hydrology(feeds_live, headers)
    assert again.status_code == 401, again.text
    assert "used before" in again.json()["error"]["message"]
    # the same payload signed anew (its own timestamp) is a new request
    fresh = _hydrology(feeds_live, signed_headers(HMAC_SECRET, body, time.time() + 1))
    assert fresh.status_code == 202, fresh.text


@pytest.mark.parametrize("skew", [-600, 600])
def test_a_stale_or_future_timestamp_is_401(feeds_live: LiveCenter, skew: int) -> None:
    body = fixture_bytes("hydrology", "normal.json")
    r = _hydrology(feeds_live, signed_headers(HMAC_SECRET, body, time.time() + skew))
    assert r.status_code == 401, r.text
    assert "X-Timestamp" in r.json()["error"]["message"]


def test_a_signature_without_timestamp_is_401(feeds_live: LiveCenter) -> None:
    body = fixture_bytes("hydrology", "normal.json")
    # the old contract: HMAC of the body alone, no timestamp: replayable, so refused
    old = "sha256=" + hmac.new(HMAC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert _hydrology(feeds_live, {"X-Signature": old}).status_code == 401
    ts = str(int(time.time()))
    r = _hydrology(feeds_live, {"X-Signature": old, "X-Timestamp": ts})
    assert r.status_code == 401, r.text
    # seconds are a timestamp too (signed as sent)
    r = _hydrology(feeds_live, {"X-Signature": sign(HMAC_SECRET, body, ts), "X-Timestamp": ts})
    assert r.status_code == 202, r.text


def test_a_source_with_a_secret_must_sign(feeds_live: LiveCenter) -> None:
    r = _hydrology(feeds_live, {"X-Api-Key": DEMO_KEY})
    assert r.status_code == 401, r.text
    assert "X-Signature" in r.json()["error"]["message"]
    # a source without a secret still uses its key
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = f"KEY-{time.time_ns()}"
    with source(feeds_live) as c:
        assert c.post("/api/v1/feeds/skynet/events", json=doc).status_code == 202


# -- WeChat: safe mode, nonces, plain mode only when allowed --------------------------------


def _wechat_msg(content: str) -> bytes:
    doc = fixture_bytes("wechat", "text.xml").decode("utf-8")
    doc = doc.replace("24605318833147286", str(time.time_ns()))
    doc = doc.replace("oLs7Q6xk2m9Vb1nZ8yJp3RqT0aEu", f"oSAFE{time.time_ns()}")
    return doc.replace(
        "乐山大佛景区东门外的路口积水很深，行人都过不去了，麻烦尽快处理", content
    ).encode()


def _orders_saying(live: LiveCenter, content: str) -> int:
    rows = sql(live, "SELECT count(*) FROM orders WHERE description LIKE %s", f"%{content}%")
    return int(rows[0][0])


def _wechat(live: LiveCenter, params: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(live.base_url + "/api/v1/intake/wechat", params=params, content=body)


def test_wechat_safe_mode_message_makes_an_order(feeds_live: LiveCenter) -> None:
    content = f"滨江路护栏断了{time.time_ns()}"
    r = wechat_post(feeds_live, _wechat_msg(content))
    assert wechat_answered(r), r.text
    drain(feeds_live)
    assert _orders_saying(feeds_live, content) == 1


def test_wechat_message_changed_under_its_signature_is_401(feeds_live: LiveCenter) -> None:
    params, _ = wechat_request(_wechat_msg("原文"))
    _, other = wechat_request(_wechat_msg(f"篡改{time.time_ns()}"))
    r = _wechat(feeds_live, params, other)  # the query of one message, the body of another
    assert r.status_code == 401, r.text


def test_wechat_nonce_is_taken_once(feeds_live: LiveCenter) -> None:
    content = f"重放测试{time.time_ns()}"
    params, body = wechat_request(_wechat_msg(content))
    assert _wechat(feeds_live, params, body).status_code == 200
    # the platform's retry (same nonce, same body): answered, nothing made twice
    assert wechat_answered(_wechat(feeds_live, params, body))
    drain(feeds_live)
    assert _orders_saying(feeds_live, content) == 1
    # the same nonce and timestamp with another message (signed by whoever holds the
    # token: a leaked one, say): a replay
    _, other = wechat_request(_wechat_msg(f"另一条{time.time_ns()}"))
    encrypted = wechat_crypto.open_envelope(other)
    forged = {
        **params,
        "msg_signature": wechat_crypto.msg_signature(
            WECHAT_TOKEN, params["timestamp"], params["nonce"], encrypted
        ),
    }
    r = _wechat(feeds_live, forged, other)
    assert r.status_code == 401 and "nonce" in r.json()["error"]["message"], r.text


def test_wechat_stale_timestamp_is_401(feeds_live: LiveCenter) -> None:
    r = wechat_post(feeds_live, _wechat_msg("过期"), timestamp=str(int(time.time()) - 3600))
    assert r.status_code == 401, r.text


def test_wechat_plain_mode_is_off_by_default(feeds_live: LiveCenter) -> None:
    ts, nonce = str(int(time.time())), f"p{time.time_ns()}"
    params = {"signature": wechat_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts}
    r = _wechat(feeds_live, {**params, "nonce": nonce}, _wechat_msg("明文"))
    assert r.status_code == 401, r.text
    assert "plain mode" in r.json()["error"]["message"]


def test_wechat_plain_mode_when_allowed_still_takes_a_nonce_once(
    make_database: Callable[[], str], free_port: Callable[[], int], tmp_path: Path
) -> None:
    live, server, thread = start_center(make_database, free_port, tmp_path, wechat_plain_mode=True)
    try:
        ts, nonce = str(int(time.time())), f"p{time.time_ns()}"
        params = {"signature": wechat_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts}
        params["nonce"] = nonce
        content = f"明文模式{time.time_ns()}"
        assert wechat_answered(_wechat(live, params, _wechat_msg(content)))
        # plain mode's signature covers no body: another body under it is refused
        r = _wechat(live, params, _wechat_msg(f"换了内容{time.time_ns()}"))
        assert r.status_code == 401, r.text
        drain(live)
        assert _orders_saying(live, content) == 1
    finally:
        server.should_exit = True
        thread.join(10)
