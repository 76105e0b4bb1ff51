"""Real TimescaleDB clusters for the storage-path tests.

``TEST_TIMESCALE_URL`` names a server with ``timescaledb`` preloaded and
``TEST_TIMESCALE_BARE_URL`` one where it is installed but not preloaded (a half-configured
server). ``../shared/tools/timescaledb-local start`` / ``bare`` start them (5433 / 5435);
``.ci/run`` does and sets both. Unset or not answering: the tests that need them skip and
say which variable to set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

TOOL_HINT = "start one with ../shared/tools/timescaledb-local {cmd} (.ci/run does)"


def _server(variable: str, cmd: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set: {TOOL_HINT.format(cmd=cmd)}")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"{variable}={url} does not answer ({exc}): {TOOL_HINT.format(cmd=cmd)}")
    return url


def _factory(server: str) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = f"dc_ts_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        params = conninfo_to_dict(server)
        params["dbname"] = name
        return make_conninfo(**params)

    yield make
    with psycopg.connect(server, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def timescale_database() -> Iterator[Callable[[], str]]:
    """Factory of scratch databases on the server with timescaledb preloaded."""
    yield from _factory(_server("TEST_TIMESCALE_URL", "start"))


@pytest.fixture(scope="session")
def bare_database() -> Iterator[Callable[[], str]]:
    """Factory of scratch databases on the server where timescaledb is only installed."""
    yield from _factory(_server("TEST_TIMESCALE_BARE_URL", "bare"))
