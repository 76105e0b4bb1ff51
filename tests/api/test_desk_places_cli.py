"""``dispatch-center places import`` end to end in a subprocess: a center's own gazetteer,
GCJ-02 converted, re-imported without stale names, a bad line refused by its number."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg

from geo.datum import wgs84_to_gcj02


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dispatch_center.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[2],
    )


def test_places_import(make_database: Callable[[], str], tmp_path: Path) -> None:
    url = make_database()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DISPATCH_SECRET_KEY": "places-cli-test-key-Hq4Nw7Tz1Rb9Lm3Ps",
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    glon, glat = wgs84_to_gcj02(103.7012, 29.6034)
    f = tmp_path / "villages.csv"
    f.write_text(
        "# 苏稽镇的村 (from the township's own survey)\n"
        "name,kind,lon,lat,datum,adcode\n"
        f"新桥村,village,{glon},{glat},gcj02,511102\n"
        "旧址村,village,103.70,29.60,wgs84,511102\n",
        encoding="utf-8",
    )
    done = _cli(env, "places", "import", str(f))
    assert done.returncode == 0, done.stderr
    assert "imported 2 places" in done.stdout

    f.write_text(
        f"name,kind,lon,lat,datum,adcode\n新桥村,village,{glon},{glat},gcj02,511102\n",
        encoding="utf-8",
    )
    assert _cli(env, "places", "import", str(f)).returncode == 0
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name, lon, lat, source FROM places ORDER BY name").fetchall()
    assert [r[0] for r in rows] == ["新桥村"]
    assert abs(rows[0][1] - 103.7012) < 1e-6 and abs(rows[0][2] - 29.6034) < 1e-6
    assert rows[0][3] == "villages.csv"

    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,lon,lat,datum,adcode\n某村,village,103.7,29.6,bd09,511102\n")
    refused = _cli(env, "places", "import", str(bad))
    assert refused.returncode == 1 and "line 2: datum" in refused.stderr
