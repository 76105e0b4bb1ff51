"""Hostile or odd client input to the intake and feed routes: always a 4xx naming the field,
never a 500 (issue 15, Low)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import fixture_bytes, source

# -- the 110 connector's "handed over" report ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"[]", "body"),
        (b"not json", "body"),
        (b'{"ids": 5}', "ids"),
        (b'{"ids": [["x"]]}', "ids.0"),
        (b'{"ids": "1"}', "ids"),
    ],
)
def test_outbox_sent_bad_body_is_422_naming_the_field(
    feeds_live: LiveCenter, raw: bytes, field: str
) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/police110/outbox/sent", content=raw)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"], r.json()


def test_outbox_sent_good_body_still_marks(feeds_live: LiveCenter) -> None:
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/police110/outbox/sent", json={"ids": []})
    assert r.status_code == 200, r.text
    assert r.json() == {"marked": 0}


# -- a NUL character in a payload ---------------------------------------------------------


def test_nul_in_a_feed_payload_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("skynet", "rubbish_jiading.json"))
    doc["alarmId"] = f"NUL-{time.time_ns()}"
    doc["cameraName"] = "嘉定中路\x00白塔街"
    with source(feeds_live) as c:
        r = c.post("/api/v1/feeds/skynet/events", content=json.dumps(doc).encode())
    assert r.status_code == 422, r.text
    assert "cameraName" in r.json()["error"]["fields"], r.json()


def test_nul_in_the_seat_form_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    form = {
        **json.loads(fixture_bytes("voice", "agent_form.json")),
        "callId": f"NUL-{time.time_ns()}",
        "description": "地下车库进水\x00请求排水",
    }
    with feeds_live.client("dispatcher") as c:
        r = c.post("/api/v1/intake/voice/form", json=form)
    assert r.status_code == 422, r.text
    assert "description" in r.json()["error"]["fields"], r.json()


def test_nul_in_a_letter_form_is_422_naming_the_field(feeds_live: LiveCenter) -> None:
    doc = json.loads(fixture_bytes("letter", "registered_letter.json"))
    scan = base64.b64decode(doc["scan"]["contentBase64"])
    form = {k: v for k, v in doc.items() if isinstance(v, str)}
    form["registrationNo"] = f"NUL{time.time_ns()}"
    form["summary"] = "小区物业\x00乱收费"
    with feeds_live.client("dispatcher") as c:
        r = c.post(
            "/api/v1/intake/letters",
            data=form,
            files={"scan": (doc["scan"]["filename"], scan, doc["scan"]["contentType"])},
        )
    assert r.status_code == 422, r.text
    assert "summary" in r.json()["error"]["fields"], r.json()
