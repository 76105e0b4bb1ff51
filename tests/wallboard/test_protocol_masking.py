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


def test_free_text_of_any_other_change_is_redacted() -> None:
    # A callback's outcome is what the citizen said on the phone: it fans out to every wall.
    change = {
        "seq": 4,
        "at": None,
        "kind": "supervision.callback",
        "entity_id": "12",
        "payload": {"outcome": "市民不满意，留了新号码 139 1111 2222，身份证51110219900101123X"},
    }
    text = orjson.dumps(protocol.delta(change)).decode()
    assert "139 1111 2222" not in text and "51110219900101123X" not in text
    assert "139****2222" in text


def test_feed_events_logged_before_the_allow_list_are_cut_on_the_way_out() -> None:
    # A change-log row written by an older version still holds the 110 caller's number.
    event = {
        "system": "police110",
        "kind": "police110.transfer",
        "title": "110转办：噪音，回电15912345678",
        "values": {"jjdbh": "J1", "bjr": "刘女士", "bjdh": "13881390021", "fadz": "嘉州苑"},
    }
    change = {
        "seq": 5,
        "at": None,
        "kind": "feed.event",
        "entity_id": "police110",
        "payload": {"system": "police110", "count": 1, "events": [event]},
    }
    (shown,) = protocol.delta(change)["events"]
    assert shown["values"] == {"jjdbh": "J1", "fadz": "嘉州苑"}
    assert shown["title"] == "110转办：噪音，回电159****5678"
