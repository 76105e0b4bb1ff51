"""Shared helpers for the feeds tests: fixture paths and the taxonomy."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECEIVED = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def fixture_bytes(*parts: str) -> bytes:
    """The bytes of a recorded fixture."""
    return FIXTURES.joinpath(*parts).read_bytes()


def taxonomy_rows() -> list[dict[str, str]]:
    """dispatch_center/data/taxonomy.csv as dicts."""
    with (ROOT / "dispatch_center" / "data" / "taxonomy.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def taxonomy_codes() -> set[str]:
    """Every taxonomy code."""
    return {r["code"] for r in taxonomy_rows()}


def unit_report(
    code: str, at: datetime, lon: float, lat: float, status: str, name: str | None = None
) -> dict[str, Any]:
    """The recorded rescue-team position report, for another team, place, status and time
    (and name: otherwise every team is the recorded 沙湾 team, by name)."""
    from feeds.payload import SHANGHAI

    doc: dict[str, Any] = json.loads(fixture_bytes("emergency_mgmt", "rescue_team_shawan.json"))
    doc.update(
        dwbm=code,
        zt=status,
        jd=lon,
        wd=lat,
        dwsj=at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    )
    if name is not None:
        doc["dwmc"] = name
    return doc
