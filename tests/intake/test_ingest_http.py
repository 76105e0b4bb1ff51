"""Ingest over HTTP against a live center (real PostgreSQL): every adapter's recorded fixture,
authentication, limits, duplicates, dead letters and their replay, CAP, channels, 110."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC
from typing import Any

import httpx
import psycopg
import pytest

from dispatch_center.accounts.signatures import signed_headers
from feeds.channels.wechat import signature as wechat_signature
from feeds.registry import DEFAULT_ADAPTERS
from tests.api.conftest import LiveCenter
from tests.intake.conftest import (
    DEMO_KEY,
    FIXTURES,
    HMAC_SECRET,
    drain,
    fixture_bytes,
    source,
    wechat_answered,
    wechat_post,
)

CATALOGUE = [m.DESCRIPTOR.system for m in DEFAULT_ADAPTERS]
RECORDED = [
    (system, f.name)
    for system in CATALOGUE
    for f in sorted((FIXTURES / system).glob("*"))
    if system != "weather_cap"
]


def sql(live: LiveCenter, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the live center's database directly."""
    with psycopg.connect(live.center.db.url) as conn:
        return conn.execute(query, params).fetchall()


def test_every_catalogue_system_has_a_recorded_fixture() -> None:
    assert {s for s, _ in RECORDED} | {"weather_cap"} == set(CATALOGUE)


# Recorded messages about an order the fresh test center does not hold: refused, naming the
# field (tests/intake/test_police110_status.py posts them about an order it transferred).
REFUSED = {("police110", "status_done.json"): "body.refNo"}
# Sources of the test center that have a signing secret (tests/intake/conftest.py).
SIGNED = {"hydrology": HMAC_SECRET}


@pytest.mark.parametrize(("system", "name"), RECORDED)
def test_recorded_fixture_through_http(feeds_live: LiveCenter, system: str, name: str) -> None:
    body = fixture_bytes(system, name)
    with source(feeds_live) as c:
        if system in SIGNED:  # a source with a signing secret must sign
            r = c.post(
                f"/api/v1/feeds/{system}/events",
                content=body,
                headers=signed_headers(SIGNED[system], body),
            )
        else:
            r = c.post(f"/api/v1/feeds/{system}/events", content=body)
    if (system, name) in REFUSED:
        assert r.status_code == 422, r.text
        assert REFUSED[system, name] in r.json()["error"]["fields"]
        return
    assert r.status_code == 202, r.text
    assert r.json()["intake_id"]
    drain(feeds_live)
    events = sql(feeds_live, "SELECT count(*) FROM feed_events WHERE system = %s", system)[0][0]
    orders = sql(
        feeds_live, "SELECT count(*) FROM orders WHERE channel IN (%s, '110')", f"feed:{system}"
    )[0][0]
    assert events + orders >= 1


