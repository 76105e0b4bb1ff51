"""Photos of a reply (办结) taken on a handler's phone: stored without their metadata, the
GPS place they carried kept as the reply's place (:mod:`dispatch_center.core.photos`).

A photo is uploaded to an order first (the unit holding it, or a co-handling unit), then
named by id in the reply's ``photo_ids``; whoever may read the order may see its photos.
"""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import delegation as dl
from dispatch_center.core import photos as core
from dispatch_center.core.roles import Role
from dispatch_center.errors import Invalid, NotFound, TooLarge
from dispatch_center.orders.service import may_see, parse_order_id
from dispatch_center.store import orders as order_store
from dispatch_center.store import photos as store

Row = dict[str, Any]
JPEG = "image/jpeg"


def _place(lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("give lon and lat together, in degrees", fields={"lon": "lon and lat"})
    return lon, lat


async def upload_photo(
    center: Center,
    who: Principal,
    order_id: str,
    data: bytes,
    content_type: str,
    *,
    lon: float | None = None,
    lat: float | None = None,
) -> Row:
    """Store a reply's photo; returns its id, size in pixels and place.

    ``lon``/``lat`` is the place the phone read from the original picture before resizing
    it (a resized copy has lost its EXIF); a GPS position still in the upload wins.
    """
    oid = parse_order_id(order_id)
    if content_type.split(";")[0].strip().lower() != JPEG:
        raise Invalid("photos are JPEG images", fields={"photo": "send image/jpeg"})
    if len(data) > center.settings.max_body_bytes:
        raise TooLarge(f"a photo may be {center.settings.max_body_bytes} bytes at most")
    given = _place(lon, lat)
    try:
        photo = core.clean_jpeg(data)
    except core.PhotoError as exc:
        raise Invalid(str(exc), fields={"photo": str(exc)}) from exc
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, oid)
        if row is None or not may_see(center, who, row):
            raise NotFound(f"no order {order_id!r}")
        tree = center.reference.unit_tree
        standing = dl.standing_of(who.unit_code, row.get("assigned_unit"), tree)
        co_unit = who.unit_code in (row.get("co_units") or ())
        if who.role is Role.handler and standing is not dl.Standing.holder and not co_unit:
            raise NotFound(f"no order {order_id!r} held by your unit")
        place = (photo.lon, photo.lat) if photo.lon is not None else given
        saved = await store.add_photo(
            conn,
            oid,
            who.username,
            content_type=JPEG,
            width=photo.width,
            height=photo.height,
            lon=place[0],
            lat=place[1],
            data=photo.data,
        )
    return {
        "id": str(saved["id"]),
        "order_id": str(oid),
        "width": saved["width"],
        "height": saved["height"],
        "size": saved["size"],
        "lon": saved["lon"],
        "lat": saved["lat"],
        "url": f"/api/v1/orders/{oid}/photos/{saved['id']}",
    }


async def read_photo(center: Center, who: Principal, order_id: str, photo_id: str) -> Row:
    """A photo's bytes, for whoever may read its order."""
    oid = parse_order_id(order_id)
    pid = parse_order_id(photo_id)  # the same shape of id, and the same 404 when not one
    async with center.db.connection() as conn:
        row = await order_store.get_order(conn, oid)
        if row is None or not may_see(center, who, row):
            raise NotFound(f"no order {order_id!r}")
        got = await store.get_photo(conn, oid, pid)
    if got is None:
        raise NotFound(f"no photo {photo_id!r}")
    return dict(got)
