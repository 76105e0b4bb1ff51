"""Hostile or odd client input to the intake and feed routes: always a 4xx naming the field,
never a 500 (issue 15, Low)."""

from __future__ import annotations

import pytest

from tests.api.conftest import LiveCenter
from tests.intake.conftest import source

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