def test_cap_fixture_through_the_generic_route(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post(
            "/api/v1/feeds/weather_cap/events",
            content=fixture_bytes("cap_oasis", "a2_thunderstorm.xml"),
        )
    assert r.status_code == 202, r.text


def test_duplicates_are_processed_once(feeds_live: LiveCenter) -> None:
    body = fixture_bytes("skynet", "rubbish_jiading.json")
    doc = json.loads(body)
    doc["alarmId"] = "DUP-" + str(time.time_ns())
    body = json.dumps(doc).encode()
    with source(feeds_live) as c:
        for _ in range(3):
            assert c.post("/api/v1/feeds/skynet/events", content=body).status_code == 202
    drain(feeds_live)
    aid = doc["alarmId"]
    assert sql(feeds_live, "SELECT count(*) FROM feed_events WHERE source_id = %s", aid)[0][0] == 1
    assert (
        sql(feeds_live, "SELECT count(*) FROM orders WHERE source_id LIKE %s", aid + "#%")[0][0]
        == 1
    )


@pytest.mark.parametrize(
    ("headers", "bearer", "status"),
    [
        ({}, None, 401),
        ({"X-Api-Key": "wrong"}, None, 401),
        ({"X-Signature": "sha256=" + "0" * 64}, None, 401),
        ({}, "dispatcher", 403),
        ({}, "admin", 202),
        # hydrology has a signing secret: it must sign, its key alone is refused
        ({"X-Api-Key": DEMO_KEY}, None, 401),
    ],
)
def test_source_authentication(
    feeds_live: LiveCenter, headers: dict[str, str], bearer: str | None, status: int
) -> None:
    body = fixture_bytes("hydrology", "normal.json")
    if bearer:
        headers = {**headers, "Authorization": f"Bearer {feeds_live.token(bearer)}"}
    r = httpx.post(
        f"{feeds_live.base_url}/api/v1/feeds/hydrology/events", content=body, headers=headers
    )
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.json()["error"]["code"] in ("unauthorized", "forbidden")


def test_hmac_signature(feeds_live: LiveCenter) -> None:
    body = fixture_bytes("hydrology", "normal.json")
    url = f"{feeds_live.base_url}/api/v1/feeds/hydrology/events"
    good = httpx.post(url, content=body, headers=signed_headers(HMAC_SECRET, body))
    assert good.status_code == 202, good.text
    tampered = httpx.post(
        url, content=body + b" ", headers=signed_headers(HMAC_SECRET, body, time.time() + 1)
    )
    assert tampered.status_code == 401
    # skynet has no signing secret: a signature is no credential there
    other = httpx.post(
        f"{feeds_live.base_url}/api/v1/feeds/skynet/events",
        content=body,
        headers=signed_headers(HMAC_SECRET, body),
    )
    assert other.status_code == 401


def test_unknown_system_is_404(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        assert c.post("/api/v1/feeds/nosuch/events", content=b"{}").status_code == 404


def test_oversize_is_413(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/water_supply/events", content=b"{" + b" " * 4000 + b"}")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_rate_limit_429_with_retry_after(feeds_live: LiveCenter) -> None:
    body = fixture_bytes("gas", "serious_leak.json")
    with source(feeds_live) as c:
        codes = [c.post("/api/v1/feeds/gas/events", content=body) for _ in range(6)]
    limited = [r for r in codes if r.status_code == 429]
    # burst 3 (one may have gone to the recorded-fixture test), then 0.5 a second
    assert codes[0].status_code == 202
    assert sum(r.status_code == 202 for r in codes) <= 4
    assert limited, [r.status_code for r in codes]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"


def test_malformed_is_422_naming_the_field_and_replays_after_fixing(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = "DL-" + str(time.time_ns())
    good = json.dumps(doc).encode()
    broken = dict(doc)
    del broken["alarmTime"]
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=json.dumps(broken).encode())
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert "alarmTime" in err["fields"]
    dead_id = err["dead_letter_id"]
    admin = feeds_live.client("admin")
    listed = admin.get("/api/v1/feeds/dead-letters", params={"system": "skynet"}).json()
    mine = [d for d in listed["dead_letters"] if d["id"] == dead_id]
    assert mine and mine[0]["field"] == "alarmTime"
    assert feeds_live.client("dispatcher").get("/api/v1/feeds/dead-letters").status_code == 403
    # replaying the same bad payload: still 422, and no second letter
    again = admin.post(f"/api/v1/feeds/dead-letters/{dead_id}/replay")
    assert again.status_code == 422
    assert (
        sql(
            feeds_live,
            "SELECT count(*) FROM dead_letters WHERE payload = %s",
            json.dumps(broken).encode(),
        )[0][0]
        == 1
    )
    fixed = admin.post(f"/api/v1/feeds/dead-letters/{dead_id}/replay", content=good)
    assert fixed.status_code == 202, fixed.text
    drain(feeds_live)
    assert (
        sql(feeds_live, "SELECT count(*) FROM feed_events WHERE source_id = %s", doc["alarmId"])[0][
            0
        ]
        == 1
    )
    assert admin.post(f"/api/v1/feeds/dead-letters/{dead_id}/replay").status_code == 409


@pytest.mark.parametrize(
    "name", ["a1_homeland_security.xml", "a2_thunderstorm.xml", "a3_earthquake.xml", "a4_amber.xml"]
)
def test_oasis_cap_examples_same_id_twice(feeds_live: LiveCenter, name: str) -> None:
    body = fixture_bytes("cap_oasis", name)
    with source(feeds_live) as c:
        first = c.post(
            "/api/v1/feeds/cap", content=body, headers={"Content-Type": "application/xml"}
        )
        # 200 when an earlier test already sent it through the generic route
        assert first.status_code in (200, 202), first.text
        drain(feeds_live)
        second = c.post("/api/v1/feeds/cap", content=body)
    assert second.status_code == 200, second.text
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["status"] == "duplicate"


def test_cap_chain_alert_update_cancel(feeds_live: LiveCenter) -> None:
    admin = feeds_live.client("admin")
    ids = []
    with source(feeds_live) as c:
        for name in ("rainstorm_red_alert.xml", "rainstorm_red_update.xml"):
            r = c.post("/api/v1/feeds/cap", content=fixture_bytes("weather_cap", name))
            assert r.status_code == 202, r.text
            ids.append(r.json())
            drain(feeds_live)
    assert ids[0]["chain_key"] == ids[1]["chain_key"]

    def states() -> dict[str, str]:
        sender = ids[0]["sender"]
        chain = admin.get(f"/api/v1/feeds/cap/{sender}/{ids[0]['id']}").json()["chain"]
        return {m["id"]: m["state"] for m in chain}

    assert states() == {ids[0]["id"]: "superseded", ids[1]["id"]: "current"}
    with source(feeds_live) as c:
        r = c.post(
            "/api/v1/feeds/cap", content=fixture_bytes("weather_cap", "rainstorm_red_cancel.xml")
        )
    assert r.status_code == 202
    drain(feeds_live)
    assert set(states().values()) == {"cancelled"}
    # the recorded warning expired in July: it is not in force today either way
    active = admin.get("/api/v1/feeds/cap/active").json()["alerts"]
    assert not [a for a in active if a["chain_key"] == ids[0]["chain_key"]]
    kinds = sql(
        feeds_live,
        "SELECT DISTINCT kind FROM change_log WHERE kind LIKE 'cap.%%' OR kind LIKE 'feed.%%'",
    )
    assert ("cap.alert",) in kinds


def test_hostile_xml_is_refused_and_kept(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/cap", content=fixture_bytes("hostile", "billion_laughs.xml"))
    assert r.status_code == 422
    assert r.json()["error"]["dead_letter_id"]


def test_feeds_catalogue_shows_health(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        c.post("/api/v1/feeds/hydrology/events", content=fixture_bytes("hydrology", "normal.json"))
    feeds = feeds_live.client("duty").get("/api/v1/feeds").json()["feeds"]
    assert len(feeds) == 21
    hydro = next(f for f in feeds if f["system"] == "hydrology")
    assert hydro["status"] in ("up", "degraded") and hydro["last_seen"]
    assert {"lag_s", "error_rate", "mode", "owner"} <= set(hydro)


# -- channels -----------------------------------------------------------------------------------


def test_voice_events_and_form_make_a_phone_order(feeds_live: LiveCenter) -> None:
    events = json.loads(fixture_bytes("voice", "call_events.json"))
    call_id = events[0]["callId"]
    # the seat's form names its call; the seat posts it with their own sign-in
    form = {**json.loads(fixture_bytes("voice", "agent_form.json")), "callId": call_id}
    with source(feeds_live) as c:
        for e in events:
            assert c.post("/api/v1/intake/voice/events", json=e).status_code == 202
    drain(feeds_live)
    r = feeds_live.client("dispatcher").post("/api/v1/intake/voice/form", json=form)
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(
        feeds_live,
        "SELECT id, channel FROM orders WHERE source = 'cti' AND source_id = %s",
        call_id,
    )
    assert len(rows) == 1 and rows[0][1] == "phone"
    rec = sql(feeds_live, "SELECT url FROM intake_attachments WHERE order_id = %s", rows[0][0])
    assert rec and rec[0][0].startswith("http")


def test_email_with_attachment(feeds_live: LiveCenter) -> None:
    raw = fixture_bytes("email", "gb18030_property_fee_with_pdf.eml")
    with source(feeds_live) as c:
        r = c.post("/api/v1/intake/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(
        feeds_live,
        "SELECT a.path, a.size FROM intake_attachments a JOIN orders o ON o.id = a.order_id"
        " WHERE o.channel = 'email' AND a.path IS NOT NULL",
    )
    assert rows and rows[0][1] > 0
    with open(rows[0][0], "rb") as f:
        assert len(f.read()) == rows[0][1]


def test_wechat_verification_and_message(feeds_live: LiveCenter) -> None:
    ts, nonce = str(int(time.time())), "n0nce"
    sig = wechat_signature("wechat-test-token", ts, nonce)
    base = feeds_live.base_url + "/api/v1/intake/wechat"
    ok = httpx.get(
        base, params={"signature": sig, "timestamp": ts, "nonce": nonce, "echostr": "e42"}
    )
    assert ok.status_code == 200 and ok.text == "e42"
    bad = httpx.get(
        base, params={"signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": "e"}
    )
    assert bad.status_code == 401
    r = wechat_post(feeds_live, fixture_bytes("wechat", "text.xml"))
    assert wechat_answered(r), r.text
    drain(feeds_live)
    assert sql(feeds_live, "SELECT count(*) FROM orders WHERE channel = 'wechat'")[0][0] >= 1


def test_sms_parts_reassembled_into_one_order(feeds_live: LiveCenter) -> None:
    parts = json.loads(fixture_bytes("sms", "long_message_parts.json"))
    with source(feeds_live) as c:
        for p in reversed(parts):
            assert c.post("/api/v1/intake/sms", json=p).status_code == 202
            drain(feeds_live)
    rows = sql(feeds_live, "SELECT description FROM orders WHERE source = 'sms'")
    assert len(rows) == 1
    assert all(p["content"] in rows[0][0] for p in parts)


def test_letter_registered_with_scan(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("letter", "registered_letter.json"))
    scan = base64.b64decode(doc["scan"]["contentBase64"])
    form = {k: v for k, v in doc.items() if isinstance(v, str)}
    r = feeds_live.client("dispatcher").post(
        "/api/v1/intake/letters",
        data=form,
        files={"scan": (doc["scan"]["filename"], scan, doc["scan"]["contentType"])},
    )
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(
        feeds_live,
        "SELECT o.channel, a.size FROM orders o JOIN intake_attachments a ON a.order_id = o.id"
        " WHERE o.source = 'letter' AND o.source_id = %s",
        doc["registrationNo"],
    )
    assert rows == [("letter", len(scan))]


# -- 110 linkage --------------------------------------------------------------------------------


def test_police110_transfer_in_ack_out_and_transfer_to_110(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post(
            "/api/v1/feeds/police110/messages",
            content=fixture_bytes("police110", "transfer_noise.json"),
        )
        assert r.status_code == 202, r.text
        drain(feeds_live)
        outbox = c.get("/api/v1/feeds/police110/outbox").json()["messages"]
    acks = [
        m
        for m in outbox
        if m["msg_type"] == "ACK" and m["message"]["body"]["refMsgId"] == "110M2026112621050012"
    ]
    assert len(acks) == 1 and acks[0]["message"]["body"]["result"] == "ACCEPTED"
    order = sql(
        feeds_live,
        "SELECT id FROM orders WHERE source = 'police110' AND source_id = 'J511100202611260417'",
    )
    assert len(order) == 1
    disp = feeds_live.client("dispatcher")
    st = disp.post(
        "/api/v1/feeds/police110/status", json={"order_id": str(order[0][0]), "status": "处理中"}
    )
    assert st.status_code == 201, st.text
    assert st.json()["message"]["body"]["refNo"] == "J511100202611260417"
    # an order of ours that is a police matter goes to 110
    new = disp.post(
        "/api/v1/orders",
        json={
            "channel": "phone",
            "category": {"type": "report"},
            "urgency": "urgent",
            "description": "小区门口有人持刀打架",
            "address": "乐山市市中区嘉定北路",
        },
    ).json()
    t = disp.post(
        "/api/v1/feeds/police110/transfers", json={"order_id": new["id"], "reason": "警情"}
    )
    assert t.status_code == 201, t.text
    assert t.json()["order"]["status"] == "transferred_110"
    assert t.json()["message"]["message"]["body"]["gdbh"] == new["number"]
    call = disp.post(
        "/api/v1/feeds/police110/calls",
        json={
            "call_id": "C3W1",
            "start": "2026-11-27T09:00:00+08:00",
            "end": "2026-11-27T09:04:00+08:00",
            "ref_no": new["number"],
            "order_id": new["id"],
        },
    )
    assert call.status_code == 201, call.text
    with source(feeds_live) as c:
        pending = c.get("/api/v1/feeds/police110/outbox").json()["messages"]
        ids = [m["id"] for m in pending]
        assert c.post("/api/v1/feeds/police110/outbox/sent", json={"ids": ids}).json()[
            "marked"
        ] == len(ids)
        assert c.get("/api/v1/feeds/police110/outbox").json()["messages"] == []


def test_current_red_warning_is_a_layer_and_a_mode_suggestion(feeds_live: LiveCenter) -> None:
    from datetime import datetime, timedelta

    from feeds.systems.weather_cap import build_warning

    ident = f"LIVE{time.time_ns()}"
    xml = build_warning(ident, datetime.now(UTC) - timedelta(minutes=5), "Alert")
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/cap", content=xml)
    assert r.status_code == 202, r.text
    drain(feeds_live)
    admin = feeds_live.client("admin")
    active = admin.get("/api/v1/feeds/cap/active").json()["alerts"]
    mine = [a for a in active if a["id"] == ident]
    assert mine and mine[0]["severity"] == "extreme"
    assert mine[0]["area"]["coordinates"]
    warnings = admin.get("/api/v1/feeds/layers").json()["layers"]["warnings"]
    assert any(ident in (w["values"] or {}).get("identifier", "") for w in warnings)
    suggestions = sql(feeds_live, "SELECT count(*) FROM mode_suggestions WHERE kind = 'cap_alert'")
    assert suggestions[0][0] >= 1


def test_concurrent_posts_each_get_their_own_durable_intake_row(feeds_live: LiveCenter) -> None:
    """Accepted payloads are written together (group commit); each 202 names its own row."""
    from concurrent.futures import ThreadPoolExecutor

    base = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    stamp = str(time.time_ns())
    bodies = []
    for i in range(40):
        doc = dict(base)
        doc["alarmId"] = f"GC-{stamp}-{i}"
        bodies.append(json.dumps(doc).encode())

    def post(body: bytes) -> dict[str, Any]:
        with source(feeds_live) as c:
            r = c.post("/api/v1/feeds/skynet/events", content=body)
        assert r.status_code == 202, r.text
        return {"id": r.json()["intake_id"], "body": body}

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, bodies))
    ids = [a["id"] for a in answers]
    assert len(set(ids)) == len(ids)
    stored = dict(sql(feeds_live, "SELECT id, payload FROM intake WHERE id = ANY(%s)", ids))
    for a in answers:
        assert bytes(stored[a["id"]]) == a["body"]
    drain(feeds_live)
    done = sql(
        feeds_live, "SELECT count(*) FROM intake WHERE id = ANY(%s) AND status = 'done'", ids
    )
    assert done[0][0] == len(ids)
    made = sql(
        feeds_live, "SELECT count(*) FROM feed_events WHERE source_id LIKE %s", f"GC-{stamp}-%"
    )
    assert made[0][0] == len(bodies)


def test_every_event_of_a_large_payload_is_listed_in_a_change(feeds_live: LiveCenter) -> None:
    """The wall draws what the deltas list: 250 readings in one poll answer must all be in
    the change log, not only the first few (they used to stop at 50)."""
    stamp = str(time.time_ns())
    data = [
        {
            "STCD": f"BIG{stamp}{k:03d}",
            "STNM": f"测站{k}",
            "STTP": "PP",
            "TM": "2026-11-27 06:00:00",
            "DRP": 1.5,
            "INTV": 1,
            "LGTD": 103.55,
            "LTTD": 29.35,
            "ADDVCD": "511111",
        }
        for k in range(250)
    ]
    body = json.dumps({"code": 0, "msg": "success", "data": data}, ensure_ascii=False).encode()
    r = httpx.post(
        f"{feeds_live.base_url}/api/v1/feeds/hydrology/events",
        content=body,
        headers=signed_headers(HMAC_SECRET, body),
    )
    assert r.status_code == 202, r.text
    drain(feeds_live)
    rows = sql(
        feeds_live,
        "SELECT e->>'source_id' FROM change_log, jsonb_array_elements(payload->'events') e"
        " WHERE kind = 'feed.event' AND e->>'source_id' LIKE %s",
        f"BIG{stamp}%",
    )
    listed = [r[0] for r in rows]
    assert len(listed) == len(set(listed)) == 250
