"""Backup and restore, done once for real (issue 16 §3, docs/operations.md).

A center loads the demo's day, stops; ``scripts/backup_roundtrip.py`` dumps its database
with ``pg_dump -Fc`` and restores it into an empty one, comparing every table's rows and
every sequence; a center then starts on the restored copy, finds nothing to migrate and
takes new writes (its sequences continue, nothing collides).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from dispatch_center.settings import Settings
from tests.api.conftest import sign_in_as_new_users, start_live

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pg_dump_and_restore_round_trip(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path: Path,
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not on PATH (Debian: postgresql-client)")
    source, target = make_database(), make_database()
    settings = Settings(database_url=source, demo=True, data_dir=tmp_path / "a", simulator=False)
    server, thread, _ = start_live(settings, free_port())
    server.should_exit = True
    thread.join(30)
    with psycopg.connect(source) as conn:
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()
    assert orders and orders[0] >= 10, "the demo's day is in the source"

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/backup_roundtrip.py"), source, target],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round trip identical" in done.stdout
    assert f"orders: {orders[0]} → {orders[0]}" in done.stdout

    restored = Settings(database_url=target, demo=True, data_dir=tmp_path / "b", simulator=False)
    port = free_port()
    server, thread, _ = start_live(restored, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            assert c.get("/readyz").status_code == 200
            # New rows after the restore: the sequences continued from the dump's values.
            _, tokens = sign_in_as_new_users(c, {"after": ("admin", None)}, "r")
            listed = c.get("/api/v1/orders", headers={"Authorization": f"Bearer {tokens['after']}"})
            assert listed.status_code == 200 and listed.json()
    finally:
        server.should_exit = True
        thread.join(30)
    with psycopg.connect(target) as conn:
        again = conn.execute("SELECT count(*) FROM orders").fetchone()
    assert again == orders
