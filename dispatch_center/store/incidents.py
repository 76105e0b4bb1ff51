"""SQL of incidents (a major event over many orders and teams) and their running log.
Migration 026.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]


async def insert_incident(conn: Conn, values: Mapping[str, Any]) -> Row:
    """A new open incident."""
    cur = await conn.execute(
        "INSERT INTO incidents (title, place, lon, lat, counties, opened_by, opened_at)"
        " VALUES (%(title)s, %(place)s, %(lon)s, %(lat)s, %(counties)s, %(opened_by)s,"
        " %(opened_at)s) RETURNING *",
        dict(values),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def get_incident(conn: Conn, incident_id: int, *, lock: bool = False) -> Row | None:
    """One incident (``lock``: for update, to change it in this transaction)."""
    cur = await conn.execute(
        "SELECT * FROM incidents WHERE id = %s" + (" FOR UPDATE" if lock else ""),
        (incident_id,),
    )
    return await cur.fetchone()


async def list_incidents(conn: Conn, status: str | None, limit: int) -> list[Row]:
    """Incidents, newest first (``status``: only open or only closed ones)."""
    cur = await conn.execute(
        "SELECT i.*, (SELECT count(*) FROM incident_orders o WHERE o.incident_id = i.id)"
        " AS order_count FROM incidents i"
        " WHERE %(status)s::text IS NULL OR i.status = %(status)s"
        " ORDER BY i.opened_at DESC, i.id DESC LIMIT %(limit)s",
        {"status": status, "limit": limit},
    )
    return await cur.fetchall()


async def attach_order(conn: Conn, incident_id: int, order_id: int, by: str, at: datetime) -> bool:
    """Attach an order; False when it was attached already."""
    cur = await conn.execute(
        "INSERT INTO incident_orders (incident_id, order_id, attached_by, attached_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (incident_id, order_id, by, at),
    )
    return await cur.fetchone() is not None


async def incident_orders(conn: Conn, incident_id: int) -> list[Row]:
    """The orders of an incident, in the order they were attached."""
    cur = await conn.execute(
        "SELECT o.id, o.number, o.status, o.urgency, o.category_code, o.county_code,"
        " o.address, i.attached_by, i.attached_at FROM incident_orders i"
        " JOIN orders o ON o.id = i.order_id WHERE i.incident_id = %s"
        " ORDER BY i.attached_at, o.id",
        (incident_id,),
    )
    return await cur.fetchall()


async def incident_tasks(conn: Conn, incident_id: int) -> list[Row]:
    """The team tasks of an incident (on its orders, or to its place), oldest first."""
    cur = await conn.execute(
        "SELECT t.*, o.number AS order_number FROM team_tasks t"
        " LEFT JOIN orders o ON o.id = t.order_id"
        " WHERE t.incident_id = %(id)s OR t.order_id IN"
        " (SELECT order_id FROM incident_orders WHERE incident_id = %(id)s)"
        " ORDER BY t.tasked_at, t.id",
        {"id": incident_id},
    )
    return await cur.fetchall()


async def open_incidents_of_order(conn: Conn, order_id: int) -> list[int]:
    """The open incidents an order is attached to."""
    cur = await conn.execute(
        "SELECT i.id FROM incident_orders o JOIN incidents i ON i.id = o.incident_id"
        " WHERE o.order_id = %s AND i.status = 'open' ORDER BY i.id",
        (order_id,),
    )
    return [int(r["id"]) for r in await cur.fetchall()]


async def log(
    conn: Conn,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: Mapping[str, Any] | None = None,
) -> Row:
    """Append one line to an incident's running log."""
    cur = await conn.execute(
        "INSERT INTO incident_log (incident_id, at, actor, kind, text, data)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
        (incident_id, at, actor, kind, text, Jsonb(dict(data or {}))),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def log_lines(conn: Conn, incident_id: int) -> list[Row]:
    """An incident's log, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM incident_log WHERE incident_id = %s ORDER BY at, id", (incident_id,)
    )
    return await cur.fetchall()


async def close_incident(
    conn: Conn, incident_id: int, by: str, at: datetime, summary: str
) -> Row | None:
    """Close an open incident with its summary (None: it was closed already)."""
    cur = await conn.execute(
        "UPDATE incidents SET status = 'closed', closed_by = %s, closed_at = %s, summary = %s"
        " WHERE id = %s AND status = 'open' RETURNING *",
        (by, at, summary, incident_id),
    )
    return await cur.fetchone()


async def logs_for(conn: Conn, ids: Sequence[int]) -> list[Row]:
    """The log lines of several incidents (a report cites them), oldest first."""
    cur = await conn.execute(
        "SELECT * FROM incident_log WHERE incident_id = ANY(%s) ORDER BY at, id", (list(ids),)
    )
    return await cur.fetchall()
