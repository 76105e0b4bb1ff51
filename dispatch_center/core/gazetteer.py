"""The gazetteer (地名库): place names a call-taker types, with a point for each.

A center imports its own list as CSV with the header ``name,kind,lon,lat,datum,adcode``
(``datum`` is ``wgs84`` or ``gcj02``; points are stored in the internal datum, WGS-84,
converted by :func:`geo.datum.to_internal`). Lines starting with ``#`` are comments, so a
file can say where it came from and whether it is demo data.

Ranking is the desk's: a name equal to what was typed first, then names starting with it,
then names containing it; within each, the kinds a caller names most often first
(:data:`KIND_RANK`), then shorter names.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from geo.datum import Datum, to_internal

__all__ = ["HEADER", "KINDS", "KIND_RANK", "Place", "PlaceError", "parse_places"]

HEADER = ("name", "kind", "lon", "lat", "datum", "adcode")

#: Kinds best first: a caller says "沙湾区" or "嘉农镇" or "乐山大佛" far more often than a
#: road or a synthetic grid cell, so those come first when several names match equally well.
KIND_RANK: tuple[str, ...] = (
    "county",  # 区/县/县级市
    "township",  # 乡/镇
    "street",  # 街道 (the sub-district)
    "landmark",  # 景点/地标/商圈
    "community",  # 社区
    "village",  # 村
    "road",  # 路/街
    "grid",  # the demo's synthetic grid cells
)
KINDS = frozenset(KIND_RANK)

_ADCODE = re.compile(r"^\d{6}$")
MAX_NAME = 64


class PlaceError(ValueError):
    """A line of a gazetteer file that cannot be imported; says which line and field."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {field}: {message}")
        self.line = line
        self.field = field


@dataclass(frozen=True, slots=True)
class Place:
    """One named place, its point in WGS-84."""

    name: str
    kind: str
    lon: float
    lat: float
    adcode: str

    def as_dict(self) -> dict[str, object]:
        """The API's shape (``name``, ``kind``, ``lon``, ``lat``, ``adcode``)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "lon": self.lon,
            "lat": self.lat,
            "adcode": self.adcode,
        }


def _number(raw: str, line: int, field: str, lo: float, hi: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise PlaceError(line, field, f"not a number: {raw!r}") from None
    if not lo <= value <= hi:
        raise PlaceError(line, field, f"{value} is outside {lo}..{hi}")
    return value


def parse_places(text: str) -> list[Place]:
    """Parse a gazetteer CSV into places in WGS-84; duplicates (same name and adcode) keep
    the first line.

    Parameters
    ----------
    text : str
        The file's text: an optional ``#`` comment block, the header, then one place a line.

    Returns
    -------
    list of Place

    Raises
    ------
    PlaceError
        On the first line that cannot be imported (its number and field named).

    Examples
    --------
    >>> head = "name,kind,lon,lat,datum,adcode\\n"
    >>> rows = parse_places(head + "乐山大佛,landmark,103.77,29.54,wgs84,511102\\n")
    >>> rows[0].name, rows[0].lon
    ('乐山大佛', 103.77)
    >>> g = parse_places(head + "乐山大佛,landmark,103.77,29.54,gcj02,511102\\n")
    >>> g[0].lon < 103.77
    True
    """
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise PlaceError(1, "header", f"must be {','.join(HEADER)}")
    seen: set[tuple[str, str]] = set()
    out: list[Place] = []
    for n, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise PlaceError(n, "row", f"{len(row)} fields, expected {len(HEADER)}")
        name, kind, lon_s, lat_s, datum, adcode = (c.strip() for c in row)
        if not name or len(name) > MAX_NAME:
            raise PlaceError(n, "name", f"must be 1..{MAX_NAME} characters")
        if kind not in KINDS:
            raise PlaceError(n, "kind", f"{kind!r} is not one of {', '.join(KIND_RANK)}")
        if datum not in (d.value for d in Datum):
            raise PlaceError(n, "datum", "must be wgs84 or gcj02")
        if not _ADCODE.match(adcode):
            raise PlaceError(n, "adcode", "must be 6 digits")
        lon = _number(lon_s, n, "lon", -180, 180)
        lat = _number(lat_s, n, "lat", -90, 90)
        if (name, adcode) in seen:
            continue
        seen.add((name, adcode))
        ilon, ilat = to_internal(lon, lat, datum)
        out.append(Place(name, kind, round(ilon, 7), round(ilat, 7), adcode))
    return out
