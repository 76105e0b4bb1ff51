"""A wall screen's long-lived token reads the wall and nothing else (see also
``test_wall_scope.py``)."""

from __future__ import annotations

import httpx

from tests.api.conftest import LiveCenter, new_order


def test_wall_token_is_long_lived_and_reads_only_the_wall(live: LiveCenter) -> None:
    with live.client("duty") as duty:
        r = duty.post("/api/v1/auth/wall-token")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expires_in"] == 30 * 24 * 3600
    wall = {"Authorization": f"Bearer {body['access_token']}"}
    with httpx.Client(base_url=live.base_url, headers=wall, timeout=10) as c:
        # Issue 15: it once read every route its issuer could (orders with full phones).
        assert c.get("/api/v1/orders").status_code == 403
        assert c.get("/api/v1/wallboard/sections/kpi").status_code == 200
        refused = c.post("/api/v1/orders", json=new_order())
        assert refused.status_code == 403
        assert "reads the wall and nothing else" in refused.json()["error"]["message"]
        assert c.post("/api/v1/auth/wall-token").status_code == 403
    page = httpx.get(
        f"{live.base_url}/wallboard", params={"token": body["access_token"]}, timeout=10
    )
    assert page.status_code == 303 and "dc_session" in page.headers.get("set-cookie", "")


def test_only_duty_officers_and_admins_issue_wall_tokens(live: LiveCenter) -> None:
    for username, expected in (("dispatcher", 403), ("leader", 403), ("admin", 200)):
        with live.client(username) as c:
            assert c.post("/api/v1/auth/wall-token").status_code == expected, username
