"""Weak passwords and signing keys are refused (issue 15, Low): ``aaaaaaaaaa`` for an
admin and ``changeme`` × 4 as ``DISPATCH_SECRET_KEY`` were accepted.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from dispatch_center.settings import Settings
from tests.api.conftest import PASSWORD, LiveCenter

WEAK = [
    "aaaaaaaaaa",  # the review's admin password
    "abcabcabcabc",
    "1234567890",
    "qwertyuiop12",
    "P@ssw0rd2026!",
    "woaini1314",
    "Password123",
]


@pytest.mark.parametrize("password", WEAK)
def test_a_weak_password_is_refused_for_a_new_user(live: LiveCenter, password: str) -> None:
    body = {"username": "weak_admin_x", "password": password, "role": "admin"}
    with live.client("admin") as admin:
        r = admin.post("/api/v1/users", json=body)
        assert r.status_code == 422, f"{password!r}: {r.status_code} {r.text}"
        assert "password" in r.json()["error"]["fields"]
        names = {u["username"] for u in admin.get("/api/v1/users").json()["users"]}
    assert "weak_admin_x" not in names


def test_a_password_with_the_username_is_refused(live: LiveCenter) -> None:
    body = {"username": "zhang_wei_9", "password": "Zhang_Wei_9-2026", "role": "leader"}
    with live.client("admin") as admin:
        r = admin.post("/api/v1/users", json={**body, "unit_code": "511100"})
    assert r.status_code == 422
    assert "username" in r.json()["error"]["fields"]["password"]


def test_a_weak_new_password_is_refused(live: LiveCenter, make_user: Callable[..., str]) -> None:
    user = make_user("dispatcher", "511100")
    token = httpx.post(
        f"{live.base_url}/api/v1/auth/token", data={"username": user, "password": PASSWORD}
    ).json()["access_token"]
    r = httpx.post(
        f"{live.base_url}/api/v1/auth/password",
        headers={"Authorization": f"Bearer {token}"},
        data={"old_password": PASSWORD, "new_password": "aaaaaaaaaa"},
    )
    assert r.status_code == 422
    assert "new_password" in r.json()["error"]["fields"]
    # Nothing changed: the old password and token still work.
    me = httpx.get(f"{live.base_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "changeme" * 4,  # the review's key: 32 characters of a repeated placeholder
        "x" * 40,
        "please-change-me-to-a-real-secret-key",
        "abcdefghijklmnopqrstuvwxyz0123456789",
    ],
)
def test_a_weak_signing_key_is_refused_outside_the_demo(key: str) -> None:
    with pytest.raises(ValidationError, match="DISPATCH_SECRET_KEY"):
        Settings(secret_key=key, demo=False)
    Settings(secret_key=key, demo=True)  # the demo makes its own key per data directory


def test_a_random_signing_key_is_accepted() -> None:
    assert Settings(secret_key="q0H3v_Pn2c8Y-rWbL1tK6uZxFj4aMdSe", demo=False).secret_key
