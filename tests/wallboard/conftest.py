"""A live center of its own for the wallboard tests (scratch database, real sockets), and a
headless Debian Chromium that records every request the pages make."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import PASSWORD, LiveCenter, new_order, start_live

CHROMIUM = "/usr/bin/chromium"
# Screenshots go to artifacts/ (ignored) so a test run leaves the tree clean; set
# DISPATCH_SCREENSHOTS_DIR=docs/screenshots to refresh the ones the README shows.
SCREENSHOTS = Path(
    os.environ.get("DISPATCH_SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
)


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


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, and asyncio.run() in the protocol tests cannot start beside it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is not installed: apt-get install chromium (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


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
            "window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=15000
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
