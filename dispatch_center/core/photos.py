"""Photos of a reply (办结), as a phone sends them: a JPEG, read without decoding it.

:func:`clean_jpeg` keeps the picture and drops the metadata a phone writes into it (EXIF
with the camera, the owner's name and the time; XMP; IPTC; comments), except the one fact
the center wants: where it was taken. The GPS position in the EXIF block, if any, is
returned beside the clean bytes and becomes the reply's place; it does not stay in the file.

Only the segments a decoder needs stay: the JFIF header (APP0), the colour profile (APP2
``ICC_PROFILE``), Adobe's colour transform (APP14) and every non-APP segment.

Pure: bytes in, bytes and facts out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["CleanPhoto", "PhotoError", "clean_jpeg", "exif_gps"]

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


class PhotoError(ValueError):
    """Not a JPEG this center stores (HTTP 422 naming ``photo``)."""


@dataclass(frozen=True)
class CleanPhoto:
    """A JPEG without its metadata, its size in pixels, and the GPS place it carried."""

    data: bytes
    width: int
    height: int
    lon: float | None = None
    lat: float | None = None


def clean_jpeg(data: bytes) -> CleanPhoto:
    """Strip a JPEG's metadata, keeping its GPS position apart.

    Raises
    ------
    PhotoError
        Not a JPEG, or one cut short.

    Examples
    --------
    >>> sof = b"\\xff\\xc0\\x00\\x0b\\x08\\x00\\x02\\x00\\x03\\x01\\x01\\x11\\x00"
    >>> jpeg = b"\\xff\\xd8\\xff\\xfe\\x00\\x05hi!" + sof
    >>> jpeg += b"\\xff\\xda\\x00\\x02pix\\xff\\xd9"
    >>> photo = clean_jpeg(jpeg)
    >>> (photo.width, photo.height, b"hi!" in photo.data, photo.data.endswith(b"pix\\xff\\xd9"))
    (3, 2, False, True)
    """
    if not data.startswith(b"\xff\xd8"):
        raise PhotoError("not a JPEG image")
    out = bytearray(b"\xff\xd8")
    pos, width, height = 2, 0, 0
    lon = lat = None
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise PhotoError("the JPEG is cut short or damaged")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the picture itself, kept as it is
            out += data[pos:]
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise PhotoError("the JPEG is cut short or damaged")
        body = data[pos + 4 : end]
        if marker in _SOF and len(body) >= 5:
            height, width = struct.unpack(">HH", body[1:5])
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            found = exif_gps(body[6:])
            if found is not None:
                lon, lat = found
        if _keep(marker, body):
            out += data[pos:end]
        pos = end
    if not width or not height:
        raise PhotoError("the JPEG has no frame header")
    return CleanPhoto(bytes(out), width, height, lon, lat)


def _keep(marker: int, body: bytes) -> bool:
    if marker == 0xFE:  # comment
        return False
    if 0xE0 <= marker <= 0xEF:
        return (
            marker == 0xE0
            or (marker == 0xE2 and body.startswith(b"ICC_PROFILE"))
            or (marker == 0xEE and body.startswith(b"Adobe"))
        )
    return True


def exif_gps(tiff: bytes) -> tuple[float, float] | None:
    """The (lon, lat) an EXIF block's GPS directory gives, in degrees, or None.

    Examples
    --------
    >>> exif_gps(b"II*\\x00\\x08\\x00\\x00\\x00\\x00\\x00") is None
    True
    """
    try:
        return _gps(tiff)
    except (struct.error, IndexError, ZeroDivisionError, ValueError):
        return None  # a broken EXIF block only loses the place, never the photo


def _gps(tiff: bytes) -> tuple[float, float] | None:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    gps_at = _entries(tiff, order, ifd0).get(0x8825)
    if gps_at is None:
        return None
    gps = _entries(tiff, order, struct.unpack(order + "I", gps_at[2])[0])

    def degrees(tag: int, ref_tag: int, negative: bytes) -> float | None:
        if tag not in gps or ref_tag not in gps:
            return None
        _, count, raw = gps[tag]
        offset = struct.unpack(order + "I", raw)[0]
        parts = [
            struct.unpack(order + "II", tiff[offset + 8 * i : offset + 8 * i + 8])
            for i in range(min(count, 3))
        ]
        value = float(sum(n / d / 60**i for i, (n, d) in enumerate(parts)))
        return -value if gps[ref_tag][2][:1] == negative else value

    lat = degrees(2, 1, b"S")
    lon = degrees(4, 3, b"W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lon, 7), round(lat, 7)


def _entries(tiff: bytes, order: str, at: int) -> dict[int, tuple[int, int, bytes]]:
    (count,) = struct.unpack(order + "H", tiff[at : at + 2])
    out: dict[int, tuple[int, int, bytes]] = {}
    for i in range(min(count, 200)):
        base = at + 2 + 12 * i
        tag, kind, n = struct.unpack(order + "HHI", tiff[base : base + 8])
        out[tag] = (kind, n, tiff[base + 8 : base + 12])
    return out
