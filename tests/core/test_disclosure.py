"""Free text shown outside an order's own handlers: phone and ID-card numbers redacted."""

from __future__ import annotations

import pytest

from dispatch_center.core.disclosure import redact_text, redact_value

ID_CARD = "51110219900101123X"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("回电13812345678", "回电138****5678"),
        ("回电 138 1234 5678 谢谢", "回电 138****5678 谢谢"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("0086-13812345678", "+86 138****5678"),
        ("座机0833-2134567", "座机0833-***4567"),
        ("(0833)2134567", "0833-***4567"),
        ("08332134567", "0833-***4567"),
        ("028 8765 4321", "028-****4321"),
        ("010-12345678", "010-****5678"),
        ("+86 833 2134567", "+86 0833-***4567"),
        ("电话：１３８１２３４５６７８", "电话：138****5678"),
        (f"身份证{ID_CARD}。", "身份证**************123X。"),
        ("身份证号 511102199001011234", "身份证号 **************1234"),
        ("511102200512311234x", "511102200512311234x"),  # 19 characters: no ID card
        ("两个：13812345678、13987654321", "两个：138****5678、139****4321"),
    ],
)
def test_numbers_are_redacted(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "大渡河沙湾站 60705500 水位 358.19",
        "案件号 J511100202611260417",  # a 110 case number has an ID card's digits
        "信访件 X5111002026112700031",
        "工单 LS2026112700042",
        "2026-07-12T14:30:00+08:00",
        "10kV 定中线",
        "12345热线 110 119",
        "摄像头 51118100001320005524",
        "坐标 103.7665,29.5521",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact_text(f"回电13812345678或0833-2134567，身份证{ID_CARD}")
    assert redact_text(once) == once


def test_redact_value_reaches_every_string() -> None:
    got = redact_value({"a": ["13812345678", {"b": ID_CARD}], "n": 13812345678, "t": None})
    assert got == {"a": ["138****5678", {"b": "**************123X"}], "n": 13812345678, "t": None}
