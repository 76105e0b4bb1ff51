"""SQL for the photos of a reply (``order_photos``, migration 025)."""

from __future__ import annotations

from typing import Any

import psycopg

Row = dict[str, Any]


async def add_photo(
    conn: psycopg.AsyncConnection[Row],
    order_id: int,
    uploaded_by: str,
    *,
    content_type: str,
    width: int,
    height: int,
    lon: float | None,
    lat: float | None,
    data: bytes,
) -> Row:
    """Store one photo; returns its id and facts (not the bytes)."""
    cur = await conn.execute(
        "INSERT INTO order_photos"
        " (order_id, uploaded_by, content_type, width, height, lon, lat, data)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id, order_id, uploaded_by, uploaded_at, content_type, width, height,"
        " lon, lat, octet_length(data) AS size",
        (order_id, uploaded_by, content_type, width, height, lon, lat, data),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def photo_facts(
    conn: psycopg.AsyncConnection[Row], order_id: int, ids: list[int]
) -> list[Row]:
    """The facts of the photos ``ids`` that belong to ``order_id``."""
    cur = await conn.execute(
        "SELECT id, lon, lat, width, height FROM order_photos WHERE order_id = %s AND id = ANY(%s)",
        (order_id, ids),
    )
    return await cur.fetchall()


async def get_photo(conn: psycopg.AsyncConnection[Row], order_id: int, photo_id: int) -> Row | None:
    """One photo with its bytes."""
    cur = await conn.execute(
        "SELECT id, content_type, data FROM order_photos WHERE order_id = %s AND id = %s",
        (order_id, photo_id),
    )
    return await cur.fetchone()
