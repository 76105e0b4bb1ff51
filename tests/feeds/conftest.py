"""Shared helpers for the feeds tests: fixture paths and the taxonomy."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

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
