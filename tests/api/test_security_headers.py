"""Every answer tells the browser: no framing, no sniffing, no referrer, scripts only from
this server; answers with personal data are never kept by a browser or a proxy."""

from __future__ import annotations

import httpx
import pytest

from dispatch_center.api.browser import content_security_policy
from tests.api.conftest import LiveCenter, new_order


def _directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_browser_headers(r: httpx.Response) -> None:
    h = r.headers
    assert h.get("x-frame-options") == "DENY", (r.url, dict(h))
    assert h.get("x-content-type-options") == "nosniff", r.url
    assert h.get("referrer-policy") == "no-referrer", r.url
    csp = _directives(h.get("content-security-policy", ""))
    assert csp.get("script-src") == ["'self'"], (r.url, csp)
    assert csp.get("default-src") == ["'self'"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("object-src") == ["'none'"] and csp.get("base-uri") == ["'none'"]


@pytest.fixture
def order_id(live: LiveCenter) -> str:
    with live.client("dispatcher") as c:
        r = c.post("/api/v1/orders", json=new_order())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_every_kind_of_answer_carries_the_headers(live: LiveCenter, order_id: str) -> None:
    token = live.token("duty")
    auth = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=live.base_url, timeout=20) as c,
        httpx.Client(base_url=live.base_url, timeout=20, cookies={"dc_session": token}) as page,
    ):
        answers = [
            c.get("/healthz"),
            c.get("/openapi.json"),
            c.get("/docs"),
            c.get("/static/swagger-ui/swagger-ui.css"),
            c.get("/api/v1/orders/" + order_id),  # 401: no token
            c.get("/api/v1/orders/" + order_id, headers=auth),
            c.get("/api/v1/no-such-route", headers=auth),
            c.post("/api/v1/orders", headers=auth, json={"channel": "phone"}),  # 422
            c.post("/api/v1/orders", headers=auth, content=b"x" * 2_000_000),  # 413
            c.get("/wallboard"),  # 401 page
            page.get("/wallboard"),
            page.get("/supervision"),
            c.get("/open311/v2/services.json"),
        ]
    assert {r.status_code for r in answers} >= {200, 401, 404, 413, 422}
    for r in answers:
        _assert_browser_headers(r)


def test_answers_with_personal_data_are_not_stored(live: LiveCenter, order_id: str) -> None:
    token = live.token("duty")
    with httpx.Client(
        base_url=live.base_url,
        headers={"Authorization": f"Bearer {token}"},
        cookies={"dc_session": token},
        timeout=20,
    ) as c:
        for path in (
            f"/api/v1/orders/{order_id}",
            "/api/v1/orders",
            "/api/v1/supervision/sessions",
            "/api/v1/wallboard/sections/orders",
        ):
            r = c.get(path)
            assert r.status_code == 200, (path, r.text)
            assert "no-store" in r.headers.get("cache-control", ""), path
        page = c.get("/supervision")
        assert "no-store" in page.headers.get("cache-control", "")
        # A static script or style may be cached: it holds nobody's data.
        static = c.get("/static/wallboard/wall.css")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("cache-control", "")


def test_the_csp_names_a_configured_tile_server() -> None:
    csp = _directives(content_security_policy("https://tiles.lszw.internal/{z}/{x}/{y}.png"))
    assert csp["img-src"] == ["'self'", "data:", "https://tiles.lszw.internal"]
    assert csp["script-src"] == ["'self'"]
