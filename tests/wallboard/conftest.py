"""A live center of its own for the wallboard tests (scratch database, real sockets), and a
headless Debian Chromium that records every request the pages make."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import PASSWORD, LiveCenter, new_order, start_live
from tests.conftest import SCREENSHOTS


@dataclass
class WallCenter(LiveCenter):
    """A live center plus what it takes to restart it on the same port and data."""

    settings: Settings | None = None
    port: int = 0
    server: Any = None
    thread: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/wallboard"

    def post_order(self, username: str = "dispatcher", **overrides: Any) -> dict[str, Any]:
        with self.client(username) as c:
            r = c.post("/api/v1/orders", json=new_order(**overrides))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    def restart(self) -> None:
        self.stop()
        assert self.settings is not None
        self.server, self.thread, self.app = start_live(self.settings, self.port)


@pytest.fixture(scope="session")
def wall(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WallCenter]:
    """One center for the wallboard tests (demo accounts, in-process bus)."""
    url = make_database()
    settings = Settings(database_url=url, demo=True, data_dir=tmp_path_factory.mktemp("wall"))
    port = free_port()
    server, thread, app = start_live(settings, port)
    center = WallCenter(
        f"http://127.0.0.1:{port}",
        app,
        {},
        settings=settings,
        port=port,
        server=server,
        thread=thread,
    )
    yield center
    center.stop()


@dataclass
class Page:
    """A page plus every URL it requested."""

    page: Any
    requests: list[str]


@pytest.fixture
def open_page(browser: Any, wall: WallCenter) -> Iterator[Callable[..., Page]]:
    """``open_page("/wallboard", "duty")`` → a signed-in page (kiosk token flow)."""
    contexts: list[Any] = []

    def make(
        path: str, username: str, *, width: int = 1920, height: int = 1080, lang: str | None = None
    ) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        q = f"?token={wall.token(username)}" + (f"&lang={lang}" if lang else "")
        page.goto(wall.base_url + path + q)
        page.wait_for_function(
            "() => window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=15000
        )
        return Page(page, requests)

    yield make
    for ctx in contexts:
        ctx.close()


def shot(page: Any, name: str) -> Path:
    """Save a screenshot under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


__all__ = ["PASSWORD", "WallCenter", "httpx", "shot"]
