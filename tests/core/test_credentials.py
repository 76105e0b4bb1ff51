"""The password and signing-key policy (dispatch_center.core.credentials)."""

from __future__ import annotations

import secrets

import pytest

from dispatch_center.core.credentials import password_problem, signing_key_problem


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        ("aaaaaaaaaa", "admin", "repeats"),
        ("short-1", "x", "shorter"),
        ("aabbaabbab", "x", "different"),
        ("1234567890abc", "x", "run"),
        ("zxcvbnm,./12", "x", "run"),
        ("9876543210zz", "x", "run"),
        ("h_511102-password", "h_511102", "username"),
        ("Admin!Secure77", "admin", "username"),
        ("nimda-secure-77", "admin", "username"),  # the username backwards
        ("Password2026!", "x", "common"),
        ("p@ssw0rd-2026", "x", "common"),
        ("5201314520", "x", "common"),
        ("!!woaini1314!!", "x", "common"),
    ],
)
def test_weak_passwords_say_why(password: str, username: str, reason: str) -> None:
    problem = password_problem(password, username)
    assert problem is not None and reason in problem, (password, problem)


@pytest.mark.parametrize(
    "password",
    ["test-password-123", "Leshan-harbour-7781", "大渡河-防汛-2026", "correct horse battery"],
)
def test_ordinary_good_passwords_pass(password: str) -> None:
    assert password_problem(password, "duty") is None


def test_random_keys_pass_and_placeholders_do_not() -> None:
    for _ in range(2000):
        assert signing_key_problem(secrets.token_urlsafe(48)) is None
        assert signing_key_problem(secrets.token_hex(16)) is None
    for weak in ("changeme" * 4, "secret", "", "0" * 64, "0123456789" * 4):
        assert signing_key_problem(weak) is not None, weak
