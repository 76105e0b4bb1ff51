"""``docker/`` as an operator meets it (issue 16 §2), checked without a Docker engine.

The compose file and the Dockerfile are read as text and YAML: every setting the app reads
reaches it (set by compose, or listed in ``docker/.env.example``, which is the app's
``env_file``), the services that keep state or serve have health checks and volumes, and
the image has the Chinese fonts of the reports. The two ``.env.example`` files are held to
what they say: the root one changes nothing when copied (the demo still runs), the docker
one is refused until its secrets are set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from dispatch_center.settings import ConfigurationError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"

#: Settings of the demo alone, which the production example leaves out on purpose
#: (compose pins DISPATCH_DEMO to 0; the others do nothing outside demo mode).
DEMO_ONLY = {
    "DISPATCH_DEMO",
    "DISPATCH_DEMO_PASSWORD",
    "DISPATCH_DEMO_API_KEY",
    "DISPATCH_DEMO_STORY",
    "DISPATCH_SCENARIO",
    "DISPATCH_SIMULATOR",
}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DOCKER / "compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _service(name: str) -> dict[str, Any]:
    service = _compose()["services"][name]
    assert isinstance(service, dict)
    return service


def _aliases() -> dict[str, bool]:
    """Each environment name the Settings model reads, and whether it is a nested group
    (set as ``NAME__<KEY>__FIELD``)."""
    names = {}
    for name, field in Settings.model_fields.items():
        alias = field.alias or name.upper()
        nested = any(
            isinstance(t, type) and issubclass(t, BaseModel)
            for t in getattr(field.annotation, "__args__", ())
        )
        names[alias] = nested
    return names


def _documented(path: Path) -> set[str]:
    """Names set or shown commented out (``KEY=`` or ``#KEY=``) in an env file."""
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", path.read_text(), re.MULTILINE))


def _env_file(path: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(path).items()}


def test_the_settings_are_read_by_name() -> None:
    aliases = _aliases()
    # The check below reads the model: make sure it found the names operators use.
    assert {"DATABASE_URL", "REDIS_URL", "DISPATCH_SECRET_KEY", "DISPATCH_TILE_URL"} <= set(aliases)
    assert aliases["DISPATCH_FEED_POLL"] is True
    assert aliases["DISPATCH_FEED_KEYS"] is False


def unreached_settings(passed: set[str], listed: set[str]) -> list[str]:
    """The settings the app reads that are neither set by compose (``passed``) nor listed
    in its env file (``listed``); a nested group counts once any of its keys is listed."""
    missing = []
    for alias, nested in _aliases().items():
        if alias in DEMO_ONLY:
            continue
        if nested:
            if not any(name.startswith(f"{alias}__") for name in listed):
                missing.append(f"{alias}__<KEY>__<FIELD>")
        elif alias not in passed and alias not in listed:
            missing.append(alias)
    return missing


def test_every_setting_reaches_the_app() -> None:
    app = _service("app")
    assert app.get("env_file") in (".env", [".env"]), app.get("env_file")
    passed = set(app["environment"])
    listed = _documented(DOCKER / ".env.example")
    missing = unreached_settings(passed, listed)
    assert not missing, f"settings neither set by compose nor in docker/.env.example: {missing}"
    assert not (DEMO_ONLY - {"DISPATCH_DEMO"}) & (passed | listed)


def test_the_root_example_documents_every_setting() -> None:
    listed = _documented(ROOT / ".env.example")
    missing = [
        alias
        for alias, nested in _aliases().items()
        if not (
            any(name.startswith(f"{alias}__") for name in listed) if nested else alias in listed
        )
    ]
    assert not missing, f"settings missing from .env.example: {missing}"


def test_compose_owns_the_database_url_and_the_data_dir() -> None:
    """A DATABASE_URL or DISPATCH_DATA_DIR in a copied docker/.env cannot override the
    stack's: `environment` wins over `env_file`, and their values use no such variable."""
    env = _service("app")["environment"]
    url = env["DATABASE_URL"]
    assert "@db:5432/" in url and "${POSTGRES_PASSWORD:?" in url, url
    assert "${DATABASE_URL" not in url
    assert env["DISPATCH_DATA_DIR"] == "/var/lib/dispatch"
    assert str(env["DISPATCH_DEMO"]) == "0"
    assert "${DISPATCH_SECRET_KEY:?" in env["DISPATCH_SECRET_KEY"]


def test_health_checks_of_db_redis_app_and_proxy() -> None:
    for name in ("db", "redis", "app", "proxy"):
        check = _service(name).get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
    app = _service("app")
    for dependency in ("db", "redis"):
        assert app["depends_on"][dependency]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(app["healthcheck"]["test"])


def test_the_data_lives_on_named_volumes() -> None:
    volumes = _compose()["volumes"]
    mounts = {
        "db": ("db-data", "/home/postgres/pgdata"),
        "redis": ("redis-data", "/data"),
        "app": ("app-data", "/var/lib/dispatch"),
    }
    for service, (volume, target) in mounts.items():
        assert volume in volumes, volume
        assert f"{volume}:{target}" in _service(service)["volumes"], service
    # The app's data dir is the volume's mount point.
    assert _service("app")["environment"]["DISPATCH_DATA_DIR"] == mounts["app"][1]


def _final_stage(dockerfile: str) -> str:
    return re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)[-1]


def test_the_image_has_the_chinese_fonts_of_the_reports() -> None:
    from dispatch_center.reporting import fonts
    from dispatch_center.supervision import minutes

    run_stage = _final_stage((DOCKER / "Dockerfile").read_text())
    installs = " ".join(
        m.group(0) for m in re.finditer(r"apt-get install[^&]*", run_stage.replace("\\\n", " "))
    )
    # The packages that hold the files the code looks for first.
    packages = {
        "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "fonts-wqy-zenhei": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    }
    for package in packages:
        assert re.search(rf"\b{package}\b", installs), f"{package} not installed: {installs}"
    assert packages["fonts-noto-cjk"] in fonts.CJK_FONT_FILES
    assert packages["fonts-wqy-zenhei"] == fonts.PDF_FONT_FILES[0]
    assert packages["fonts-wqy-zenhei"] == minutes.CJK_TTF_CANDIDATES[0][0]


def test_the_root_example_copied_changes_nothing(tmp_path: Path) -> None:
    """Copied to .env, the root example must leave the demo as it is: no database or Redis
    host, every value the default."""
    values = _env_file(ROOT / ".env.example")
    assert "DATABASE_URL" not in values and "REDIS_URL" not in values
    copied = Settings(_env_file=ROOT / ".env.example", demo=True)
    plain = Settings(_env_file=None, demo=True)
    assert copied.model_dump() == plain.model_dump()


def test_the_docker_example_is_refused_until_its_secrets_are_set() -> None:
    values = _env_file(DOCKER / ".env.example")
    assert values["POSTGRES_PASSWORD"] == ""  # compose's ${POSTGRES_PASSWORD:?} stops here
    with pytest.raises(ConfigurationError, match="DISPATCH_SECRET_KEY is a placeholder"):
        load_settings(secret_key=values["DISPATCH_SECRET_KEY"])
    # The URL compose would build from a placeholder password is refused by the app too.
    url = "postgresql://dispatch:CHANGE_ME@db:5432/dispatch"
    with pytest.raises(ConfigurationError, match="DATABASE_URL: has a placeholder password"):
        load_settings(demo=True, database_url=url)
