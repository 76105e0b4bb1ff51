"""Hotspots: the busiest 0.01° cells (about 1 km) of a period."""

from __future__ import annotations

from typing import Any

from dispatch_center.core.analysis.periods import Period
from dispatch_center.core.analysis.places import top_hotspots
from dispatch_center.reporting.measures import TOP_N
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn, Source


async def hotspots(
    conn: Conn, p: Period, *, source: Source = "rollup", limit: int = TOP_N
) -> list[dict[str, Any]]:
    """The busiest 0.01° cells of a period."""
    rows = await store.cells(conn, p.start, p.end, source, limit)
    return [
        h.as_dict()
        for h in top_hotspots(((r["cell_x"], r["cell_y"], int(r["n"])) for r in rows), limit)
    ]
