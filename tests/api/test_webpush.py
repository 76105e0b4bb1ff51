"""Web Push to the handlers' phones (issue 18 §5): a phone subscribes; a new order passed
to its unit and a 督办单 reach it through the outbox's ``webpush`` channel, encrypted for
that phone and signed with the center's VAPID key. The push service is an outside system:
a small HTTP server here stands in for it and records what it receives.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.api.conftest import LiveCenter, new_order

UNIT = "511102S01"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class PushService:
    """Records every push it is sent; answers 201 like a browser vendor's service, or
    ``status`` for a path set there."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                self.send_response(service.status.get(self.path, 201))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def service() -> Iterator[PushService]:
    s = PushService()
    yield s
    s.server.shutdown()


def _phone() -> tuple[ec.EllipticCurvePrivateKey, bytes, dict[str, str]]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    return key, auth, {"p256dh": _b64(public), "auth": _b64(auth)}


def _read(push: dict[str, Any], key: ec.EllipticCurvePrivateKey, auth: bytes) -> dict[str, Any]:
    plain = http_ece.decrypt(push["body"], private_key=key, auth_secret=auth, version="aes128gcm")
    return dict(json.loads(plain))


def test_a_subscribed_phone_hears_of_new_orders_and_supervision(
    live: LiveCenter, service: PushService, make_user: Callable[..., str]
) -> None:
    street = make_user("handler", UNIT, prefix="push")
    key, auth, keys = _phone()
    with live.client(street) as c:
        public = c.get("/api/v1/push/key").json()["public_key"]
        assert public and len(base64.urlsafe_b64decode(public + "==")) == 65
        bad = c.post("/api/v1/push/subscriptions", json={"endpoint": "ftp://x", "keys": keys})
        assert bad.status_code == 422 and "endpoint" in str(bad.json()["error"]["fields"])
        r = c.post(
            "/api/v1/push/subscriptions", json={"endpoint": f"{service.url}/s/1", "keys": keys}
        )
        assert r.status_code == 200 and r.json()["unit"] == UNIT, r.text
    with live.client("dispatcher") as c:
        oid = str(c.post("/api/v1/orders", json=new_order()).json()["id"])
        r = c.post(f"/api/v1/orders/{oid}/actions/dispatch", json={"unit_code": "511102"})
        assert r.status_code == 200, r.text
    with live.client("h_511102") as c:
        assert c.post(f"/api/v1/orders/{oid}/actions/accept").status_code == 200
        r = c.post(f"/api/v1/orders/{oid}/actions/assign_down", json={"unit_code": UNIT})
        assert r.status_code == 200, r.text
        number = r.json()["number"]
    answer_by = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    with live.client("duty") as c:
        r = c.post(
            f"/api/v1/supervision/orders/{oid}/supervision-orders",
            json={"level": "urge", "requirement": "请加快办理", "answer_by": answer_by},
        )
        assert r.status_code == 201, r.text
        before = len(service.received)
        r = c.post("/api/v1/supervision/tick")  # the timer's pass delivers the outbox
        assert r.status_code == 200, r.text
    mine = [p for p in service.received[before:] if p["path"] == "/s/1"]
    texts = [_read(p, key, auth)["body"] for p in mine]
    assert any("新工单" in t and number in t for t in texts), texts
    assert any("催办" in t and "请加快办理" in t for t in texts), texts
    headers = mine[0]["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    vapid = headers["authorization"]
    assert vapid.startswith("vapid t=") and f"k={public}" in vapid
    # Each message once: a second pass sends nothing again.
    with live.client("duty") as c:
        c.post("/api/v1/supervision/tick")
    assert [p for p in service.received if p["path"] == "/s/1"] == [
        p for p in service.received if p["path"] == "/s/1"
    ][: len(mine) + sum(1 for p in service.received[:before] if p["path"] == "/s/1")]


def test_a_phone_that_left_is_forgotten(
    live: LiveCenter, service: PushService, make_user: Callable[..., str]
) -> None:
    village = make_user("handler", "511102S02", prefix="gone")
    _, _, keys = _phone()
    service.status["/s/gone"] = 410
    with live.client(village) as c:
        r = c.post(
            "/api/v1/push/subscriptions", json={"endpoint": f"{service.url}/s/gone", "keys": keys}
        )
        assert r.status_code == 200
    with live.client("dispatcher") as c:
        oid = str(c.post("/api/v1/orders", json=new_order()).json()["id"])
        r = c.post(f"/api/v1/orders/{oid}/actions/dispatch", json={"unit_code": "511102S02"})
        assert r.status_code == 200, r.text
    with live.client("duty") as c:
        c.post("/api/v1/supervision/tick")
    assert len([p for p in service.received if p["path"] == "/s/gone"]) == 1
    with live.client("dispatcher") as c:
        r = c.post(f"/api/v1/orders/{oid}/actions/redispatch", json={"unit_code": "511102"})
        assert r.status_code == 200
        r = c.post(f"/api/v1/orders/{oid}/actions/redispatch", json={"unit_code": "511102S02"})
        assert r.status_code == 200
    with live.client("duty") as c:
        c.post("/api/v1/supervision/tick")
    # Gone (410) after the first push: no subscription left, nothing queued, nothing sent.
    assert len([p for p in service.received if p["path"] == "/s/gone"]) == 1
