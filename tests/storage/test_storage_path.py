"""Which storage path a server gets, on real servers (issue 16).

A server where timescaledb is installed but not preloaded used to be given the TimescaleDB
path: 001 was recorded as ``timescale``, 002 failed with ``extension "timescaledb" must be
preloaded``, the database could never fall back, and the unlock in ``finally`` buried the
cause under "the connection is closed". The bare cluster of ``timescaledb-local`` is such a
server.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dispatch_center.store import migrate

NATIVE_VERSIONS = [m.version for m in migrate.available_migrations("native")]
TIMESCALE_VERSIONS = [m.version for m in migrate.available_migrations("timescale")]


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


def _is_hypertable(url: str, table: str) -> bool:
    found = _rows(
        url,
        "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'",
    )
    if not found:
        return False
    return bool(
        _rows(
            url,
            f"SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = '{table}'",
        )
    )


def _is_partitioned(url: str, table: str) -> bool:
    return bool(
        _rows(url, f"SELECT 1 FROM pg_partitioned_table WHERE partrelid = '{table}'::regclass")
    )


def _as_role(url: str, role: str) -> str:
    params = conninfo_to_dict(url)
    params["user"] = role
    return make_conninfo(**params)


def test_installed_but_not_preloaded_takes_the_native_path(
    bare_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = bare_database()
    # The premise: the extension IS installed there, only not preloaded.
    assert _rows(url, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    assert "timescaledb" not in str(_rows(url, "SHOW shared_preload_libraries")[0][0])

    with caplog.at_level(logging.INFO, logger="dispatch_center.store.migrate"):
        path, applied = migrate.migrate(url)

    assert (path, applied) == ("native", NATIVE_VERSIONS)
    assert {r[0] for r in _rows(url, "SELECT path FROM schema_migrations")} == {"native"}
    assert _is_partitioned(url, "timeline") and _is_partitioned(url, "feed_events")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "shared_preload_libraries" in warnings[0], warnings
    # Migrating again is a no-op on the same path.
    assert migrate.migrate(url) == ("native", [])


def test_a_database_stranded_by_the_old_detection_is_migrated_native(
    bare_database: Callable[[], str],
) -> None:
    """What the old code left behind: 001 recorded as timescale, nothing else."""
    url = bare_database()
    first = migrate.available_migrations("timescale")[0]
    assert first.version == 1 and 1 not in migrate._variant_versions("timescale")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " path text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        with conn.transaction():
            conn.execute(first.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name, path) VALUES (1, %s, 'timescale')",
                (first.name,),
            )

    path, applied = migrate.migrate(url)

    assert (path, applied) == ("native", NATIVE_VERSIONS[1:])
    assert {r[0] for r in _rows(url, "SELECT path FROM schema_migrations")} == {"native"}
    assert _is_partitioned(url, "timeline")


def test_a_timescale_database_on_a_server_without_the_preload_is_refused_in_one_line(
    bare_database: Callable[[], str],
) -> None:
    """Its hypertables cannot work there: say what to set rather than fail somewhere later."""
    url = bare_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " path text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            "INSERT INTO schema_migrations (version, name, path)"
            " VALUES (1, 'core', 'timescale'), (2, 'timeline', 'timescale')"
        )
    with pytest.raises(migrate.MigrationError, match="not in shared_preload_libraries") as e:
        migrate.migrate(url)
    assert "\n" not in str(e.value)
    assert [r[0] for r in _rows(url, "SELECT DISTINCT path FROM schema_migrations")] == [
        "timescale"
    ]


def test_a_role_that_cannot_read_the_setting_still_gets_the_right_path(
    timescale_database: Callable[[], str], bare_database: Callable[[], str]
) -> None:
    """shared_preload_libraries is hidden from ordinary roles: the extension is probed."""
    for make, pre_created, expected in (
        (bare_database, False, "native"),
        (timescale_database, False, "timescale"),  # the extension is trusted: it may create it
        (timescale_database, True, "timescale"),  # a DBA created it for the owner
    ):
        url = make()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dc_owner')"
                " THEN CREATE ROLE dc_owner LOGIN; END IF; END $$"
            )
            conn.execute("SELECT current_database()").fetchone()
            db = conninfo_to_dict(url)["dbname"]
            conn.execute(f'ALTER DATABASE "{db}" OWNER TO dc_owner')
            conn.execute("ALTER SCHEMA public OWNER TO dc_owner")
            if pre_created:
                conn.execute("CREATE EXTENSION timescaledb")
        owner = _as_role(url, "dc_owner")
        assert not _rows(owner, "SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries'")
        with psycopg.connect(owner, autocommit=True) as conn:
            assert migrate.storage_path(conn) == expected, (make, pre_created)


def test_a_failing_migration_names_itself_and_its_cause(
    make_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the failure closes the connection, the cause is what is raised."""
    url = make_database()
    path, applied = migrate.migrate(url)
    every = migrate.available_migrations
    broken = migrate.Migration(
        99, "kills_its_session", "SELECT pg_terminate_backend(pg_backend_pid())"
    )
    monkeypatch.setattr(migrate, "available_migrations", lambda path: [*every(path), broken])

    with pytest.raises(migrate.MigrationError) as caught:
        migrate.migrate(url)

    message = str(caught.value)
    assert message.startswith(f"migration 099_kills_its_session ({path}) failed: ")
    assert "terminat" in message and "\n" not in message
    # Everything before it stays applied, it does not; the lock went with the session.
    done = [r[0] for r in _rows(url, "SELECT version FROM schema_migrations ORDER BY 1")]
    assert done == applied
    with psycopg.connect(url) as conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (migrate.LOCK_KEY,)).fetchone()
        assert got == (True,)


def test_the_migrate_command_fails_with_one_line(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE timeline (x int)")  # in the way of migration 002
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DATABASE_URL"] = url
    env["DISPATCH_SECRET_KEY"] = secrets.token_urlsafe(48)
    done = subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert re.match(
        r"dispatch-center migrate: migration 002_timeline \((native|timescale)\) failed: ", last
    ), last
    assert 'relation "timeline" already exists' in last

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE timeline")
    again = subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again
    assert re.fullmatch(r"migrated \((native|timescale) storage\)", again.stdout.strip())


def test_the_preloaded_server_takes_the_timescale_path(
    timescale_database: Callable[[], str],
) -> None:
    url = timescale_database()
    path, applied = migrate.migrate(url)
    assert (path, applied) == ("timescale", TIMESCALE_VERSIONS)
    assert _is_hypertable(url, "timeline") and _is_hypertable(url, "feed_events")
    assert {r[0] for r in _rows(url, "SELECT path FROM schema_migrations")} == {"timescale"}


@pytest.mark.skipif(
    not os.environ.get("TEST_STORAGE_PATH"),
    reason="TEST_STORAGE_PATH is not set (.ci/run sets it: native, then timescale in its"
    " TimescaleDB lane)",
)
def test_the_suite_server_gives_the_expected_path(make_database: Callable[[], str]) -> None:
    """The lane that runs the suite on TimescaleDB really takes that path (and vice versa)."""
    expected = os.environ["TEST_STORAGE_PATH"]
    url = make_database()
    path, _ = migrate.migrate(url)
    assert path == expected
    assert _is_hypertable(url, "timeline") == (expected == "timescale")
    assert _is_partitioned(url, "timeline") == (expected == "native")
