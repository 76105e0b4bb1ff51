"""Phone masking by role, and order numbers."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch_center.core.numbering import format_order_number, parse_order_number
from dispatch_center.core.privacy import mask_phone, phone_for_role
from dispatch_center.core.roles import ROLES_SEEING_FULL_PHONE, Role


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("  13812345678 ", "138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("008613812345678", "+86 138****5678"),
        ("0833-2134567", "0833-***4567"),
        ("0833 2134567", "0833-***4567"),
        ("(0833) 2134567", "0833-***4567"),
        ("08332134567", "0833-***4567"),
        ("028-12345678", "028-****5678"),
        ("2134567", "***4567"),
        ("+86 0833-2134567", "+86 0833-***4567"),
        ("12345", "***45"),
        ("110", "*10"),
        ("7", "****"),
        ("匿名", "****"),
        ("+1 415 555 2671", "+********71"),
        ("0833-2134567-8001", "*************01"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138 1234 5678", "0833-2134567", "12345", "匿名"]
)
def test_masking_twice_changes_nothing(phone: str) -> None:
    once = mask_phone(phone)
    assert mask_phone(once) == once


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138 1234 5678", "0833-2134567", "028-12345678", "12345"]
)
def test_masked_number_hides_the_middle_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked is not None and "*" in masked
    digits = "".join(c for c in phone if c.isdigit())
    shown = "".join(c for c in masked if c.isdigit())
    assert len(shown) < len(digits)


@pytest.mark.parametrize("role", list(Role))
def test_phone_for_role(role: Role) -> None:
    full = role in {
        Role.admin,
        Role.duty_officer,
        Role.dispatcher,
        Role.handler,
        Role.call_taker,
        Role.callback_agent,
    }
    assert (role in ROLES_SEEING_FULL_PHONE) is full
    expected = "13812345678" if full else "138****5678"
    assert phone_for_role("13812345678", role) == expected
    assert phone_for_role("13812345678", role.value) == expected
    assert phone_for_role(None, role) is None


def test_unknown_role_sees_a_masked_number() -> None:
    assert phone_for_role("13812345678", "visitor") == "138****5678"


@pytest.mark.parametrize(
    ("day", "serial", "prefix", "number"),
    [
        (date(2026, 11, 27), 42, "LS", "LS2026112700042"),
        (date(2026, 1, 1), 1, "LS", "LS2026010100001"),
        (date(2026, 12, 31), 99_999, "LS", "LS2026123199999"),
        (date(2026, 11, 27), 7, "EMS", "EMS2026112700007"),
    ],
)
def test_order_number_round_trip(day: date, serial: int, prefix: str, number: str) -> None:
    assert format_order_number(day, serial, prefix) == number
    assert parse_order_number(number) == (prefix, day, serial)


def test_default_prefix_is_leshan() -> None:
    assert format_order_number(date(2026, 11, 27), 42) == "LS2026112700042"


@pytest.mark.parametrize("serial", [0, -1, 100_000, True])
def test_serial_out_of_range(serial: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        format_order_number(date(2026, 11, 27), serial)


@pytest.mark.parametrize("prefix", ["", "L5", "ls", "乐山"])
def test_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        format_order_number(date(2026, 11, 27), 1, prefix)


def test_parse_tolerates_hand_typing() -> None:
    assert parse_order_number(" ls2026112700042 ") == ("LS", date(2026, 11, 27), 42)


@pytest.mark.parametrize(
    "text",
    [
        "LS202611270004",  # serial too short
        "LS20261127000420",  # too long
        "2026112700042",  # no prefix
        "LS2026023000042",  # 30 February
        "LS2026112700000",  # serial 0
        "LS-2026112700042",
        "",
    ],
)
def test_parse_refuses_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="not an order number"):
        parse_order_number(text)
