"""The offline base map (issue 19 §2): tiles from the MBTiles file a center supplies,
served at ``/tiles/{z}/{x}/{y}.png`` by our own server, drawn under the boundaries; no tile
request leaves the server. The tile set is generated here (PNG written with the standard
library), a small one over Leshan.
"""

from __future__ import annotations

import math
import sqlite3
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from dispatch_center.settings import Settings
from dispatch_center.store.mbtiles import MBTiles
from tests.api.conftest import start_live
from tests.wallboard.conftest import WallCenter, shot
from wallboard.tiles import LOCAL_TILES, tile_url

ZOOMS = (8, 9, 10)
BBOX = (103.0, 28.8, 104.3, 30.0)  # Leshan, lon/lat


def png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A plain PNG of one colour, with a grid line so tiles' edges show."""
    rows = []
    for y in range(size):
        line = bytearray()
        for x in range(size):
            edge = x == 0 or y == 0
            line += bytes((40, 60, 90) if edge else rgb)
        rows.append(b"\x00" + bytes(line))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def xyz(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return x, y


def colour(z: int, x: int, y: int) -> tuple[int, int, int]:
    return (20 + (x * 37) % 40, 50 + (y * 53) % 60, 70 + z * 10)


def make_mbtiles(path: Path) -> dict[tuple[int, int, int], bytes]:
    """An MBTiles file over Leshan at zooms 8-10; returns the tiles by XYZ."""
    made: dict[tuple[int, int, int], bytes] = {}
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
        " tile_data blob);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
    )
    meta = {
        "name": "乐山测试底图",
        "format": "png",
        "minzoom": "8",
        "maxzoom": "10",
        "bounds": ",".join(map(str, BBOX)),
        "type": "baselayer",
        "version": "1",
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    for z in ZOOMS:
        x0, y0 = xyz(BBOX[0], BBOX[3], z)
        x1, y1 = xyz(BBOX[2], BBOX[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                data = png(colour(z, x, y))
                made[(z, x, y)] = data
                # MBTiles rows count from the south (TMS).
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data))
    db.commit()
    db.close()
    return made


@pytest.fixture(scope="module")
def tiled(
    make_database: Callable[[], str],
    free_port: Callable[[], int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WallCenter, dict[tuple[int, int, int], bytes]]]:
    """A center whose base map is a generated MBTiles file."""
    folder = tmp_path_factory.mktemp("tiles")
    made = make_mbtiles(folder / "leshan.mbtiles")
    settings = Settings(
        database_url=make_database(),
        demo=True,
        data_dir=tmp_path_factory.mktemp("tiled"),
        tile_mbtiles=folder / "leshan.mbtiles",
        tile_attribution="测试底图",
    )
    port = free_port()
    server, thread, app = start_live(settings, port)
    center = WallCenter(
        f"http://127.0.0.1:{port}",
        app,
        {},
        settings=settings,
        port=port,
        server=server,
        thread=thread,
    )
    yield center, made
    center.stop()


def test_the_reader_flips_rows_and_knows_the_format(tmp_path: Path) -> None:
    made = make_mbtiles(tmp_path / "t.mbtiles")
    tiles = MBTiles(tmp_path / "t.mbtiles")
    (z, x, y), data = next(iter(made.items()))
    assert tiles.tile(z, x, y) == data
    assert tiles.media_type == "image/png" and (tiles.min_zoom, tiles.max_zoom) == (8, 10)
    assert tiles.tile(z, x, 2**z) is None and tiles.tile(3, 0, 0) is None
    with pytest.raises(FileNotFoundError):
        MBTiles(tmp_path / "missing.mbtiles")


def test_no_tiles_unless_the_center_supplies_them() -> None:
    assert tile_url(Settings(demo=True)) is None
    assert tile_url(Settings(demo=True, tile_mbtiles="/x.mbtiles")) == LOCAL_TILES
    own = "http://tiles.internal/{z}/{x}/{y}.png"
    assert tile_url(Settings(demo=True, tile_url=own, tile_mbtiles="/x.mbtiles")) == own


def test_tiles_are_served_to_signed_in_screens_only(
    tiled: tuple[WallCenter, dict[tuple[int, int, int], bytes]],
) -> None:
    wall, made = tiled
    (z, x, y), data = sorted(made.items())[len(made) // 2]
    with wall.client("duty") as c:
        r = c.get(f"/tiles/{z}/{x}/{y}.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content == data
        assert c.get(f"/tiles/{z}/{x}/{y + 50}.png").status_code == 404  # outside the area
        assert c.get("/tiles/14/0/0.png").status_code == 404  # deeper than the file goes
        assert c.get(f"/tiles/{z}/{x}/abc.png").status_code == 404
        assert c.get(f"/tiles/99/{x}/{y}.png").status_code == 422
    assert httpx.get(f"{wall.base_url}/tiles/{z}/{x}/{y}.png").status_code == 401


def test_the_wall_draws_the_offline_tiles_and_asks_no_one_else(
    browser: Any, tiled: tuple[WallCenter, dict[tuple[int, int, int], bytes]]
) -> None:
    wall, _ = tiled
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(f"{wall.base_url}/wallboard?token={wall.token('duty')}")
        page.wait_for_function(
            "() => document.querySelectorAll('img.leaflet-tile-loaded').length >= 4",
            timeout=15000,
        )
        tiles = [u for u in requests if "/tiles/" in u]
        assert tiles and all(urlsplit(u).path.endswith(".png") for u in tiles)
        hosts = {urlsplit(u).netloc for u in requests if u.startswith("http")}
        assert hosts == {urlsplit(wall.base_url).netloc}, hosts
        # Zoomed in past the file's deepest level: the deepest tiles are enlarged, not blank.
        page.evaluate("() => window.DC_MAP.map.setView([29.56, 103.76], 13, { animate: false })")
        page.wait_for_function(
            "() => document.querySelectorAll('img.leaflet-tile-loaded').length >= 1", timeout=10000
        )
        assert not [u for u in requests if "/tiles/13/" in u]
        page.evaluate("() => window.DC_MAP.map.setView([29.45, 103.65], 9, { animate: false })")
        page.wait_for_timeout(1000)
        shot(page, "wall-offline-tiles-1080p.png")
    finally:
        ctx.close()
