"""The offline base map: tiles from the MBTiles file the center supplies, at
``/tiles/{z}/{x}/{y}.png`` (``DISPATCH_TILE_MBTILES``), unless ``DISPATCH_TILE_URL`` names
a tile server of the center's own (the government's 天地图 node on an intranet, say).
Never a public CDN by default: with neither set, the map is the boundaries alone.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from dispatch_center.api.deps import CenterDep, WallOrUser
from dispatch_center.center import Center
from dispatch_center.errors import NotFound
from dispatch_center.settings import Settings
from dispatch_center.store.mbtiles import MBTiles

router = APIRouter(include_in_schema=False)

#: Where the pages fetch tiles from when the center serves its MBTiles file.
LOCAL_TILES = "/tiles/{z}/{x}/{y}.png"
_TILE_NAME = re.compile(r"^(\d{1,9})\.(png|jpg|jpeg|webp)$")


def tile_url(settings: Settings) -> str | None:
    """The pages' tile URL: the center's tile server, else its own MBTiles, else none.

    Examples
    --------
    >>> tile_url(Settings(demo=True)) is None
    True
    >>> tile_url(Settings(demo=True, tile_mbtiles="/data/leshan.mbtiles"))
    '/tiles/{z}/{x}/{y}.png'
    >>> tile_url(Settings(demo=True, tile_url="http://tiles.internal/{z}/{x}/{y}.png"))
    'http://tiles.internal/{z}/{x}/{y}.png'
    """
    if settings.tile_url:
        return settings.tile_url
    return LOCAL_TILES if settings.tile_mbtiles else None


class TileSource:
    """The MBTiles file of this process, opened on first use (a runtime on the center)."""

    def __init__(self, tiles: MBTiles) -> None:
        self.tiles = tiles


def tile_source(center: Center) -> MBTiles | None:
    """The center's MBTiles file (None when none is configured)."""
    found = center.runtimes.find(TileSource)
    if found is not None:
        return found.tiles
    path = center.settings.tile_mbtiles
    if path is None:
        return None
    return center.runtimes.attach(TileSource(MBTiles(path))).tiles


def max_native_zoom(center: Center) -> int | None:
    """The deepest zoom the file holds: beyond it the map enlarges those tiles instead of
    going blank.
    """
    if center.settings.tile_url:
        return None
    tiles = tile_source(center)
    return tiles.max_zoom if tiles is not None else None


@router.get("/tiles/{z}/{x}/{name}")
async def tile(
    center: CenterDep,
    who: WallOrUser,
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0, le=2**30)],
    name: Annotated[str, Path(max_length=20)],
) -> Response:
    """One base-map tile (the wall and the consoles, signed in by their cookie); 404 where
    the file has none (outside the center's area, or deeper than it goes).
    """
    m = _TILE_NAME.match(name)
    tiles = tile_source(center)
    if m is None or tiles is None:
        raise NotFound("no such tile")
    data = await asyncio.to_thread(tiles.tile, z, x, int(m.group(1)))
    if data is None:
        raise NotFound("no such tile")
    return Response(
        data, media_type=tiles.media_type, headers={"Cache-Control": "private, max-age=86400"}
    )
