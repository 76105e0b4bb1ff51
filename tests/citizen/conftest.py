"""A live center whose SMS goes through a real Kannel gateway (:mod:`tests.citizen.kannel`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.messaging.gateways import inbound_key
from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, start_live
from tests.citizen import kannel as k


@dataclass
class SmsCenter:
    """The center on a socket, the gateway, and the phone network behind it."""

    live: LiveCenter
    kannel: k.Kannel | None

    @property
    def network(self) -> k.PhoneNetwork:
        assert self.kannel is not None and self.kannel.network is not None
        return self.kannel.network

    def tick(self) -> dict[str, Any]:
        """One pass of the supervision timer (which delivers the outbox); a pass of the
        timer's own (at start-up) holds the lock for a while: wait for it."""
        deadline = time.monotonic() + 30
        with self.live.client("admin") as c:
            while True:
                r = c.post("/api/v1/supervision/tick")
                assert r.status_code == 200, r.text
                if not r.json().get("skipped") or time.monotonic() > deadline:
                    return dict(r.json())
                time.sleep(0.2)

    def messages(self, order_id: str) -> list[dict[str, Any]]:
        with self.live.client("dispatcher") as c:
            r = c.get("/api/v1/outbox", params={"channel": "sms", "order_id": order_id})
        assert r.status_code == 200, r.text
        return list(r.json()["messages"])

    def wait_for(self, what: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Poll ``what`` until it returns something true (the gateway is another process)."""
        deadline = time.monotonic() + timeout
        while True:
            got = what()
            if got:
                return got
            if time.monotonic() > deadline:
                if self.kannel is None:
                    raise AssertionError(f"timed out; last: {got!r}")
                raise AssertionError(
                    f"timed out; phone network: {self.network.errors[:3]}"
                    f" {self.network.received[-3:]}; kannel logs:\n{self.kannel.logs()}"
                )
            time.sleep(0.2)


@pytest.fixture(scope="session")
def sms_center(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SmsCenter]:
    """A center with ``DISPATCH_SMS_GATEWAY=http`` pointed at a real Kannel."""
    if not k.installed():
        pytest.skip(
            f"{k.BEARERBOX} is missing: install Debian's kannel package"
            " (apt-get install -y kannel; scripts/test does)"
        )
    ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "fake")}
    app_port = free_port()
    data_dir: Path = tmp_path_factory.mktemp("sms-center")
    base = f"http://127.0.0.1:{app_port}"
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=data_dir,
        sms_gateway="http",
        sms_http_url=f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms",
        sms_username=k.USERNAME,
        sms_password=k.PASSWORD,
        sms_callback_url=base,
        public_url=base,
        sms_quiet_hours="",  # the quiet hours have their own tests; these run any time
        sms_retry_base_s=0,
        sms_max_attempts=3,
        supervision_tick_seconds=3600,
    )
    server, thread, app = start_live(settings, app_port)
    live = LiveCenter(base, app, {})
    key = inbound_key(app.state.center.secret_key)
    mo_url = f"{base}/api/v1/sms/inbound?key={key}&from=%p&to=%P&text=%a&id=%I"
    gateway = k.Kannel(tmp_path_factory.mktemp("kannel"), ports, mo_url)
    try:
        gateway.start()
    except Exception:
        gateway.stop()
        server.should_exit = True
        thread.join(10)
        raise
    try:
        yield SmsCenter(live, gateway)
    finally:
        gateway.stop()
        server.should_exit = True
        thread.join(10)


def order_body(phone: str, **overrides: Any) -> dict[str, Any]:
    """A new order reported from ``phone``."""
    body: dict[str, Any] = {
        "channel": "phone",
        "category": {"type": "complaint", "code": "urban.sanitation"},
        "urgency": "general",
        "description": "嘉州长卷附近垃圾堆积三天无人清运",
        "location": {"lon": 103.7665, "lat": 29.5521},
        "address": "乐山市市中区滨江路",
        "reporter": {"name": "张先生", "phone": phone},
    }
    body.update(overrides)
    return body


def unique_mobile() -> str:
    """A mobile number no other test uses."""
    return "139" + str(time.time_ns())[-8:]


def post_order(live: LiveCenter, body: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=live.base_url, timeout=10) as c:
        c.headers["Authorization"] = f"Bearer {live.token('dispatcher')}"
        r = c.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
