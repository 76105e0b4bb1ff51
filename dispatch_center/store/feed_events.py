"""SQL for what the feeds said: feed events, the live layer state and CAP chains.

Feed events are deduplicated through ``feed_dedupe`` (see migration 007 for why not a unique
index on the partitioned ``feed_events``); the change-log rows the wall needs are written in
the same transaction as the events with the store's gap-free sequence
(:func:`dispatch_center.store.changes.append_change`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

__all__ = ["EventRow"]


# -- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    """One feed event as stored (``key`` names its live-layer entry)."""

    system: str
    source_id: str
    key: str
    at: datetime
    kind: str
    layer: str
    severity: str
    title: str
    lon: float | None
    lat: float | None
    area: Mapping[str, Any] | None
    data: Mapping[str, Any]


async def record_events(
    conn: Conn, rows: Sequence[EventRow], received_at: datetime
) -> list[EventRow]:
    """Store events not seen before (per system and source id); return the new ones.

    Runs inside the caller's transaction; the live layer keeps the newest value per key.
    One statement does the dedupe, the event rows and the layer upsert: the batch travels
    as one JSON document (the rows are dataclasses, which the store's orjson dumper writes
    in C), because binding a dozen Python lists as arrays cost more than everything else
    on the ingest path.
    """
    if not rows:
        return []
    unique: dict[tuple[str, str], EventRow] = {}
    for r in rows:
        unique.setdefault((r.system, r.source_id), r)
    cur = await conn.execute(
        "WITH input AS ("
        "  SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS x(system text, source_id text,"
        "  key text, at timestamptz, kind text, layer text, severity text, title text,"
        "  lon float8, lat float8, area jsonb, data jsonb)"
        "), fresh AS ("
        "  INSERT INTO feed_dedupe (system, source_id, at)"
        "  SELECT system, source_id, %(received)s FROM input"
        "  ON CONFLICT DO NOTHING RETURNING system, source_id"
        "), new_rows AS ("
        "  SELECT i.* FROM input i JOIN fresh f USING (system, source_id)"
        "), events AS ("
        "  INSERT INTO feed_events (at, received_at, system, source_id, kind, layer, severity,"
        "  title, lon, lat, area, data)"
        "  SELECT at, %(received)s, system, source_id, kind, layer, severity, title, lon, lat,"
        "  area, coalesce(data, '{}') FROM new_rows"
        "), state AS ("
        "  INSERT INTO feed_layer_state AS f (at, system, key, kind, layer, severity, title,"
        "  lon, lat, area, data)"
        "  SELECT DISTINCT ON (system, key) at, system, key, kind, layer, severity, title, lon,"
        "  lat, area, coalesce(data, '{}') FROM new_rows"
        "  ORDER BY system, key, at DESC, source_id DESC"
        "  ON CONFLICT (system, key) DO UPDATE SET at = EXCLUDED.at, kind = EXCLUDED.kind,"
        "  layer = EXCLUDED.layer, severity = EXCLUDED.severity, title = EXCLUDED.title,"
        "  lon = EXCLUDED.lon, lat = EXCLUDED.lat, area = EXCLUDED.area, data = EXCLUDED.data"
        "  WHERE f.at <= EXCLUDED.at"
        ") SELECT system, source_id FROM fresh",
        {"rows": Jsonb(list(unique.values())), "received": received_at},
    )
    return [unique[(r["system"], r["source_id"])] for r in await cur.fetchall()]


async def layer_state(conn: Conn, since: datetime | None = None) -> list[Row]:
    """The live layer entries (newest value per system and key)."""
    cur = await conn.execute(
        "SELECT * FROM feed_layer_state WHERE %(since)s::timestamptz IS NULL OR at >= %(since)s"
        " ORDER BY layer, system, key",
        {"since": since},
    )
    return await cur.fetchall()


# -- CAP ----------------------------------------------------------------------------------


async def cap_get(conn: Conn, sender: str, identifier: str) -> Row | None:
    """One stored CAP message."""
    cur = await conn.execute(
        "SELECT * FROM cap_alerts WHERE sender = %s AND identifier = %s", (sender, identifier)
    )
    return await cur.fetchone()


async def cap_chain(conn: Conn, chain_key: str) -> list[Row]:
    """The messages of one chain, oldest first."""
    cur = await conn.execute(
        "SELECT * FROM cap_alerts WHERE chain_key = %s ORDER BY sent, identifier", (chain_key,)
    )
    return await cur.fetchall()


async def cap_insert(conn: Conn, values: Mapping[str, Any]) -> bool:
    """Store one CAP message; False when (sender, identifier) is already there."""
    v = dict(values)
    v["area"] = Jsonb(v["area"]) if v.get("area") is not None else None
    cur = await conn.execute(
        "INSERT INTO cap_alerts (sender, identifier, chain_key, msg_type, status, sent, severity,"
        " event, headline, expires, area, xml, state, received_at)"
        " VALUES (%(sender)s, %(identifier)s, %(chain_key)s, %(msg_type)s, %(status)s, %(sent)s,"
        " %(severity)s, %(event)s, %(headline)s, %(expires)s, %(area)s, %(xml)s, %(state)s,"
        " %(received_at)s) ON CONFLICT DO NOTHING RETURNING 1",
        v,
    )
    return await cur.fetchone() is not None


async def cap_set_chain_state(
    conn: Conn, chain_key: str, state: str, *, except_identifier: tuple[str, str] | None = None
) -> None:
    """Mark the chain's other messages (superseded / cancelled)."""
    sender, ident = except_identifier or ("", "")
    await conn.execute(
        "UPDATE cap_alerts SET state = %s WHERE chain_key = %s"
        " AND NOT (sender = %s AND identifier = %s)",
        (state, chain_key, sender, ident),
    )


async def cap_active(conn: Conn, now: datetime) -> list[Row]:
    """Current versions of chains not cancelled and not expired."""
    cur = await conn.execute(
        "SELECT sender, identifier, chain_key, msg_type, status, sent, severity, event, headline,"
        " expires, area, received_at FROM cap_alerts WHERE state = 'current'"
        " AND msg_type IN ('Alert', 'Update') AND (expires IS NULL OR expires > %s)"
        " ORDER BY sent DESC",
        (now,),
    )
    return await cur.fetchall()
