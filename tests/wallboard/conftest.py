"""A live center of its own for the wallboard tests (scratch database, real sockets), and a
headless Debian Chromium that records every request the pages make."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.runtime import IntakeRuntime
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


def start_wall(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
    name: str = "wall",
) -> WallCenter:
    """A live demo center (demo accounts, in-process bus) on a scratch database."""
    settings = Settings(
        database_url=make_database(), demo=True, data_dir=tmp_path_factory.mktemp(name)
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    return WallCenter(
        f"http://127.0.0.1:{port}",
        app,
        {},
        settings=settings,
        port=port,
        server=server,
        thread=thread,
    )


@pytest.fixture(scope="session")
def wall(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WallCenter]:
    """One center for the wallboard tests."""
    center = start_wall(make_database, free_port, tmp_path_factory)
    yield center
    center.stop()


@pytest.fixture(scope="module")
def own_wall(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WallCenter]:
    """A center of the test module's own, for modules that switch modes, send teams or
    raise warnings: what they leave stays out of the other wall tests' walls (a silent
    team there would be counted on theirs). Such a module names it ``wall``::

        @pytest.fixture(scope="module")
        def wall(own_wall: WallCenter) -> WallCenter:
            return own_wall
    """
    center = start_wall(make_database, free_port, tmp_path_factory, "own-wall")
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


# Counts every HTMLMediaElement.play() the page makes: the alert sound's page hook.
PLAY_HOOK = """
window.__plays = [];
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.__plays.push(this.currentSrc || this.src);
  return Promise.resolve();
};
"""


@pytest.fixture
def pages(browser: Any, wall: WallCenter) -> Iterator[Callable[..., Any]]:
    """``pages("/hq", "flood_hq")`` → a signed-in page (each in a browser context of its
    own) with the play hook installed and its script errors in ``page.errors``;
    ``token=`` signs in with that token instead (a wall screen's).
    """
    contexts: list[Any] = []

    def make(
        path: str, username: str, width: int = 1920, height: int = 1080, token: str | None = None
    ) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        ctx.add_init_script(PLAY_HOOK)
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        page.goto(f"{wall.base_url}{path}?token={token or wall.token(username)}")
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def wall_ready(page: Any) -> None:
    """Wait for the wall's first snapshot."""
    page.wait_for_function(
        "() => window.DC_APP && window.DC_APP.client.stats.snapshots > 0", timeout=15000
    )


def team_report(
    wall: WallCenter, code: str, lon: float, lat: float, name: str | None = None
) -> None:
    """A rescue team's position report from the emergency-management system (its key)."""
    key = wall.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    body = {
        "dwbm": code,
        "dwmc": name or f"防汛抢险队{code[-4:]}",
        "dwlx": "防汛抢险",
        "zt": "在岗",
        "jd": lon,
        "wd": lat,
        "dwsj": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    }
    r = httpx.post(
        f"{wall.base_url}/api/v1/feeds/emergency_mgmt/events",
        content=json.dumps(body).encode(),
        headers={"X-Api-Key": key, "Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text


def shot(page: Any, name: str) -> Path:
    """Save a screenshot under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


__all__ = ["PASSWORD", "WallCenter", "httpx", "shot", "team_report", "wall_ready"]
