"""Citizens' replies to the callback survey, through the real gateway (issue 21 §2): the
survey goes out after 办结, "1" closes the order as 满意, "3" reopens it (重办), an
unclear reply sends the callback to the desk, and a reply with no open survey goes to
the desk instead of becoming a new order."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile

UNIT = "511102"


def replied_order(sms: SmsCenter, phone: str) -> dict[str, Any]:
    """An order from ``phone``, dispatched, accepted and replied (办结) by its unit."""
    order = post_order(sms.live, order_body(phone))
    oid = order["id"]
    with sms.live.client("dispatcher") as d, sms.live.client(f"h_{UNIT}") as h:
        r = d.post(f"/api/v1/orders/{oid}/actions/dispatch", json={"unit_code": UNIT})
        assert r.status_code == 200, r.text
        assert h.post(f"/api/v1/orders/{oid}/actions/accept").status_code == 200
        r = h.post(f"/api/v1/orders/{oid}/actions/reply", json={"note": "垃圾已清运完毕。"})
        assert r.status_code == 200, r.text
    return order


def surveyed(sms: SmsCenter, phone: str) -> dict[str, Any]:
    """A replied order whose survey reached the citizen's phone."""
    order = replied_order(sms, phone)
    sms.tick()  # opens the callback task, queues the survey, sends the outbox
    sms.wait_for(lambda: [t for t in sms.network.texts_to(phone) if "请评价" in t])
    texts = sms.network.texts_to(phone)
    assert any("已办结：垃圾已清运完毕" in t for t in texts), texts
    return order


def order_now(sms: SmsCenter, oid: str) -> dict[str, Any]:
    with sms.live.client("dispatcher") as c:
        r = c.get(f"/api/v1/orders/{oid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def orders_from(sms: SmsCenter, phone: str) -> int:
    url = sms.live.center.settings.database_url
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM orders WHERE reporter_phone = %s", (phone,))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_reply_1_evaluates_the_order_satisfied(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    order = surveyed(sms_center, phone)
    sms_center.network.send(phone, "12345", "1")
    done = sms_center.wait_for(
        lambda: (o := order_now(sms_center, order["id"]))["status"] == "closed" and o
    )
    evaluations = [t for t in done["timeline"] if t["action"] == "evaluate"]
    assert evaluations and evaluations[-1]["data"]["rating"] == "satisfied"
    assert evaluations[-1]["actor"] == "sms-reply"
    assert orders_from(sms_center, phone) == 1  # the "1" made no order


def test_reply_3_reopens_the_order(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    order = surveyed(sms_center, phone)
    sms_center.network.send(phone, "12345", "3 没有解决，垃圾又堆起来了")
    o = sms_center.wait_for(
        lambda: (o := order_now(sms_center, order["id"]))["status"] == "dispatched" and o
    )
    actions = [t["action"] for t in o["timeline"]]
    assert actions[-2:] == ["evaluate", "reopen"]
    assert o["timeline"][-2]["data"] == {"rating": "unsatisfied", "solved": False}


def test_unclear_reply_sends_the_callback_to_the_desk(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    order = surveyed(sms_center, phone)
    sms_center.network.send(phone, "12345", "你们到底来没来？")

    def on_desk() -> list[dict[str, Any]]:
        with sms_center.live.client("callback") as c:
            due = c.get("/api/v1/callback-desk").json()["due"]
        return [d for d in due if d["order_id"] == order["id"] and d["desk_reason"]]

    row = sms_center.wait_for(on_desk)[0]
    assert row["last_reply"] == "你们到底来没来？" and row["phone"] == phone
    assert order_now(sms_center, order["id"])["status"] == "replied"


def test_reply_with_no_open_survey_goes_to_the_desk(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    sms_center.network.send(phone, "12345", "1")

    def on_desk() -> list[dict[str, Any]]:
        with sms_center.live.client("callback") as c:
            replies = c.get("/api/v1/callback-desk").json()["replies"]
        return [r for r in replies if r["phone"] == phone]

    got = sms_center.wait_for(on_desk)[0]
    assert got["body"] == "1"
    assert orders_from(sms_center, phone) == 0
    with sms_center.live.client("callback") as c:
        assert c.post(f"/api/v1/callback-desk/replies/{got['id']}/done").status_code == 200
        assert c.post(f"/api/v1/callback-desk/replies/{got['id']}/done").status_code == 404


def test_a_request_by_sms_still_becomes_an_order(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    sms_center.network.send(phone, "12345", "滨江路的路灯坏了一个星期了，晚上很黑，请尽快修理")
    sms_center.wait_for(lambda: orders_from(sms_center, phone) == 1)


def test_reports_count_evaluations_by_sms_phone_and_none(sms_center: SmsCenter) -> None:
    def sources() -> dict[str, int]:
        day = sms_center.live.center.today().isoformat()
        with sms_center.live.client("duty") as c:
            r = c.get("/api/v1/reports/daily", params={"date": day})
        assert r.status_code == 200, r.text
        return dict(r.json()["evaluations"])

    before = sources()
    by_sms = surveyed(sms_center, unique_mobile())
    by_phone = surveyed(sms_center, unique_mobile())
    surveyed(sms_center, unique_mobile())  # never answered
    phone_of_sms = next(
        r for _, r, t in sms_center.network.received if by_sms["number"] in t and "请评价" in t
    )
    sms_center.network.send(phone_of_sms, "12345", "2 已解决")
    sms_center.wait_for(lambda: order_now(sms_center, by_sms["id"])["status"] == "closed")
    with sms_center.live.client("callback") as c:
        due = c.get("/api/v1/callback-desk").json()["due"]
        cb = next(d for d in due if d["order_id"] == by_phone["id"])
        r = c.post(
            f"/api/v1/supervision/callbacks/{cb['callback_id']}",
            json={"rating": "satisfied", "solved": True},
        )
        assert r.status_code == 200, r.text
    after = sources()
    assert after["sms"] - before["sms"] == 1
    assert after["phone"] - before["phone"] == 1
    assert after["none"] - before["none"] == 1
