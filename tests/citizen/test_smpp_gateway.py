"""The SMPP 3.4 gateway (``DISPATCH_SMS_GATEWAY=smpp``) against a carrier's SMSC that
speaks real SMPP (:mod:`tests.citizen.smsc`): the receipt text goes out as UCS-2
``submit_sm`` parts, the SMSC's message id is kept, and its delivery receipt marks the
text delivered, or failed for a number it cannot reach. A receipt the SMSC writes before
its ``submit_sm_resp`` still counts; a refused submission is retried, not taken for sent,
and the reader reads on; a dropped session is bound again without waiting for a text."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live
from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile
from tests.citizen.smsc import BARRED_PREFIX, UNREACHABLE_PREFIX, Smsc
from tests.citizen.test_callback_replies import order_now, replied_order


@pytest.fixture(scope="module")
def smpp_center(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SmsCenter, Smsc]]:
    smsc = Smsc(free_port()).start()
    port = free_port()
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("smpp-center"),
        sms_gateway="smpp",
        sms_smpp_host="127.0.0.1",
        sms_smpp_port=smsc.port,
        sms_username="dispatch",
        sms_password="smpp-test-pass",
        sms_quiet_hours="",
        sms_retry_base_s=0,
        sms_max_attempts=2,
        supervision_tick_seconds=3600,
    )
    server, thread, app = start_live(settings, port)
    live = LiveCenter(f"http://127.0.0.1:{port}", app, {})
    try:
        yield SmsCenter(live, None), smsc
    finally:
        server.should_exit = True
        thread.join(10)
        smsc.stop()


def test_receipt_over_smpp_is_delivered(smpp_center: tuple[SmsCenter, Smsc]) -> None:
    center, smsc = smpp_center
    phone = unique_mobile()
    order = post_order(center.live, order_body(phone))
    center.tick()
    got = center.wait_for(lambda: [r for r in smsc.received if r.to == phone])
    assert order["number"] in got[0].text and got[0].text.startswith("【乐山12345】")
    # No DISPATCH_PUBLIC_URL here: the text says where else to look, not a bare "/status".
    assert "致电12345" in got[0].text and "在/status" not in got[0].text
    done = center.wait_for(
        lambda: [m for m in center.messages(order["id"]) if m["state"] == "delivered"]
    )
    assert done[0]["template"] == "receipt"


def test_undeliverable_number_is_failed_by_its_receipt(
    smpp_center: tuple[SmsCenter, Smsc],
) -> None:
    center, _ = smpp_center
    phone = UNREACHABLE_PREFIX + "0000" + unique_mobile()[-3:]
    order = post_order(center.live, order_body(phone))
    center.tick()
    failed = center.wait_for(
        lambda: [m for m in center.messages(order["id"]) if m["state"] == "failed"]
    )
    assert failed[0]["attempts"] == 1 and "UNDELIV" in (failed[0]["error"] or "")


def test_survey_answered_over_smpp_evaluates_the_order(
    smpp_center: tuple[SmsCenter, Smsc],
) -> None:
    center, smsc = smpp_center
    phone = unique_mobile()
    order = replied_order(center, phone)
    center.tick()  # opens the callback task, queues the survey and sends it
    center.wait_for(lambda: [r for r in smsc.received if r.to == phone and "请评价" in r.text])
    smsc.mo(phone, "1 已解决")  # read on the transceiver bind, not through Kannel
    done = center.wait_for(
        lambda: (o := order_now(center, order["id"]))["status"] == "closed" and o
    )
    evaluations = [t for t in done["timeline"] if t["action"] == "evaluate"]
    assert evaluations[-1]["data"] == {"rating": "satisfied", "solved": True}


def test_receipt_written_before_the_submit_answer_is_not_lost(
    smpp_center: tuple[SmsCenter, Smsc],
) -> None:
    center, smsc = smpp_center
    smsc.receipt_first = True
    try:
        phone = unique_mobile()
        order = post_order(center.live, order_body(phone))
        center.tick()
        done = center.wait_for(
            lambda: [m for m in center.messages(order["id"]) if m["state"] == "delivered"]
        )
    finally:
        smsc.receipt_first = False
    assert done[0]["template"] == "receipt" and done[0]["attempts"] == 1
    assert done[0]["delivered_at"] and done[0]["error"] is None


def test_refused_submission_is_retried_then_failed_and_reading_goes_on(
    smpp_center: tuple[SmsCenter, Smsc],
) -> None:
    center, smsc = smpp_center
    barred = BARRED_PREFIX + "0000" + unique_mobile()[-3:]
    order = post_order(center.live, order_body(barred))
    states = []
    for _ in range(2):  # DISPATCH_SMS_MAX_ATTEMPTS=2 here, no backoff wait
        center.tick()
        m = center.messages(order["id"])[0]
        states.append((m["state"], m["attempts"]))
    assert states == [("queued", 1), ("failed", 2)]
    assert "SMSC refused (11)" in (center.messages(order["id"])[0]["error"] or "")
    assert smsc.refused.count(barred) >= 2  # each try's parts, all refused
    assert barred not in [r.to for r in smsc.received]
    # The refusal did not end the reader: the next text's receipt is still read.
    phone = unique_mobile()
    ok = post_order(center.live, order_body(phone))
    center.tick()
    center.wait_for(lambda: [m for m in center.messages(ok["id"]) if m["state"] == "delivered"])


def test_dropped_session_is_bound_again_by_the_reader(
    smpp_center: tuple[SmsCenter, Smsc],
) -> None:
    center, smsc = smpp_center
    before = smsc.binds
    assert before >= 1
    smsc.unbind_all()
    # No text is waiting: the reader binds again by itself (the SMSC keeps receipts for a
    # bind that is gone until one is back).
    deadline = time.monotonic() + 20
    while smsc.binds == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert smsc.binds > before
    phone = unique_mobile()
    order = post_order(center.live, order_body(phone))
    center.tick()
    center.wait_for(lambda: [m for m in center.messages(order["id"]) if m["state"] == "delivered"])
