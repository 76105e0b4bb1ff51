"""110 → 12345 over HTTP: the police desk's ACK and STATUS about an order we transferred land
on that order's timeline once per message; a STATUS about no order of ours is refused."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, fixture_bytes, source
from tests.intake.test_ingest_http import sql


def _transferred(live: LiveCenter) -> tuple[dict[str, Any], dict[str, Any]]:
    """A police matter of ours handed to 110: the order and the outgoing TRANSFER."""
    disp = live.client("dispatcher")
    order = disp.post(
        "/api/v1/orders",
        json={
            "channel": "phone",
            "category": {"type": "report"},
            "urgency": "urgent",
            "description": "嘉州苑门口有人持刀威胁路人",
            "address": "乐山市市中区张公桥",
        },
    ).json()
    t = disp.post(
        "/api/v1/feeds/police110/transfers", json={"order_id": order["id"], "reason": "警情"}
    )
    assert t.status_code == 201, t.text
    return order, t.json()["message"]


def _status(ref_no: str, msg_id: str, status: str = "已办结") -> bytes:
    doc = json.loads(fixture_bytes("police110", "status_done.json"))
    doc["msgId"] = msg_id
    doc["body"]["refNo"] = ref_no
    doc["body"]["status"] = status
    return json.dumps(doc, ensure_ascii=False).encode()


def _ack(ref_msg_id: str, msg_id: str) -> bytes:
    return json.dumps(
        {
            "msgId": msg_id,
            "msgType": "ACK",
            "from": "110",
            "to": "12345",
            "sendTime": "2026-11-27 09:06:00",
            "body": {"refMsgId": ref_msg_id, "result": "ACCEPTED", "receiver": "J5111000001"},
        }
    ).encode()


def _from_110(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in timeline if t["actor"] == "feed:police110"]


def test_ack_and_status_reach_the_order_timeline_once(feeds_live: LiveCenter) -> None:
    order, out = _transferred(feeds_live)
    tag = str(time.time_ns())
    ack, processing, done = (
        _ack(out["msg_id"], f"110A{tag}"),
        _status(order["number"], f"110S{tag}-1", "处理中"),
        _status(order["number"], f"110S{tag}-2", "已办结"),
    )
    with source(feeds_live) as c:
        for body in (ack, processing, done):
            r = c.post("/api/v1/feeds/police110/messages", content=body)
            assert r.status_code == 202, r.text
        drain(feeds_live)
        # 110 redelivers every message (a timeout on their side): nothing more is added
        for body in (ack, processing, done):
            assert c.post("/api/v1/feeds/police110/messages", content=body).status_code == 202
        drain(feeds_live)
    got = feeds_live.client("duty").get(f"/api/v1/orders/{order['id']}")
    assert got.status_code == 200, got.text
    entries = _from_110(got.json()["timeline"])
    assert [(e["action"], e["data"].get("status") or e["data"].get("result")) for e in entries] == [
        ("110_ack", "ACCEPTED"),
        ("110_status", "处理中"),
        ("110_status", "已办结"),
    ]
    done_entry = entries[-1]
    assert done_entry["role"] == "source"
    assert done_entry["data"]["ref_no"] == order["number"]
    assert done_entry["data"]["msg_id"] == f"110S{tag}-2"
    assert done_entry["data"]["handler"] == "嘉州派出所"
    assert "已办结" in done_entry["note"] and "民警已到场调解" in done_entry["note"]
    assert done_entry["at"] and done_entry["from"] == done_entry["to"] == "transferred_110"
    # a note, not a move: the order stays where the transfer put it
    assert got.json()["status"] == "transferred_110"
    # the wall hears of each entry through the change log
    logged = sql(
        feeds_live,
        "SELECT count(*) FROM change_log WHERE entity_id = %s AND payload->>'actor' = %s",
        order["id"],
        "feed:police110",
    )
    assert logged[0][0] == 3
    # our outgoing TRANSFER is marked acknowledged
    acked = sql(feeds_live, "SELECT acked FROM linkage_messages WHERE msg_id = %s", out["msg_id"])
    assert acked == [("ACCEPTED",)]


def test_status_about_no_order_of_ours_is_422_and_kept(feeds_live: LiveCenter) -> None:
    tag = str(time.time_ns())
    # an order that exists but was never sent to 110 is not theirs to report on
    mine = (
        feeds_live.client("dispatcher")
        .post(
            "/api/v1/orders",
            json={
                "channel": "phone",
                "category": {"type": "help"},
                "urgency": "general",
                "description": "小区路灯不亮",
                "address": "乐山市市中区嘉定北路",
            },
        )
        .json()
    )
    with source(feeds_live) as c:
        for ref in ("LS2099010199999", mine["number"]):
            body = _status(ref, f"110S{tag}-{ref}")
            r = c.post("/api/v1/feeds/police110/messages", content=body)
            assert r.status_code == 422, r.text
            err = r.json()["error"]
            assert set(err["fields"]) == {"body.refNo"}
            letters = sql(
                feeds_live,
                "SELECT system, field FROM dead_letters WHERE id = %s",
                int(err["dead_letter_id"]),
            )
            assert letters == [("police110", "body.refNo")]
        r = c.post("/api/v1/feeds/police110/messages", content=_ack(f"nope-{tag}", f"110A{tag}"))
        assert r.status_code == 422 and "body.refMsgId" in r.json()["error"]["fields"]
    drain(feeds_live)
    assert (
        sql(feeds_live, "SELECT count(*) FROM linkage_messages WHERE msg_id LIKE %s", f"%{tag}%")[
            0
        ][0]
        == 0
    )
    timeline = feeds_live.client("duty").get(f"/api/v1/orders/{mine['id']}").json()["timeline"]
    assert _from_110(timeline) == []
