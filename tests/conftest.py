"""Shared fixtures: a real PostgreSQL database and Redis, and a live HTTP server.

``TEST_DATABASE_URL`` names a server whose database we may create scratch
databases in (CI: the machine's PostgreSQL 15); unset, an embedded PostgreSQL is
started in a temporary directory. ``TEST_REDIS_URL`` likewise (unset: a
``redis-server`` on PATH is started).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

# The tests post orders dated as their cases need (past calendar years, holidays ahead):
# their centers let every role date a request freely. The window itself is tested with
# the production defaults given explicitly (tests/api/test_input_hygiene.py, and the
# intake's centers in tests/intake/conftest.py).
os.environ.setdefault(
    "DISPATCH_BACKDATE_ROLES", "admin,duty_officer,dispatcher,flood_hq,holiday_hq"
)
os.environ.setdefault("DISPATCH_BACKDATE_DAYS", "36500")
os.environ.setdefault("DISPATCH_RECEIVED_AT_FUTURE_S", str(10 * 366 * 86400))
#: The production defaults of the received_at window (dispatch_center.settings).
RECEIVED_AT_DEFAULTS = {
    "received_at_future_s": 300,
    "received_at_late_s": 900,
    "backdate_days": 31,
    "backdate_roles": "admin,duty_officer",
    "backdate_sources": "*",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server we may create databases on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from dispatch_center.store.embedded import start_embedded

    tmp = Path(tempfile.mkdtemp(prefix="dc-test-pg-"))
    yield start_embedded(tmp / "pgdata")


def _with_db(url: str, name: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo(**params)


@pytest.fixture(scope="session")
def make_database(pg_server_url: str) -> Iterator:  # type: ignore[type-arg]
    """Factory of fresh scratch databases, dropped at the end of the session."""
    made: list[str] = []

    def make() -> str:
        name = f"dc_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _with_db(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a real Redis (db 15 on CI's server)."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("no TEST_REDIS_URL and no redis-server on PATH: Redis is required")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="session")
def free_port() -> object:
    """Factory of free TCP ports on loopback."""
    return _free_port


CHROMIUM = "/usr/bin/chromium"
# Screenshots go to artifacts/ (ignored) so a test run leaves the tree clean; set
# DISPATCH_SCREENSHOTS_DIR=docs/screenshots to refresh the ones the README shows.
SCREENSHOTS = Path(
    os.environ.get("DISPATCH_SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
)


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
