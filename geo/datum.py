"""Geodetic datums: WGS-84 (GPS, internal) and GCJ-02 (the offset datum of Chinese web maps).

Every point entering the center carries a declared datum. The internal datum is WGS-84; the
committed boundaries under ``geo/data`` were converted from GCJ-02 to WGS-84 at extraction.

The forward transform WGS-84 → GCJ-02 is the widely published one (Krasovsky ellipsoid
constants, the same polynomial-plus-sine offset). It has no closed-form inverse, so
GCJ-02 → WGS-84 inverts it by fixed-point iteration until the residual is below 1e-10 degrees
(~0.01 mm), which keeps the round-trip error far below the 1 m the center promises.
Outside mainland China GCJ-02 equals WGS-84, as in the published algorithm.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "Datum",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_many",
    "to_internal",
    "to_internal_many",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_many",
]

FloatArray = npt.NDArray[np.float64]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as fixed by the published GCJ-02 algorithm
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared
_PI = math.pi
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


class Datum(StrEnum):
    """The datum a coordinate is expressed in.

    Examples
    --------
    >>> Datum("gcj02") is Datum.gcj02
    True
    """

    wgs84 = "wgs84"
    gcj02 = "gcj02"


def _outside_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset(lon: float, lat: float) -> tuple[float, float]:
    x = lon - 105.0
    y = lat - 35.0
    s6x = 20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += s6x * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += s6x * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    radlat = lat / 180.0 * _PI
    magic = 1.0 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * _PI)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS-84 coordinate to GCJ-02.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(103.7699, 29.5447)
    >>> 0.001 < lon - 103.7699 < 0.01 and -0.01 < lat - 29.5447 < 0.0
    True
    """
    if _outside_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 coordinate to WGS-84 by iterative inversion (error < 1 mm).

    Examples
    --------
    >>> g = wgs84_to_gcj02(103.48, 29.60)
    >>> w = gcj02_to_wgs84(*g)
    >>> abs(w[0] - 103.48) < 1e-8 and abs(w[1] - 29.60) < 1e-8
    True
    """
    if _outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(_MAX_ITERATIONS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon -= elon
        wlat -= elat
        if abs(elon) < _TOLERANCE_DEG and abs(elat) < _TOLERANCE_DEG:
            break
    return wlon, wlat


def _offset_many(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    s6x = 20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += s6x * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += s6x * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    radlat = lat / 180.0 * _PI
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * _PI)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`wgs84_to_gcj02` over arrays of longitudes and latitudes.

    Examples
    --------
    >>> g_lon, g_lat = wgs84_to_gcj02_many([103.77, 0.0], [29.54, 0.0])
    >>> bool(g_lon[0] != 103.77), float(g_lon[1])
    (True, 0.0)
    """
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offset_many(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`gcj02_to_wgs84` (iterative inversion over the whole batch).

    Examples
    --------
    >>> g = wgs84_to_gcj02_many([103.5, 104.0], [29.0, 29.5])
    >>> w_lon, w_lat = gcj02_to_wgs84_many(*g)
    >>> bool(np.allclose(w_lon, [103.5, 104.0], atol=1e-8))
    True
    """
    glon = np.asarray(lon, dtype=np.float64)
    glat = np.asarray(lat, dtype=np.float64)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(_MAX_ITERATIONS):
        flon, flat = wgs84_to_gcj02_many(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon -= elon
        wlat -= elat
        if elon.size == 0 or (
            float(np.max(np.abs(elon))) < _TOLERANCE_DEG
            and float(np.max(np.abs(elat))) < _TOLERANCE_DEG
        ):
            break
    return wlon, wlat


def to_internal(lon: float, lat: float, datum: Datum | str) -> tuple[float, float]:
    """Express a point declared in ``datum`` in the internal datum (WGS-84).

    Examples
    --------
    >>> to_internal(103.77, 29.54, "wgs84")
    (103.77, 29.54)
    >>> lon, lat = to_internal(103.77, 29.54, Datum.gcj02)
    >>> lon < 103.77
    True
    """
    d = Datum(datum)
    if d is Datum.wgs84:
        return lon, lat
    return gcj02_to_wgs84(lon, lat)


def to_internal_many(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: Datum | str
) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`to_internal`.

    Examples
    --------
    >>> lo, la = to_internal_many([103.77], [29.54], "wgs84")
    >>> float(lo[0]), float(la[0])
    (103.77, 29.54)
    """
    d = Datum(datum)
    if d is Datum.wgs84:
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    return gcj02_to_wgs84_many(lon, lat)
