"""Shared fixtures for the geography tests: the real Leshan index, built once."""

from __future__ import annotations

import pytest

from dispatch_center.geography.bundled import leshan_areas, load_leshan
from geo.areas import Area, Tier
from geo.locate import AreaIndex


@pytest.fixture(scope="session")
def leshan() -> AreaIndex:
    return load_leshan()


@pytest.fixture(scope="session")
def counties() -> dict[str, Area]:
    return {a.code: a for a in leshan_areas() if a.tier == Tier.COUNTY}
