"""Locating points and serving the map's geography."""

from __future__ import annotations

from typing import Any

import numpy as np

from dispatch_center.center import Center
from dispatch_center.errors import Invalid
from dispatch_center.models import Datum

MAX_BATCH = 10_000


def locate(center: Center, lon: float, lat: float, crs: Datum) -> dict[str, Any]:
    """The tier path of one point (contracts.md shape)."""
    try:
        return center.geography.index.locate(lon, lat, crs.value).as_dict()
    except ValueError as exc:
        raise Invalid(str(exc), fields={"lon": str(exc)}) from exc


def locate_batch(
    center: Center, points: list[tuple[float, float]], crs: Datum
) -> list[dict[str, Any]]:
    """The tier paths of many points, vectorised."""
    if len(points) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} points per batch", fields={"points": "too many"})
    if not points:
        return []
    arr = np.asarray(points, dtype=float)
    try:
        batch = center.geography.index.locate_many(arr[:, 0], arr[:, 1], crs.value)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"points": str(exc)}) from exc
    return [batch.location(i).as_dict() for i in range(len(points))]
