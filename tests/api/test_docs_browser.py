"""``/docs`` in Debian's headless Chromium: Swagger UI renders the OpenAPI 3.1 document,
with every file from our own server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import LiveCenter
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def test_docs_render_the_operations_from_our_own_origin(browser: Any, live: LiveCenter) -> None:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        page = ctx.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(live.base_url + "/docs")
        # Swagger UI 4 stops at "Unable to render this definition" on OpenAPI 3.1; 5 lists
        # one block per operation.
        post_orders = page.locator(
            ".opblock-post:has(.opblock-summary-path[data-path='/api/v1/orders'])"
        )
        post_orders.first.wait_for(state="visible", timeout=20_000)
        get_mode = page.locator(".opblock-get:has(.opblock-summary-path[data-path='/api/v1/mode'])")
        assert get_mode.count() == 1
        assert post_orders.count() == 1
        assert page.locator(".opblock").count() > 80
        assert page.locator("text=Unable to render this definition").count() == 0
        assert "OAS 3.1" in page.locator(".info").inner_text()
        page.wait_for_timeout(300)
        ours = urlsplit(live.base_url).netloc
        outside = [u for u in requests if not u.startswith("data:") and urlsplit(u).netloc != ours]
        assert outside == [], outside
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    finally:
        ctx.close()
