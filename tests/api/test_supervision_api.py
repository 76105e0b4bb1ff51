"""Supervision through HTTP: the ladder on one order, a logged video session, callbacks
reopening orders and the rates on known data."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from dispatch_center.accounts.signatures import sign, signed_headers
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.store.database import Database
from dispatch_center.supervision.sessions import live_sessions_snapshot
from tests.api.conftest import LiveCenter, new_order

Client = Callable[[str], httpx.Client]
SECRET = "video-webhook-test-secret"


def _order(as_user: Client, unit: str = "511102", **overrides: Any) -> str:
    """A new order dispatched to ``unit`` and accepted by its handler."""
    body = new_order(source="test-supervision", source_id=uuid.uuid4().hex, **overrides)
    r = as_user("dispatcher").post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    r = as_user("dispatcher").post(
        f"/api/v1/orders/{oid}/actions/dispatch", json={"unit_code": unit}
    )
    assert r.status_code == 200, r.text
    r = as_user(f"h_{unit}").post(f"/api/v1/orders/{oid}/actions/accept")
    assert r.status_code == 200, r.text
    return str(oid)


def _timeline(as_user: Client, oid: str) -> list[dict[str, Any]]:
    r = as_user("duty").get(f"/api/v1/orders/{oid}")
    assert r.status_code == 200, r.text
    return list(r.json()["timeline"])


def _session(as_user: Client, oids: list[str], **extra: Any) -> dict[str, Any]:
    body = {
        "topic": "嘉州大道积水视频督办",
        "order_ids": oids,
        "room_url": f"https://vc.example.invalid/{uuid.uuid4().hex}",
        **extra,
    }
    r = as_user("duty").post("/api/v1/supervision/sessions", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def webhook(live: LiveCenter) -> Iterator[Callable[..., httpx.Response]]:
    settings = live.center.settings
    before = settings.video_webhook_secret
    settings.video_webhook_secret = SECRET

    def send(
        payload: dict[str, Any], secret: str = SECRET, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        raw = json.dumps(payload).encode()
        return httpx.post(
            f"{live.base_url}/api/v1/supervision/webhooks/video",
            content=raw,
            headers=(headers or signed_headers(secret, raw)) | {"Content-Type": "application/json"},
        )

    yield send
    settings.video_webhook_secret = before


def _tick(client: httpx.Client, deadline: float = 30.0) -> dict[str, Any]:
    """One pass of the timer that this test made, not a skipped one.

    The app's own SupervisionTimer works a pass at start-up and every minute under the
    same lock, and a tick that finds the lock taken is skipped (by design: one worker
    per pass); asking again until one works makes the test independent of that timing.
    """
    stop = time.monotonic() + deadline
    while True:
        r = client.post("/api/v1/supervision/tick")
        assert r.status_code == 200, r.text
        made: dict[str, Any] = r.json()
        if not made["skipped"]:
            return made
        assert time.monotonic() < stop, "the timer's lock stayed taken"
        time.sleep(0.1)


def _live_sessions(live: LiveCenter) -> dict[str, dict[str, Any]]:
    """The wall's provider, called on this test's own loop and connection pool."""

    async def read() -> list[dict[str, Any]]:
        db = Database(str(live.center.settings.database_url), min_size=1, max_size=1)
        await db.open()
        try:
            return await live_sessions_snapshot(SimpleNamespace(db=db))  # type: ignore[arg-type]
        finally:
            await db.close()

    return {s["id"]: s for s in asyncio.run(read())}


def test_ladder_end_to_end_on_one_order(as_user: Client) -> None:
    # An urgent order received 30 hours ago: 6 hours past its 24-hour reply limit.
    received = datetime.now(SHANGHAI) - timedelta(hours=30)
    oid = _order(as_user, urgency="urgent", received_at=received.isoformat())
    duty, leader, handler = as_user("duty"), as_user("leader"), as_user("h_511102")

    # 督: the timer reminds the unit once, however often it runs (also concurrently).
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(duty.post("/api/v1/supervision/tick").status_code)
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200, 200]
    _tick(duty)
    sup = duty.get(f"/api/v1/supervision/orders/{oid}").json()
    assert [r["kind"] for r in sup["reminders"]] == ["escalated"]
    mine = handler.get("/api/v1/supervision/my").json()
    assert oid in {r["order_id"] for r in mine["reminders"]}
    assert oid in {o["id"] for o in mine["orders"]}
    assert as_user("dispatcher").post("/api/v1/supervision/tick").status_code == 403

    # A 督办单 (挂牌督办) with a deadline and a required answer; the handler answers once.
    due = (datetime.now(SHANGHAI) + timedelta(hours=4)).isoformat()
    body = {"level": "listed", "requirement": "说明超期原因并报送处置方案", "answer_by": due}
    assert (
        handler.post(f"/api/v1/supervision/orders/{oid}/supervision-orders", json=body).status_code
        == 403
    )
    r = duty.post(f"/api/v1/supervision/orders/{oid}/supervision-orders", json=body)
    assert r.status_code == 201, r.text
    so = r.json()
    assert (so["level_label"], so["status"], so["unit"]) == ("挂牌督办", "open", "511102")
    assert so["id"] in {
        s["id"] for s in handler.get("/api/v1/supervision/my").json()["supervision_orders"]
    }
    assert (
        leader.post(
            f"/api/v1/supervision/supervision-orders/{so['id']}/answer", json={"answer": "x"}
        ).status_code
        == 403
    )
    assert (
        as_user("h_511111")
        .post(f"/api/v1/supervision/supervision-orders/{so['id']}/answer", json={"answer": "x"})
        .status_code
        == 404
    )
    r = handler.post(
        f"/api/v1/supervision/supervision-orders/{so['id']}/answer",
        json={"answer": "暴雨导致排水管网超负荷，已调派抽排车辆"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "answered" and r.json()["answered_by"] == "h_511102"
    assert (
        handler.post(
            f"/api/v1/supervision/supervision-orders/{so['id']}/answer", json={"answer": "again"}
        ).status_code
        == 409
    )

    # The ladder: 领导研究 → 部门会商 → 视频督办 (a session) → 电台直播.
    url = f"/api/v1/supervision/orders/{oid}/escalations"
    r = leader.post(
        url,
        json={
            "step": "leader_study",
            "details": {"leader": "分管副市长", "instruction": "请市住建局牵头，今日办结"},
        },
    )
    assert r.status_code == 201, r.text
    r = duty.post(
        url,
        json={
            "step": "department_consultation",
            "details": {"departments": ["市住建局", "市中区政府"], "meeting_record": "会商记录"},
        },
    )
    assert r.status_code == 422 and "details.work_split" in r.json()["error"]["fields"]
    r = duty.post(
        url,
        json={
            "step": "department_consultation",
            "details": {
                "departments": ["市住建局", "市中区政府"],
                "meeting_record": "会商记录",
                "work_split": "住建局抽排，区政府疏导交通",
            },
        },
    )
    assert r.status_code == 201, r.text
    assert handler.post(url, json={"step": "leader_study", "details": {}}).status_code == 403
    session = _session(as_user, [oid])
    r = duty.post(
        url,
        json={
            "step": "radio_broadcast",
            "details": {
                "programme": "行风热线",
                "date": "2026-11-28",
                "answering_unit": "市住建局",
                "outcome": "承诺当日完成排水",
            },
        },
    )
    assert r.status_code == 201, r.text
    r = duty.post(
        url, json={"step": "leader_study", "details": {"leader": "a", "instruction": "b"}}
    )
    assert r.status_code == 409  # never down the ladder

    steps = [
        (t["data"]["step"], t["actor"])
        for t in _timeline(as_user, oid)
        if t["action"] == "supervision.escalate"
    ]
    assert steps == [
        ("leader_study", "leader"),
        ("department_consultation", "duty"),
        ("video_supervision", "duty"),
        ("radio_broadcast", "duty"),
    ]
    actions = [t["action"] for t in _timeline(as_user, oid)]
    assert (
        actions.index("supervision.remind")
        < actions.index("supervision.order")
        < actions.index("supervision.answer")
        < actions.index("supervision.escalate")
    )
    video = next(t for t in _timeline(as_user, oid) if t["data"].get("step") == "video_supervision")
    assert video["data"]["details"]["session_id"] == session["id"]
    sup = duty.get(f"/api/v1/supervision/orders/{oid}").json()
    assert sup["next"] == ["radio_broadcast"] and sup["sessions"] == [session["id"]]


def test_session_presence_instructions_minutes_and_closing(
    as_user: Client, webhook: Callable[..., httpx.Response], live: LiveCenter
) -> None:
    oid = _order(as_user)
    duty, leader, flood = as_user("duty"), as_user("leader"), as_user("flood_hq")
    assert (
        leader.post(
            "/api/v1/supervision/sessions", json={"topic": "x", "order_ids": [oid], "room_url": "u"}
        ).status_code
        == 403
    )
    s = _session(
        as_user,
        [oid],
        mode="emergency",
        emergency="flood",
        affected_area=["511102"],
        invited=[
            {"name": "分管副市长", "user": "leader"},
            {"name": "牛华镇镇长"},
            {"name": "市水务局局长"},
        ],
    )
    sid = s["id"]
    assert s["status"] == "open" and s["order_ids"] == [oid]
    assert any(
        t["action"] == "supervision.escalate" and t["data"]["details"]["session_id"] == sid
        for t in _timeline(as_user, oid)
    )
    base = f"/api/v1/supervision/sessions/{sid}"

    def hook(event: str, person: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        r = webhook(
            {
                "event_id": event_id or uuid.uuid4().hex,
                "event": event,
                "session_id": sid,
                "participant": person,
            }
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    # Three participants, joining and leaving in overlapping order, button and webhook mixed.
    assert leader.post(f"{base}/join").json()["changed"] is True  # leader in (button)
    assert hook("participant.joined", {"user": "leader", "name": "分管副市长"})["changed"] is False
    assert hook("participant.joined", {"id": "77", "name": "牛华镇镇长"}, "ev-1")["changed"] is True
    assert (
        hook("participant.joined", {"id": "77", "name": "牛华镇镇长"}, "ev-1")["duplicate"] is True
    )
    assert flood.post(f"{base}/join").json()["changed"] is True
    assert hook("participant.left", {"user": "leader"})["changed"] is True  # leader out (webhook)
    assert leader.post(f"{base}/leave").json()["changed"] is False  # already out: no double count
    assert hook("participant.left", {"id": "77"})["changed"] is True
    assert leader.post(f"{base}/join").json()["changed"] is True  # leader back (button)
    assert flood.post(f"{base}/leave").json()["changed"] is True
    assert (
        webhook(
            {"event": "participant.joined", "session_id": sid, "participant": {"id": "1"}},
            secret="wrong",
        ).status_code
        == 401
    )
    r = httpx.post(f"{live.base_url}/api/v1/supervision/webhooks/video", json={"event": "x"})
    assert r.status_code == 401

    live_now = duty.get("/api/v1/supervision/sessions?status=open").json()["sessions"]
    assert next(x for x in live_now if x["id"] == sid)["present"] == ["分管副市长"]
    view = duty.get(base).json()
    people = {p["participant"]: p for p in view["participants"]}
    assert list(people) == ["leader", "ext:77", "flood_hq"]  # order of first joining
    assert [len(p["intervals"]) for p in people.values()] == [2, 1, 1]
    assert [(i["joined_via"], i["left_via"]) for i in people["leader"]["intervals"]] == [
        ("button", "webhook"),
        ("button", None),
    ]
    assert people["leader"]["present"] and people["leader"]["left_at"] is None
    assert not people["flood_hq"]["present"] and people["flood_hq"]["left_at"] is not None
    assert people["ext:77"]["name"] == "牛华镇镇长" and people["ext:77"]["role"] is None
    for p in people.values():
        for i in p["intervals"]:
            assert i["left_at"] is None or i["left_at"] >= i["joined_at"]

    # The wall's live-sessions provider shows who is in now.
    present = [p["participant"] for p in _live_sessions(live)[sid]["present"]]
    assert present == ["leader"]

    # Leaders issue instructions; two become tracked tasks, one naming a unit becomes an order.
    due = (datetime.now(SHANGHAI) + timedelta(hours=2)).isoformat()
    assert duty.post(f"{base}/instructions", json={"text": "x", "owner": "y"}).status_code == 403
    texts = ["市住建局30分钟内调派抽排车辆到场", "交警支队设置绕行并发布出行提示"]
    made = []
    for text, owner in zip(texts, ["市住建局", "市公安局交警支队"], strict=True):
        r = leader.post(f"{base}/instructions", json={"text": text, "owner": owner, "due": due})
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert all(m["task"] and m["task"]["status"] == "open" and m["order"] is None for m in made)
    r = leader.post(
        f"{base}/instructions",
        json={
            "text": "牛华镇组织人员清理淤泥",
            "owner": "五通桥区",
            "unit_code": "511112",
            "due": due,
        },
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["task"] is None and new["order"]["status"] == "dispatched"
    new_order_view = duty.get(f"/api/v1/orders/{new['order']['id']}").json()
    assert new_order_view["assigned_unit"]["code"] == "511112"
    tasks = duty.get("/api/v1/supervision/tasks?status=open").json()["tasks"]
    assert {m["task"]["id"] for m in made} <= {t["id"] for t in tasks}
    r = as_user("h_511102").post(
        f"/api/v1/supervision/tasks/{made[0]['task']['id']}/finish", json={"result": "x"}
    )
    # Another unit's task is not the handler's to read, so "not found" (issue 15).
    assert r.status_code == 404
    r = leader.post(
        f"/api/v1/supervision/tasks/{made[0]['task']['id']}/finish",
        json={"result": "抽排车辆已到场"},
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    instructions_on_order = [
        t for t in _timeline(as_user, oid) if t["action"] == "supervision.instruction"
    ]
    assert len(instructions_on_order) == 3
    r = duty.post(
        f"{base}/attachments",
        json={"kind": "recording", "title": "会议录像", "url": "https://vc.example.invalid/rec/1"},
    )
    assert r.status_code == 201, r.text
    assert duty.get(f"{base}/minutes").status_code == 409  # no minutes while open
    assert leader.get("/api/v1/supervision/my").json()["instructions"]

    # Closing: everyone still in leaves, minutes frozen, every change refused with 409.
    assert leader.post(f"{base}/close").status_code == 403
    r = duty.post(f"{base}/close")
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["status"] == "closed"
    assert all(not p["present"] for p in closed["participants"])
    assert [i["text"] for i in closed["minutes"]["instructions"]] == [
        *texts,
        "牛华镇组织人员清理淤泥",
    ]
    for method, path, body in [
        ("post", f"{base}/join", None),
        ("post", f"{base}/leave", None),
        ("post", f"{base}/instructions", {"text": "t", "owner": "o"}),
        ("post", f"{base}/attachments", {"kind": "link", "title": "t", "url": "u"}),
        ("post", f"{base}/close", None),
    ]:
        who = leader if "instructions" in path else duty
        r = who.request(method.upper(), path, json=body)
        assert r.status_code == 409, (path, r.text)
    r = webhook(
        {
            "event_id": uuid.uuid4().hex,
            "event": "participant.joined",
            "session_id": sid,
            "participant": {"user": "leader"},
        }
    )
    assert r.status_code == 409
    assert sid not in _live_sessions(live)
    # Amendments are appended, the record stays as it was.
    r = duty.post(f"{base}/amendments", json={"text": "补充：积水已于11:40全部排除。"})
    assert r.status_code == 201, r.text
    after = duty.get(base).json()
    assert [a["text"] for a in after["amendments"]] == ["补充：积水已于11:40全部排除。"]
    assert after["minutes"]["instructions"] == closed["minutes"]["instructions"]
    html = duty.get(f"{base}/minutes?format=html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    for text in [*texts, "补充：积水已于11:40全部排除。", "分管副市长", "牛华镇镇长", "会议录像"]:
        assert text in html.text, text
    pdf = duty.get(f"{base}/minutes?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).replace(
        "\n", ""
    )
    assert "视频督办会议纪要" in text and texts[0] in text
    closed_timeline = [
        t for t in _timeline(as_user, oid) if t["action"] == "supervision.session_closed"
    ]
    assert len(closed_timeline) == 1


def _reply(as_user: Client, oid: str, unit: str = "511102") -> None:
    r = as_user(f"h_{unit}").post(f"/api/v1/orders/{oid}/actions/reply", json={"note": "已处理"})
    assert r.status_code == 200, r.text


def _callback(as_user: Client, oid: str, rating: str, solved: bool) -> dict[str, Any]:
    duty = as_user("duty")
    r = duty.post(f"/api/v1/supervision/orders/{oid}/callback")
    assert r.status_code == 201, r.text
    r = duty.post(
        f"/api/v1/supervision/callbacks/{r.json()['id']}", json={"rating": rating, "solved": solved}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_callbacks_reopen_orders_up_to_the_limit(as_user: Client) -> None:
    oid = _order(as_user)
    handler = as_user("h_511102")
    _reply(as_user, oid)
    # The timer opens the callback task of a replied order.
    _tick(as_user("duty"))
    pending = as_user("duty").get("/api/v1/supervision/callbacks").json()["callbacks"]
    assert oid in {c["order_id"] for c in pending}
    for n in (1, 2):
        got = _callback(as_user, oid, "unsatisfied", False)
        assert (got["outcome"], got["order_status"], got["reopens"]) == ("reopen", "dispatched", n)
        assert handler.post(f"/api/v1/orders/{oid}/actions/accept").status_code == 200
        _reply(as_user, oid)
    # Third time unsatisfied: the limit (2) is used up, the order waits for supervision.
    got = _callback(as_user, oid, "unsatisfied", True)
    assert (got["outcome"], got["order_status"]) == ("limit_reached", "evaluated")
    actions = [t["action"] for t in _timeline(as_user, oid)]
    assert actions.count("reopen") == 2 and actions.count("evaluate") == 3
    assert actions[-1] == "supervision.needs_review"
    # Recording the same callback twice is refused.
    cb = as_user("duty").post(f"/api/v1/supervision/orders/{oid}/callback").json()
    assert (
        as_user("duty")
        .post(
            f"/api/v1/supervision/callbacks/{cb['id']}",
            json={"rating": "satisfied", "solved": True},
        )
        .status_code
        == 409
    )

    ok = _order(as_user)
    _reply(as_user, ok)
    assert as_user("h_511102").post(f"/api/v1/supervision/orders/{ok}/callback").status_code == 403
    got = _callback(as_user, ok, "satisfied", True)
    assert (got["outcome"], got["order_status"]) == ("close", "closed")
    # Content with the service but the problem is not solved: reopened (重办) all the same.
    unsolved = _order(as_user)
    _reply(as_user, unsolved)
    got = _callback(as_user, unsolved, "basically_satisfied", False)
    assert (got["outcome"], got["order_status"]) == ("reopen", "dispatched")


def test_rates_per_unit_on_known_orders(as_user: Client) -> None:
    # Three orders for 金口河区 received on one day long ago: nothing else falls in it.
    unit = "511113"
    day = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
    a, b, c = (
        _order(
            as_user,
            unit=unit,
            received_at=(day + timedelta(minutes=i)).isoformat(),
            address="金口河区永和镇",
        )
        for i in range(3)
    )
    handler = as_user(f"h_{unit}")
    _reply(as_user, a, unit)
    _callback(as_user, a, "satisfied", True)
    # b is returned once, the return is refused, it stays with the unit.
    assert (
        handler.post(
            f"/api/v1/orders/{b}/actions/request_return", json={"note": "不属于本单位职责"}
        ).status_code
        == 200
    )
    assert (
        as_user("dispatcher").post(f"/api/v1/orders/{b}/actions/uphold_return").status_code == 200
    )
    _reply(as_user, c, unit)
    _callback(as_user, c, "unsatisfied", False)  # reopened, not yet replied again

    q = {"unit": unit, "from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    r = as_user("leader").get("/api/v1/supervision/rates", params=q)
    assert r.status_code == 200, r.text
    got = r.json()
    (row,) = got["units"]
    assert row["unit"] == unit and row["name"]
    # Hand-computed: 3 orders; all responded and replied long after their March deadlines;
    # a replied (c's reply undone by the reopen); a satisfied, c unsatisfied; b returned
    # once; c reopened once.
    assert (row["orders"], row["replied"], row["rated"], row["content"]) == (3, 1, 2, 1)
    assert row["response_rate"] == 0.0
    assert row["resolution_rate"] == round(1 / 3, 4)
    assert row["satisfaction_rate"] == 0.5
    assert row["on_time_rate"] == 0.0
    assert row["return_rate"] == round(1 / 3, 4)
    assert row["reopen_rate"] == round(1 / 3, 4)
    assert got["overall"]["orders"] == 3
    assert handler.get("/api/v1/supervision/rates", params=q).status_code == 200
    assert as_user("h_511102").get("/api/v1/supervision/rates", params=q).status_code == 403
    bad = {**q, "from": q["to"], "to": q["from"]}
    assert as_user("leader").get("/api/v1/supervision/rates", params=bad).status_code == 422


def test_the_old_console_address_sends_people_to_leader(live: LiveCenter) -> None:
    # ?token= once: the token moves into the session cookie and leaves the URL, then the
    # old address sends the visitor on to /leader with the rest of its query string.
    for who in ("h_511102", "leader"):
        with httpx.Client(base_url=live.base_url, follow_redirects=True) as browser:
            r = browser.get("/supervision", params={"token": live.token(who), "lang": "en"})
            assert [h.status_code for h in r.history] == [303, 303]
            assert r.history[1].headers["location"] == "/leader?lang=en"
            assert r.url.path == "/leader" and r.url.query == b"lang=en"
            cookie = r.history[0].headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
            assert r.status_code == 200 and '<html lang="en">' in r.text
            assert live.token(who) not in r.text
            # Scripts only from our own server, none inline (the Content-Security-Policy).
            scripts = re.findall(r"<script\b[^>]*>", r.text)
            assert scripts and all(
                re.search(r'src="/static/', tag) or 'type="application/json"' in tag
                for tag in scripts
            ), scripts
            plain = browser.get("/supervision", follow_redirects=False)
            assert plain.status_code == 303 and plain.headers["location"] == "/leader"
    assert httpx.get(f"{live.base_url}/supervision").status_code == 401


def test_video_webhook_calls_are_fresh_and_taken_once(
    live: LiveCenter, webhook: Callable[..., httpx.Response], as_user: Callable[[str], httpx.Client]
) -> None:
    """A captured webhook call cannot be played again: without an event id a replayed
    "left" would take a leader out of the session (issue 15: signed calls cover time)."""
    sid = _session(as_user, [_order(as_user)])["id"]
    payload = {"event": "participant.left", "session_id": sid, "participant": {"user": "leader"}}
    raw = json.dumps(payload).encode()
    headers = signed_headers(SECRET, raw)
    assert webhook(payload, headers=headers).status_code == 200
    replay = webhook(payload, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["error"]["message"]
    old = str(int(time.time()) - 3600)
    stale = webhook(payload, headers={"X-Timestamp": old, "X-Signature": sign(SECRET, raw, old)})
    assert stale.status_code == 401 and "X-Timestamp" in stale.json()["error"]["message"]
    body_only = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert webhook(payload, headers={"X-Signature": body_only}).status_code == 401


def test_people_are_invited_to_a_running_session(as_user: Client) -> None:
    oid = _order(as_user)
    s = _session(as_user, [oid], invited=[{"name": "leader", "user": "leader"}])
    url = f"/api/v1/supervision/sessions/{s['id']}/invitations"
    # The township's handler cannot see the session until invited.
    assert as_user("h_511102S01").get(f"/api/v1/supervision/sessions/{s['id']}").status_code == 404
    r = as_user("leader").post(
        url,
        json={
            "invited": [
                {"name": "leader", "user": "leader"},  # already invited: left as it was
                {"name": "街道办主任", "user": "h_511102S01", "unit": "511102S01"},
                {"name": "市住建局局长"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    invited = r.json()["invited"]
    assert [i["name"] for i in invited] == ["leader", "街道办主任", "市住建局局长"]
    assert invited[0].get("invited_by") is None  # invited at the start
    assert {i["invited_by"] for i in invited[1:]} == {"leader"}
    assert all(i["invited_at"] for i in invited[1:])
    # Inviting the same people again changes nothing.
    again = as_user("duty").post(url, json={"invited": [{"name": "市住建局局长"}]})
    assert again.status_code == 200 and len(again.json()["invited"]) == 3
    # The invitee now sees the session; the order's timeline says who invited whom.
    assert as_user("h_511102S01").get(f"/api/v1/supervision/sessions/{s['id']}").status_code == 200
    step = [t for t in _timeline(as_user, oid) if t["action"] == "supervision.invited"]
    assert len(step) == 1 and step[0]["actor"] == "leader"
    assert step[0]["data"]["invited"] == ["街道办主任", "市住建局局长"]
    # Bad input names the field; callers who run no sessions are refused.
    bad = as_user("duty").post(url, json={"invited": []})
    assert bad.status_code == 422 and "invited" in bad.text
    assert as_user("dispatcher").post(url, json={"invited": [{"name": "x"}]}).status_code == 403
    missing = "/api/v1/supervision/sessions/999999/invitations"
    assert as_user("duty").post(missing, json={"invited": [{"name": "x"}]}).status_code == 404
    # Once closed, the session takes no more invitations.
    assert as_user("duty").post(f"/api/v1/supervision/sessions/{s['id']}/close").status_code == 200
    late = as_user("duty").post(url, json={"invited": [{"name": "迟到者"}]})
    assert late.status_code == 409 and "closed" in late.json()["error"]["message"]
