"""Texts to citizens over a real Kannel gateway (issue 21 §1): the receipt is queued at
once, sent through ``sendsms`` and marked delivered by Kannel's delivery report; a
number the gateway refuses is retried with backoff and then marked failed."""

from __future__ import annotations

from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile
from tests.citizen.kannel import DENIED_PREFIX


def test_receipt_is_sent_and_delivered(sms_center: SmsCenter) -> None:
    phone = unique_mobile()
    order = post_order(sms_center.live, order_body(phone))
    queued = sms_center.messages(order["id"])
    assert [(m["template"], m["state"]) for m in queued] == [("receipt", "queued")]
    assert queued[0]["to"] == phone[:3] + "****" + phone[-4:]

    sms_center.tick()
    texts = sms_center.wait_for(lambda: sms_center.network.texts_to(phone))
    assert order["number"] in texts[0] and f"{sms_center.live.base_url}/status" in texts[0]
    assert "受理" in texts[0]
    final = sms_center.wait_for(
        lambda: [m for m in sms_center.messages(order["id"]) if m["state"] == "delivered"]
    )
    assert final[0]["template"] == "receipt" and final[0]["delivered_at"]


def test_refused_number_is_retried_then_failed(sms_center: SmsCenter) -> None:
    phone = DENIED_PREFIX + "0000" + unique_mobile()[-3:]
    # A denied prefix is still a mobile to us (17x): the gateway is the one refusing it.
    order = post_order(sms_center.live, order_body(phone))
    states = []
    for _ in range(3):  # DISPATCH_SMS_MAX_ATTEMPTS=3, no backoff wait in this center
        sms_center.tick()
        m = sms_center.messages(order["id"])[0]
        states.append((m["state"], m["attempts"]))
    assert states == [("queued", 1), ("queued", 2), ("failed", 3)]
    last = sms_center.messages(order["id"])[0]
    assert "403" in (last["error"] or "") or "denied" in (last["error"] or "").lower()
    assert sms_center.network.texts_to(phone) == []


def test_one_number_gets_at_most_its_hourly_limit(sms_center: SmsCenter) -> None:
    limit = sms_center.live.center.settings.sms_per_number_per_hour
    phone = unique_mobile()
    orders = [post_order(sms_center.live, order_body(phone)) for _ in range(limit + 1)]
    sms_center.tick()
    states = [sms_center.messages(o["id"])[0] for o in orders]
    assert sum(m["state"] in ("sent", "delivered") for m in states) == limit
    held = [m for m in states if m["state"] == "queued"]
    assert len(held) == 1 and held[0]["attempts"] == 0
    assert held[0]["error"] == "number's hourly limit"
