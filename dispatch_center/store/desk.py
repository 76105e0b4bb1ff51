"""SQL of the call-taker's desk: open orders near a point (the live duplicates), a
caller's orders (the screen pop), the call ringing at a seat, calls passed to another city.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def orders_near(
    conn: Conn,
    *,
    bbox: tuple[float, float, float, float],
    since: datetime,
    statuses: Sequence[str],
    limit: int = 300,
) -> list[Row]:
    """Orders in ``statuses`` received since ``since`` whose point lies in ``bbox``
    (min lon, min lat, max lon, max lat), each with how many calls were attached to it.
    """
    cur = await conn.execute(
        "SELECT o.id, o.number, o.status, o.category_code, o.description, o.lon, o.lat,"
        " o.received_at,"
        " (SELECT count(*) FROM orders m WHERE m.merged_into = o.id) AS repeat_calls"
        " FROM orders o"
        " WHERE o.status = ANY(%(st)s) AND o.received_at >= %(since)s"
        " AND o.lon BETWEEN %(x0)s AND %(x1)s AND o.lat BETWEEN %(y0)s AND %(y1)s"
        " ORDER BY o.received_at DESC LIMIT %(limit)s",
        {
            "st": list(statuses),
            "since": since,
            "x0": bbox[0],
            "y0": bbox[1],
            "x1": bbox[2],
            "y1": bbox[3],
            "limit": limit,
        },
    )
    return await cur.fetchall()


async def orders_of_caller(conn: Conn, phone: str, limit: int = 20) -> list[Row]:
    """A caller's orders, newest first (matched on the number as recorded)."""
    cur = await conn.execute(
        "SELECT id, number, status, request_type, category_code, description, address,"
        " received_at, merged_into, source_id FROM orders WHERE reporter_phone = %s"
        " ORDER BY received_at DESC, id DESC LIMIT %s",
        (phone, limit),
    )
    return await cur.fetchall()


async def calls_of_caller_since(conn: Conn, phone: str, since: datetime) -> int:
    """How many calls the CTI recorded from ``phone`` since ``since``."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM voice_calls WHERE caller = %s"
        " AND coalesce(rang_at, answered_at) >= %s",
        (phone, since),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def call_at_seat(conn: Conn, seat: str, since: datetime) -> Row | None:
    """The latest call the CTI put through to ``seat`` since ``since`` (ringing, answered or
    just ended).
    """
    cur = await conn.execute(
        "SELECT * FROM voice_calls WHERE agent_id = %s"
        " AND coalesce(answered_at, rang_at) >= %s"
        " ORDER BY coalesce(answered_at, rang_at) DESC LIMIT 1",
        (seat, since),
    )
    return await cur.fetchone()


async def record_city_transfer(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Record a call passed to another city's 12345."""
    cur = await conn.execute(
        "INSERT INTO city_transfers (at, actor, call_id, city, hotline, lon, lat, note)"
        " VALUES (%(at)s, %(actor)s, %(call_id)s, %(city)s, %(hotline)s, %(lon)s, %(lat)s,"
        " %(note)s) RETURNING *",
        dict(values),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def taxonomy_leaves(conn: Conn) -> list[Row]:
    """Active taxonomy categories that have a parent (the codes an order is filed under)."""
    cur = await conn.execute(
        "SELECT code, name_zh, name_en FROM taxonomy"
        " WHERE active AND parent_code IS NOT NULL ORDER BY code"
    )
    return await cur.fetchall()


async def categorised_descriptions(conn: Conn, limit: int) -> list[Row]:
    """The latest orders' descriptions with their category (the classifier's examples)."""
    cur = await conn.execute(
        "SELECT category_code, description FROM orders WHERE category_code IS NOT NULL"
        " ORDER BY id DESC LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()
