"""Personal data never reaches a screen, on the fast path as on the full walk."""

from __future__ import annotations

import orjson
import pytest

from wallboard import protocol


@pytest.mark.parametrize("key", sorted(protocol.PERSONAL_KEYS))
def test_every_personal_key_is_caught_by_the_fast_check(key: str) -> None:
    # A personal key added later without widening the fast check would slip through.
    payload = {"events": [{"values": {"nested": [{key: "13800000000", "ok": 1}]}}]}
    assert protocol._PERSONAL_KEY_START.search(orjson.dumps(payload)) is not None
    masked = protocol.mask_fast(payload)
    assert key not in orjson.dumps(masked).decode()
    assert masked["events"][0]["values"]["nested"][0] == {"ok": 1}


def test_a_delta_of_a_feed_change_with_a_reporter_deep_inside_is_masked() -> None:
    change = {
        "seq": 3,
        "at": None,
        "kind": "feed.event",
        "entity_id": "wechat",
        "payload": {"events": [{"title": "积水", "reporter": {"name": "张三"}}], "count": 1},
    }
    msg = protocol.delta(change)
    assert msg["events"] == [{"title": "积水"}]
    assert "张三" not in orjson.dumps(msg).decode()


def test_a_payload_without_personal_keys_is_passed_as_is() -> None:
    payload = {"events": [{"title": "五通桥站", "values": {"level_m": 361.2}}]}
    assert protocol.mask_fast(payload) is payload
