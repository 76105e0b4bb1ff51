"""An MBTiles file (the center's own base map, offline): a SQLite database of map tiles.

MBTiles 1.3 keeps tiles in ``tiles(zoom_level, tile_column, tile_row, tile_data)`` with the
row counted from the south (TMS); the web's XYZ scheme counts from the north, so a
request's ``y`` is flipped. ``metadata(name, value)`` names the format and the zoom range.
Read with the standard library's ``sqlite3``, read-only: the file is the center's to
replace, never ours to change.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

__all__ = ["MEDIA_TYPES", "MBTiles"]

MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}


class MBTiles:
    """A read-only MBTiles file.

    Examples
    --------
    >>> import sqlite3, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.mbtiles")
    >>> db = sqlite3.connect(path)
    >>> _ = db.executescript("CREATE TABLE metadata (name text, value text);"
    ...     "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob);"
    ...     "INSERT INTO metadata VALUES ('format', 'png'), ('minzoom', '1'), ('maxzoom', '1');"
    ...     "INSERT INTO tiles VALUES (1, 0, 1, x'89504e47');")
    >>> db.commit(); db.close()
    >>> tiles = MBTiles(path)
    >>> tiles.tile(1, 0, 0), tiles.tile(1, 0, 1), tiles.media_type, tiles.max_zoom
    (b'\\x89PNG', None, 'image/png', 1)
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no MBTiles file at {self.path}")
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        self.metadata: dict[str, str] = {str(k): str(v) for k, v in rows}
        self.format = self.metadata.get("format", "png").lower()
        self.media_type = MEDIA_TYPES.get(self.format, "application/octet-stream")
        self.min_zoom = _int(self.metadata.get("minzoom"))
        self.max_zoom = _int(self.metadata.get("maxzoom"))

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ ``z/x/y`` (None when the file has none there)."""
        if z < 0 or z > 30 or not (0 <= x < 2**z and 0 <= y < 2**z):
            return None
        row = (2**z - 1) - y
        with self._lock:
            got = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ?"
                " AND tile_row = ?",
                (z, x, row),
            ).fetchone()
        return bytes(got[0]) if got else None

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
