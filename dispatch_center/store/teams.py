"""SQL of the field teams: their positions (the live layer's ``unit.position`` entries),
their taskings (``team_tasks``, one active per team) and what tracking saw of them
(``team_events``). Migration 026.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

ACTIVE = ("dispatched", "on_scene")


async def positions(conn: Conn) -> list[Row]:
    """Every team's newest position report (one live layer entry per team), by code."""
    cur = await conn.execute(
        "SELECT system, key, at, title, lon, lat, data FROM feed_layer_state"
        " WHERE kind = 'unit.position' ORDER BY data->>'unit_code'"
    )
    return await cur.fetchall()


async def position(conn: Conn, code: str) -> Row | None:
    """One team's newest position report (None: no system ever reported it)."""
    cur = await conn.execute(
        "SELECT system, key, at, title, lon, lat, data FROM feed_layer_state"
        " WHERE kind = 'unit.position' AND data->>'unit_code' = %s ORDER BY at DESC LIMIT 1",
        (code,),
    )
    return await cur.fetchone()


async def active_tasks(conn: Conn) -> list[Row]:
    """The tasks in progress (dispatched or on scene), one per team at most."""
    cur = await conn.execute(
        "SELECT t.*, o.number AS order_number FROM team_tasks t"
        " LEFT JOIN orders o ON o.id = t.order_id"
        " WHERE t.state = ANY(%s) ORDER BY t.id",
        (list(ACTIVE),),
    )
    return await cur.fetchall()


async def active_task(conn: Conn, code: str) -> Row | None:
    """The team's task in progress, if any."""
    cur = await conn.execute(
        "SELECT t.*, o.number AS order_number FROM team_tasks t"
        " LEFT JOIN orders o ON o.id = t.order_id"
        " WHERE t.team_code = %s AND t.state = ANY(%s)",
        (code, list(ACTIVE)),
    )
    return await cur.fetchone()


async def insert_task(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """A new task; None when the team already has one in progress (the partial unique
    index decides, so two HQs racing for one team get one task and one 409).
    """
    cur = await conn.execute(
        "INSERT INTO team_tasks (team_code, team_name, order_id, incident_id, lon, lat, place,"
        " note, tasked_by, tasked_at) VALUES (%(team_code)s, %(team_name)s, %(order_id)s,"
        " %(incident_id)s, %(lon)s, %(lat)s, %(place)s, %(note)s, %(tasked_by)s, %(tasked_at)s)"
        " ON CONFLICT (team_code) WHERE state IN ('dispatched', 'on_scene') DO NOTHING"
        " RETURNING *",
        dict(values),
    )
    return await cur.fetchone()


async def mark_arrived(conn: Conn, task_id: int, at: datetime) -> Row | None:
    """Dispatched → on scene (None when it was not dispatched: another worker was first)."""
    cur = await conn.execute(
        "UPDATE team_tasks SET state = 'on_scene', arrived_at = %s"
        " WHERE id = %s AND state = 'dispatched' RETURNING *",
        (at, task_id),
    )
    return await cur.fetchone()


async def end_task(conn: Conn, task_id: int, state: str, by: str, at: datetime) -> Row | None:
    """Close a task in progress as ``done`` or ``cancelled`` (None: it was not in progress)."""
    cur = await conn.execute(
        "UPDATE team_tasks SET state = %s, ended_by = %s, ended_at = %s"
        " WHERE id = %s AND state = ANY(%s) RETURNING *",
        (state, by, at, task_id, list(ACTIVE)),
    )
    return await cur.fetchone()


async def record_event(conn: Conn, values: Mapping[str, Any]) -> Row | None:
    """Keep one tracking event (None: the same event was kept already, by another worker)."""
    cur = await conn.execute(
        "INSERT INTO team_events (team_code, task_id, at, kind, fence, fence_name)"
        " VALUES (%(team_code)s, %(task_id)s, %(at)s, %(kind)s, %(fence)s, %(fence_name)s)"
        " ON CONFLICT DO NOTHING RETURNING *",
        dict(values),
    )
    return await cur.fetchone()


async def task_events(conn: Conn, task_id: int) -> list[Row]:
    """The tracking events of one task, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM team_events WHERE task_id = %s ORDER BY at, id", (task_id,)
    )
    return await cur.fetchall()


async def warning_areas(conn: Conn, since: datetime) -> list[Row]:
    """The warning areas (CAP polygons) on the live layer since ``since``."""
    cur = await conn.execute(
        "SELECT key, title, area, data, at FROM feed_layer_state"
        " WHERE layer = 'warnings' AND area IS NOT NULL AND at >= %s",
        (since,),
    )
    return await cur.fetchall()
