"""The gazetteer as a service: imports and the address box's search."""

from __future__ import annotations

from importlib import resources
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.gazetteer import Place, parse_places
from dispatch_center.store import places as store
from geo.areas import Tier

DEMO_FILE = "gazetteer_leshan_demo.csv"
MAX_RESULTS = 20


async def import_places(center: Center, text: str, source: str) -> int:
    """Import a gazetteer CSV (see :func:`~dispatch_center.core.gazetteer.parse_places`),
    replacing what ``source`` imported before; how many places.

    Raises
    ------
    dispatch_center.core.gazetteer.PlaceError
        On a line that cannot be imported; nothing is written then.
    """
    rows = parse_places(text)
    async with center.db.connection() as conn, conn.transaction():
        return await store.replace_places(conn, source, rows)


def grid_places(center: Center) -> list[Place]:
    """The synthetic township and village cells of the geography, each at a point inside
    it, so that "网格 07-03" can be typed like any place (kind ``grid``).
    """
    out: list[Place] = []
    for tier in (Tier.TOWNSHIP, Tier.VILLAGE):
        for area in center.geography.index.areas(tier):
            if not area.synthetic:
                continue
            pt = area.geometry.representative_point()
            out.append(Place(area.name, "grid", round(pt.x, 7), round(pt.y, 7), area.code[:6]))
    return out


async def ensure_demo_places(center: Center) -> int:
    """The demo's labelled Leshan list and the grid's names, once per database."""
    async with center.db.connection() as conn:
        if await store.count_places(conn, "demo"):
            return 0
    text = (resources.files("dispatch_center.data") / DEMO_FILE).read_text(encoding="utf-8")
    n = await import_places(center, text, "demo")
    async with center.db.connection() as conn, conn.transaction():
        n += await store.replace_places(conn, "demo-grid", grid_places(center))
    return n


async def search_places(center: Center, q: str, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    """Places whose name contains ``q``, best first (empty for a blank ``q``)."""
    q = q.strip()
    if not q:
        return []
    async with center.db.connection() as conn:
        return await store.search_places(conn, q, min(limit, MAX_RESULTS))
