"""The command line as an operator meets it (issue 16 §2): ``--version``, and a configuration
it cannot run with refused in one line that says what to set, for ``serve``, ``migrate`` and
every other command that works on the database (none starts an embedded one but ``demo``).

Each test runs the real ``dispatch-center`` command in a subprocess, in an empty directory
(no stray ``.env``) and an environment without any of the center's settings but those given.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_KEY = secrets.token_urlsafe(48)


def _cli(cwd: Path, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("DISPATCH_")
    }
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        # A serve that wrongly starts never exits: the timeout turns that into a failure.
        timeout=60,
    )


def _refused(done: subprocess.CompletedProcess[str], command: str) -> str:
    """The one line a refused command printed (asserting it is one line and no traceback)."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"dispatch-center {command}: "), lines[0]
    return lines[0]


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    done = _cli(tmp_path, {}, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dispatch-center {version('dispatch-center')}"


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "is not set"),
        ("CHANGE_ME", "is a placeholder"),
        ("changeme" * 4, "repeats a shorter pattern"),
        ("short-but-random-Qx7", "is shorter than 32 characters"),
    ],
)
def test_a_weak_signing_key_is_one_line(tmp_path: Path, command: str, key: str, why: str) -> None:
    settings = {"DATABASE_URL": "postgresql://dispatch@127.0.0.1:1/dispatch"}
    if key:
        settings["DISPATCH_SECRET_KEY"] = key
    line = _refused(_cli(tmp_path, settings, command), command)
    assert f"DISPATCH_SECRET_KEY {why}: set a long random secret" in line, line
    if key:
        assert key not in line  # a secret, even a weak one, is not echoed


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DISPATCH_LOG_LEVEL", "LOUD", "DISPATCH_LOG_LEVEL: Input should be 'DEBUG'"),
        ("DISPATCH_DB_POOL_MAX", "many", "DISPATCH_DB_POOL_MAX: Input should be a valid integer"),
        ("DISPATCH_SIGNATURE_WINDOW_S", "5", "DISPATCH_SIGNATURE_WINDOW_S: Input should be"),
        (
            "DISPATCH_FEED_POLL__HYDROLOGY__URL",
            "ftp://sw.example/rt",
            "DISPATCH_FEED_POLL__HYDROLOGY__URL: String should match pattern",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, command: str, name: str, value: str, says: str
) -> None:
    settings = {
        "DATABASE_URL": "postgresql://dispatch@127.0.0.1:1/dispatch",
        "DISPATCH_SECRET_KEY": GOOD_KEY,
        name: value,
    }
    line = _refused(_cli(tmp_path, settings, command), command)
    assert says in line, line


def test_a_bad_setting_in_dot_env_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DATABASE_URL=postgresql://dispatch@127.0.0.1:1/dispatch\n"
        f"DISPATCH_SECRET_KEY={GOOD_KEY}\nDISPATCH_WALL_TICK_MS=-1\n"
    )
    line = _refused(_cli(tmp_path, {}, "serve"), "serve")
    assert "DISPATCH_WALL_TICK_MS: Input should be greater than or equal to 0" in line, line


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize("password", ["CHANGE_ME", "change-me", "<password>"])
def test_a_placeholder_database_password_is_refused(
    tmp_path: Path, command: str, password: str
) -> None:
    """docker/.env.example ships CHANGE_ME: the app refuses it until it is replaced."""
    settings = {
        "DATABASE_URL": f"postgresql://dispatch:{password}@db:5432/dispatch",
        "DISPATCH_SECRET_KEY": GOOD_KEY,
    }
    line = _refused(_cli(tmp_path, settings, command), command)
    assert "DATABASE_URL: has a placeholder password" in line, line
    assert "POSTGRES_PASSWORD" in line, line


def test_serve_without_a_database_url_refuses_and_starts_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = {"DISPATCH_SECRET_KEY": GOOD_KEY, "DISPATCH_DATA_DIR": str(data)}
    line = _refused(_cli(tmp_path, settings, "serve", "--workers", "1"), "serve")
    assert "DATABASE_URL is not set" in line and "dispatch-center demo" in line, line
    assert not (data / "pgdata").exists()  # no embedded server was made


def test_migrate_without_a_database_url_refuses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = {"DISPATCH_SECRET_KEY": GOOD_KEY, "DISPATCH_DATA_DIR": str(data)}
    line = _refused(_cli(tmp_path, settings, "migrate"), "migrate")
    assert "DATABASE_URL is not set" in line and "migrate --demo" in line, line
    assert not (data / "pgdata").exists()


#: Each command that works on the center's database, as an operator would type it, and
#: whether it offers ``--demo`` (the demo's embedded database, named in the refusal).
DATABASE_COMMANDS = [
    (["users", "create", "admin", "--role", "admin", "--password", "a-long-password-1"], False),
    (["mode", "show"], False),
    (["mode", "set", "emergency", "--reason", "flood", "--type", "flood"], False),
    (["geofences", "versions"], False),
    (["geofences", "rollback", "synthetic", "--tier", "3"], False),
    (["catalogue", "versions"], False),
    (["places", "import", "places.csv"], False),
    (["reports", "list"], True),
    (["reports", "make", "daily"], True),
    (["backfill", "--orders", "10"], True),
]


@pytest.mark.parametrize(
    ("args", "demo_flag"), DATABASE_COMMANDS, ids=[" ".join(a[:2]) for a, _ in DATABASE_COMMANDS]
)
def test_database_commands_without_a_database_url_refuse(
    tmp_path: Path, args: list[str], demo_flag: bool
) -> None:
    """Without DATABASE_URL they once started an embedded PostgreSQL in the data directory
    and did their work there, where no server would ever read it."""
    (tmp_path / "places.csv").write_text("name,kind,lon,lat,datum,adcode\n", encoding="utf-8")
    data = tmp_path / "data"
    settings = {"DISPATCH_SECRET_KEY": GOOD_KEY, "DISPATCH_DATA_DIR": str(data)}
    line = _refused(_cli(tmp_path, settings, *args), args[0])
    assert "DATABASE_URL is not set: set it to the center's PostgreSQL" in line, line
    way = "pass --demo" if demo_flag else "only `dispatch-center demo`"
    assert way in line, line
    assert not data.exists() or not any(data.iterdir()), list(data.iterdir())


@pytest.mark.parametrize("redis_url", [None, "", "memory://"])
def test_several_workers_without_the_bus_refuse(tmp_path: Path, redis_url: str | None) -> None:
    settings = {
        # Never reached: the refusal comes before anything connects.
        "DATABASE_URL": "postgresql://dispatch@127.0.0.1:1/dispatch",
        "DISPATCH_SECRET_KEY": GOOD_KEY,
    }
    if redis_url is not None:
        settings["REDIS_URL"] = redis_url
    line = _refused(_cli(tmp_path, settings, "serve", "--workers", "3"), "serve")
    assert re.search(r"--workers 3 needs REDIS_URL .*run --workers 1", line), line


def test_serve_refuses_a_bus_url_it_cannot_use(tmp_path: Path) -> None:
    settings = {
        "DATABASE_URL": "postgresql://dispatch@127.0.0.1:1/dispatch",
        "DISPATCH_SECRET_KEY": GOOD_KEY,
        "REDIS_URL": "amqp://broker:5672",
    }
    line = _refused(_cli(tmp_path, settings, "serve"), "serve")
    assert "REDIS_URL: unsupported bus URL scheme 'amqp'" in line, line
