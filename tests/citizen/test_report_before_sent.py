"""A delivery report that comes before the center has recorded the text as sent.

An HTTP gateway may call the ``dlr-url`` while its ``sendsms`` request is still open (a
carrier that answers at once): the report then reaches the center before the gateway's
answer does. The outside system here is such a gateway, a small HTTP server that calls
the report URL first and answers ``202`` after. Nothing may wait on the other: the text is
sent on the first try and ends delivered, not retried, not left 'sent'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live
from tests.citizen.conftest import SmsCenter, order_body, post_order, unique_mobile


class EagerGateway(ThreadingHTTPServer):
    """Reports each text delivered before it answers the ``sendsms`` request."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.reports: list[tuple[str, int]] = []


class _Handler(BaseHTTPRequestHandler):
    server: EagerGateway

    def do_GET(self) -> None:
        q = parse_qs(urlsplit(self.path).query)
        dlr = q["dlr-url"][0].replace("%d", "1")  # 1: delivered to the phone
        try:
            r = httpx.get(dlr, timeout=20)
            self.server.reports.append((q["to"][0], r.status_code))
        except httpx.HTTPError as exc:
            self.server.reports.append((q["to"][0], -1))
            self.log_error("dlr-url failed: %r", exc)
        body = b"0: Accepted for delivery"
        self.send_response(202)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def eager_center(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SmsCenter, EagerGateway]]:
    gateway = EagerGateway(free_port())
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("eager-center"),
        sms_gateway="http",
        sms_http_url=f"http://127.0.0.1:{gateway.server_address[1]}/cgi-bin/sendsms",
        sms_username="dispatch",
        sms_password="eager-test-pass",
        sms_callback_url=base,
        sms_quiet_hours="",
        sms_retry_base_s=0,
        supervision_tick_seconds=3600,
    )
    server, thread, app = start_live(settings, port)
    try:
        yield SmsCenter(LiveCenter(base, app, {}), None), gateway
    finally:
        server.should_exit = True
        thread.join(10)
        gateway.shutdown()
        gateway.server_close()


def test_report_before_the_sent_state_is_kept(
    eager_center: tuple[SmsCenter, EagerGateway],
) -> None:
    center, gateway = eager_center
    phone = unique_mobile()
    order = post_order(center.live, order_body(phone))
    center.tick()
    assert (phone, 200) in gateway.reports
    m = center.wait_for(
        lambda: [m for m in center.messages(order["id"]) if m["state"] == "delivered"]
    )[0]
    assert m["attempts"] == 1 and m["error"] is None
    assert m["sent_at"] and m["delivered_at"]
