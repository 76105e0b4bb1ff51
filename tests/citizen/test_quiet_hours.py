"""Quiet hours (issue 21 §2): between DISPATCH_SMS_QUIET_HOURS nothing leaves but the
texts of urgent orders. A center of its own whose quiet hours cover the whole day, on the
same real Kannel gateway."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live
from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile
from tests.citizen.kannel import PASSWORD, USERNAME


def test_only_urgent_texts_leave_in_quiet_hours(
    sms_center: SmsCenter,
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    assert sms_center.kannel is not None
    port = free_port()
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("quiet-center"),
        sms_gateway="http",
        sms_http_url=sms_center.kannel.sendsms_url,
        sms_username=USERNAME,
        sms_password=PASSWORD,
        sms_callback_url=f"http://127.0.0.1:{port}",
        sms_quiet_hours="00:00-23:59",
        supervision_tick_seconds=3600,
    )
    server, thread, app = start_live(settings, port)
    try:
        quiet = SmsCenter(LiveCenter(f"http://127.0.0.1:{port}", app, {}), None)
        general_phone, urgent_phone = unique_mobile(), unique_mobile()
        general = post_order(quiet.live, order_body(general_phone))
        urgent = post_order(quiet.live, order_body(urgent_phone, urgency="urgent"))
        quiet.tick()
        held = quiet.messages(general["id"])[0]
        assert (held["state"], held["attempts"], held["error"]) == ("queued", 0, "quiet hours")
        sms_center.wait_for(lambda: sms_center.network.texts_to(urgent_phone))
        assert sms_center.network.texts_to(general_phone) == []
        assert quiet.messages(urgent["id"])[0]["state"] in ("sent", "delivered")
    finally:
        server.should_exit = True
        thread.join(10)
