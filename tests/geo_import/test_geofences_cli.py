"""``dispatch-center geofences|catalogue ...`` end to end in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.geo_import.shapes import townships


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[2],
    )


def test_import_versions_rollback_and_catalogue(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": make_database(),
        "DISPATCH_SECRET_KEY": "geofence-cli-test-key-Hq4Nw7Tz1Rb9Lm3Ps",
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    good = tmp_path / "towns.geojson"
    townships(bowtie=True, overlap=True).to_file(good, engine="pyogrio")
    args = [
        "geofences",
        "import",
        "--tier",
        "3",
        "--code-field",
        "CODE",
        "--name-field",
        "NAME",
        "--parent-field",
        "COUNTY",
    ]
    done = _cli(env, *args, str(good))
    assert done.returncode == 0, done.stderr
    assert "repaired      : 1" in done.stdout and "511102903: Self-intersection" in done.stdout
    assert "overlaps      : 1" in done.stdout and "511102901 × 511102902" in done.stdout
    assert "version 1 (active)" in done.stdout
    assert "100%" in done.stderr  # the progress bar ran to the end

    dup = tmp_path / "dup.geojson"
    townships(duplicate=True).to_file(dup, engine="pyogrio")
    refused = _cli(env, *args, str(dup))
    assert refused.returncode == 1 and "duplicate codes: 511102901" in refused.stdout
    assert "REFUSED" in refused.stderr

    listed = json.loads(_cli(env, "geofences", "versions", "--json").stdout)
    assert [(v["id"], v["active"]) for v in listed] == [(1, True)]
    back = _cli(env, "geofences", "rollback", "synthetic", "--tier", "3")
    assert back.returncode == 0 and "routing with builtin-" in back.stdout
    again = _cli(env, "geofences", "rollback", "1")
    assert again.returncode == 0 and "geofences-t3.1-t4.synthetic" in again.stdout
    assert _cli(env, "geofences", "rollback", "99").returncode == 1

    csv_file = tmp_path / "cat.csv"
    csv_file.write_text(
        "category_code,tier,area_code,asset_layer,unit_code,unit_name,role\n"
        "urban,2,*,,{code}-CG,{name}城管局,lead\n",
        encoding="utf-8",
    )
    imported = _cli(env, "catalogue", "import", str(csv_file), "--version", "cli-test-1")
    assert imported.returncode == 0, imported.stderr
    assert "catalogue cli-test-1: 1 rows, active" in imported.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "category_code,tier,area_code,asset_layer,unit_code,unit_name,role\n"
        "urban,2,*,,A,甲,lead\nno.such,2,,,B,乙,lead\n",
        encoding="utf-8",
    )
    refused_cat = _cli(env, "catalogue", "import", str(bad))
    assert refused_cat.returncode == 1 and "rows[2].category_code" in refused_cat.stderr
    versions = _cli(env, "catalogue", "versions").stdout.splitlines()
    assert versions[0].startswith("* cli-test-1") and "leshan-default-2026-12" in versions[1]
    assert _cli(env, "catalogue", "rollback", "leshan-default-2026-12").returncode == 0
