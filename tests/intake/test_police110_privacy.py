"""``GET /api/v1/feeds/police110/messages``: the caller's name and number only for the seats
that run the 110 linkage (issue 15, finding 3); the 110 platform's outbox keeps them whole.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, fixture_bytes, source

CALLER, CALLER_PHONE, SAID_PHONE = "刘女士", "13881390021", "15912345678"


@pytest.fixture(scope="module")
def transfer(feeds_live: LiveCenter) -> str:
    """A recorded 110 transfer taken in; its message id."""
    tag = str(time.time_ns())
    doc: dict[str, Any] = json.loads(fixture_bytes("police110", "transfer_noise.json"))
    doc["msgId"] = f"110M{tag}"
    doc["body"]["jjdbh"] = f"J{tag}"
    doc["body"]["bjnr"] += f"，有事回电{SAID_PHONE}"
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/police110/messages", content=json.dumps(doc, ensure_ascii=False))
        assert r.status_code == 202, r.text
    drain(feeds_live)
    return str(doc["msgId"])


def _body(client: httpx.Client, msg_id: str) -> dict[str, Any]:
    r = client.get("/api/v1/feeds/police110/messages", params={"direction": "in"})
    assert r.status_code == 200, r.text
    got = [m for m in r.json()["messages"] if m["msg_id"] == msg_id]
    assert len(got) == 1
    body: dict[str, Any] = got[0]["message"]["body"]
    return body


@pytest.mark.parametrize("username", ["duty", "dispatcher"])
def test_the_linkage_seats_read_the_callers_number(
    feeds_live: LiveCenter, transfer: str, username: str
) -> None:
    with feeds_live.client(username) as c:
        body = _body(c, transfer)
    assert body["bjdh"] == CALLER_PHONE and body["bjr"] == CALLER
    assert SAID_PHONE in body["bjnr"]


@pytest.mark.parametrize(
    "username", ["admin", "leader", "auditor", "flood_hq", "holiday_hq", "h_511102"]
)
def test_every_other_role_reads_it_masked(
    feeds_live: LiveCenter, transfer: str, username: str
) -> None:
    with feeds_live.client(username) as c:
        body = _body(c, transfer)
    text = json.dumps(body, ensure_ascii=False)
    assert CALLER_PHONE not in text and SAID_PHONE not in text and CALLER not in text
    assert body["bjdh"] == "138****0021"  # enough to tell two callers apart
    assert body["bjr"] == "刘**"
    assert body["bjnr"].startswith("楼上装修噪音扰民")
    assert body["jjdbh"] == transfer.replace("110M", "J")


def test_a_wall_token_reads_no_number(feeds_live: LiveCenter, transfer: str) -> None:
    with feeds_live.client("duty") as duty:
        wall = duty.post("/api/v1/auth/wall-token").json()["access_token"]
    with httpx.Client(
        base_url=feeds_live.base_url, headers={"Authorization": f"Bearer {wall}"}, timeout=10
    ) as c:
        r = c.get("/api/v1/feeds/police110/messages", params={"direction": "in"})
    # A wall token may be refused here outright; if it is answered, the number is masked.
    assert r.status_code in (200, 403), r.text
    assert CALLER_PHONE not in r.text and CALLER not in r.text


def test_our_transfer_to_110_keeps_the_reporters_number_for_the_platform(
    feeds_live: LiveCenter,
) -> None:
    disp = feeds_live.client("dispatcher")
    order = disp.post(
        "/api/v1/orders",
        json={
            "channel": "phone",
            "category": {"type": "report"},
            "urgency": "urgent",
            "description": "小区门口有人持刀打架",
            "address": "乐山市市中区嘉定北路",
            "reporter": {"name": "赵先生", "phone": "13700001111"},
        },
    ).json()
    t = disp.post(
        "/api/v1/feeds/police110/transfers", json={"order_id": order["id"], "reason": "警情"}
    )
    assert t.status_code == 201, t.text
    msg_id = t.json()["message"]["msg_id"]
    with source(feeds_live) as c:
        outbox = c.get("/api/v1/feeds/police110/outbox").json()["messages"]
    sent = next(m for m in outbox if m["msg_id"] == msg_id)
    assert sent["message"]["body"]["bjdh"] == "13700001111"
    with feeds_live.client("leader") as c:
        r = c.get("/api/v1/feeds/police110/messages", params={"direction": "out"})
    mine = next(m for m in r.json()["messages"] if m["msg_id"] == msg_id)
    assert mine["message"]["body"]["bjdh"] == "137****1111"
