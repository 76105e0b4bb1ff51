"""SQL for the feeds: sources, the durable intake queue, dead letters, feed events, the live
layer state, CAP chains, 110 linkage messages and intake-channel state.

Feed events are deduplicated through ``feed_dedupe`` (see migration 007 for why not a unique
index on the partitioned ``feed_events``); the change-log rows the wall needs are written in
the same transaction as the events with the store's gap-free sequence
(:func:`dispatch_center.store.changes.append_change`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

__all__ = ["EventRow"]


# -- sources ------------------------------------------------------------------------------


async def upsert_source(
    conn: Conn,
    system: str,
    *,
    key_hash: str | None,
    hmac_secret: str | None,
    rate_per_s: float,
    burst: int,
    max_bytes: int,
) -> None:
    """Create or refresh one source's credentials and limits (seeded from settings)."""
    await conn.execute(
        "INSERT INTO feed_sources (system, key_hash, hmac_secret, rate_per_s, burst, max_bytes)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (system) DO UPDATE SET"
        " key_hash = EXCLUDED.key_hash, hmac_secret = EXCLUDED.hmac_secret,"
        " rate_per_s = EXCLUDED.rate_per_s, burst = EXCLUDED.burst,"
        " max_bytes = EXCLUDED.max_bytes, updated_at = now()",
        (system, key_hash, hmac_secret, rate_per_s, burst, max_bytes),
    )


async def list_sources(conn: Conn) -> list[Row]:
    """Every source row."""
    cur = await conn.execute("SELECT * FROM feed_sources ORDER BY system")
    return await cur.fetchall()


# -- intake (the durable queue without Redis) ---------------------------------------------


async def intake_insert_many(
    conn: Conn, items: Sequence[tuple[str, datetime, str, bytes]]
) -> list[int]:
    """Persist accepted payloads ``(system, received_at, content_type, payload)``.

    Their ids, in order; the caller commits before any of their 202s goes out.
    """
    if not items:
        return []
    # Ids are drawn first and written explicitly, so each caller is told its own row's id
    # without relying on the order RETURNING happens to produce.
    cur = await conn.execute(
        "SELECT nextval(pg_get_serial_sequence('intake', 'id')) AS id FROM generate_series(1, %s)",
        (len(items),),
    )
    ids = [int(r["id"]) for r in await cur.fetchall()]
    await conn.execute(
        "INSERT INTO intake (id, system, received_at, content_type, payload)"
        " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[],"
        " %s::bytea[])",
        (
            ids,
            [i[0] for i in items],
            [i[1] for i in items],
            [i[2] for i in items],
            [i[3] for i in items],
        ),
    )
    return ids


async def intake_finish_many(conn: Conn, done: Sequence[tuple[int, str | None]]) -> None:
    """Mark payloads done, or failed with their error, in one statement."""
    if not done:
        return
    await conn.execute(
        "UPDATE intake AS i SET status = CASE WHEN u.e IS NULL THEN 'done' ELSE 'failed' END,"
        " error = u.e, done_at = now(), attempts = i.attempts + 1"
        " FROM unnest(%s::bigint[], %s::text[]) AS u(id, e) WHERE i.id = u.id",
        ([d[0] for d in done], [d[1] for d in done]),
    )


async def intake_pending(conn: Conn, after_id: int, upto: int, limit: int) -> list[Row]:
    """Pending payloads in (after_id, upto], oldest first (recovery after a restart)."""
    cur = await conn.execute(
        "SELECT id, system, received_at, content_type, payload FROM intake"
        " WHERE status = 'pending' AND id > %s AND id <= %s ORDER BY id LIMIT %s",
        (after_id, upto, limit),
    )
    return await cur.fetchall()


async def intake_max_id(conn: Conn) -> int:
    """The newest intake id (what a restart must look at)."""
    cur = await conn.execute("SELECT coalesce(max(id), 0) AS m FROM intake")
    row = await cur.fetchone()
    return int(row["m"]) if row else 0


async def intake_get(conn: Conn, intake_id: int) -> Row | None:
    """One intake row."""
    cur = await conn.execute("SELECT * FROM intake WHERE id = %s", (intake_id,))
    return await cur.fetchone()


async def intake_counts(conn: Conn) -> dict[str, int]:
    """Rows per status."""
    cur = await conn.execute("SELECT status, count(*) AS n FROM intake GROUP BY status")
    return {r["status"]: int(r["n"]) for r in await cur.fetchall()}


# -- dead letters -------------------------------------------------------------------------


async def dead_letter_insert(
    conn: Conn,
    system: str,
    received_at: datetime,
    content_type: str,
    payload: bytes,
    error: str,
    field: str | None,
) -> int:
    """Keep a payload that could not be understood."""
    cur = await conn.execute(
        "INSERT INTO dead_letters (system, received_at, content_type, payload, error, field)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (system, received_at, content_type, payload, error, field),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def dead_letters(
    conn: Conn, *, system: str | None, include_replayed: bool, before_id: int | None, limit: int
) -> list[Row]:
    """Dead letters, newest first."""
    cur = await conn.execute(
        "SELECT * FROM dead_letters WHERE (%(system)s::text IS NULL OR system = %(system)s)"
        " AND (%(all)s OR replayed_at IS NULL)"
        " AND (%(before)s::bigint IS NULL OR id < %(before)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"system": system, "all": include_replayed, "before": before_id, "limit": limit},
    )
    return await cur.fetchall()


async def dead_letter_get(conn: Conn, dead_id: int) -> Row | None:
    """One dead letter."""
    cur = await conn.execute("SELECT * FROM dead_letters WHERE id = %s", (dead_id,))
    return await cur.fetchone()


async def dead_letter_replayed(conn: Conn, dead_id: int, at: datetime, result: str) -> None:
    """Record a successful replay (a failed replay leaves the letter open)."""
    await conn.execute(
        "UPDATE dead_letters SET replayed_at = %s, replay_result = %s WHERE id = %s",
        (at, result, dead_id),
    )


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


async def count_events(conn: Conn, system: str | None = None) -> int:
    """Stored feed events (of one system)."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM feed_events WHERE %(s)s::text IS NULL OR system = %(s)s",
        {"s": system},
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


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


# -- 110 linkage --------------------------------------------------------------------------


async def linkage_insert(
    conn: Conn,
    *,
    direction: str,
    msg_id: str,
    msg_type: str,
    body: Mapping[str, Any],
    order_id: int | None = None,
    ref_no: str | None = None,
) -> Row | None:
    """Record a linkage message; ``None`` when that msg_id is already recorded."""
    cur = await conn.execute(
        "INSERT INTO linkage_messages (direction, msg_id, msg_type, order_id, ref_no, body)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (msg_id) DO NOTHING RETURNING *",
        (direction, msg_id, msg_type, order_id, ref_no, Jsonb(dict(body))),
    )
    return await cur.fetchone()


async def linkage_list(
    conn: Conn, *, direction: str | None, order_id: int | None, pending: bool, limit: int
) -> list[Row]:
    """Linkage messages, newest first."""
    cur = await conn.execute(
        "SELECT * FROM linkage_messages WHERE (%(d)s::text IS NULL OR direction = %(d)s)"
        " AND (%(o)s::bigint IS NULL OR order_id = %(o)s)"
        " AND (NOT %(p)s OR (direction = 'out' AND sent_at IS NULL))"
        " ORDER BY id DESC LIMIT %(l)s",
        {"d": direction, "o": order_id, "p": pending, "l": limit},
    )
    return await cur.fetchall()


async def linkage_mark_sent(conn: Conn, ids: Iterable[int], at: datetime) -> int:
    """Outgoing messages handed to the 110 platform."""
    cur = await conn.execute(
        "UPDATE linkage_messages SET sent_at = %s WHERE id = ANY(%s) AND direction = 'out'"
        " AND sent_at IS NULL",
        (at, list(ids)),
    )
    return cur.rowcount


async def linkage_acked(conn: Conn, ref_msg_id: str, result: str) -> Row | None:
    """Record the other side's ACK on our message."""
    cur = await conn.execute(
        "UPDATE linkage_messages SET acked = %s WHERE msg_id = %s RETURNING *",
        (result, ref_msg_id),
    )
    return await cur.fetchone()


async def linkage_sent(conn: Conn, msg_id: str) -> Row | None:
    """Our outgoing message with that ``msg_id`` (what an incoming ACK refers to)."""
    cur = await conn.execute(
        "SELECT * FROM linkage_messages WHERE msg_id = %s AND direction = 'out'", (msg_id,)
    )
    return await cur.fetchone()


async def linkage_transferred(conn: Conn, number: str) -> Row | None:
    """The order numbered ``number`` if we sent it to 110 (an outgoing TRANSFER names it)."""
    cur = await conn.execute(
        "SELECT o.* FROM orders o WHERE o.number = %s AND EXISTS (SELECT 1 FROM"
        " linkage_messages m WHERE m.direction = 'out' AND m.msg_type = 'TRANSFER'"
        " AND m.order_id = o.id)",
        (number,),
    )
    return await cur.fetchone()


async def linkage_by_ref(conn: Conn, ref_no: str, msg_type: str) -> Row | None:
    """The newest message of ``msg_type`` carrying ``ref_no``."""
    cur = await conn.execute(
        "SELECT * FROM linkage_messages WHERE ref_no = %s AND msg_type = %s ORDER BY id DESC"
        " LIMIT 1",
        (ref_no, msg_type),
    )
    return await cur.fetchone()


# -- intake channels ----------------------------------------------------------------------


async def attachment_insert(
    conn: Conn,
    *,
    source: str,
    source_id: str,
    order_id: int | None,
    filename: str,
    content_type: str,
    path: str | None,
    url: str | None,
    size: int | None,
) -> None:
    """Reference a stored attachment (or a URL) beside its order; once per file."""
    await conn.execute(
        "INSERT INTO intake_attachments (source, source_id, order_id, filename, content_type,"
        " path, url, size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (source, source_id, filename) DO NOTHING",
        (source, source_id, order_id, filename, content_type, path, url, size),
    )


async def attachments_of(conn: Conn, order_id: int) -> list[Row]:
    """Attachments of an order."""
    cur = await conn.execute(
        "SELECT * FROM intake_attachments WHERE order_id = %s ORDER BY id", (order_id,)
    )
    return await cur.fetchall()


async def voice_merge(conn: Conn, values: Mapping[str, Any]) -> Row:
    """Fold one CTI event into its call (events may come twice or out of order)."""
    cur = await conn.execute(
        "INSERT INTO voice_calls AS c (call_id, caller, rang_at, answered_at, ended_at, agent_id,"
        " recording_url) VALUES (%(call_id)s, %(caller)s, %(rang_at)s, %(answered_at)s,"
        " %(ended_at)s, %(agent_id)s, %(recording_url)s) ON CONFLICT (call_id) DO UPDATE SET"
        " rang_at = COALESCE(EXCLUDED.rang_at, c.rang_at),"
        " answered_at = COALESCE(EXCLUDED.answered_at, c.answered_at),"
        " ended_at = COALESCE(EXCLUDED.ended_at, c.ended_at),"
        " agent_id = COALESCE(EXCLUDED.agent_id, c.agent_id),"
        " recording_url = COALESCE(EXCLUDED.recording_url, c.recording_url) RETURNING *",
        dict(values),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def voice_call(conn: Conn, call_id: str) -> Row | None:
    """One call as the CTI events described it."""
    cur = await conn.execute("SELECT * FROM voice_calls WHERE call_id = %s", (call_id,))
    return await cur.fetchone()


async def wechat_lock(conn: Conn, openid: str) -> None:
    """Serialise one citizen's messages until the end of the transaction (any worker)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 12345))", (openid,))


async def wechat_message(conn: Conn, msg_id: str) -> Row | None:
    """The record of a message already handled."""
    cur = await conn.execute("SELECT * FROM wechat_messages WHERE msg_id = %s", (msg_id,))
    return await cur.fetchone()


async def wechat_open_order(
    conn: Conn, openid: str, since: datetime, status: str = "received"
) -> Row | None:
    """The order of the citizen's latest message since ``since``, if still at ``status``."""
    cur = await conn.execute(
        "SELECT o.* FROM wechat_messages w JOIN orders o ON o.id = w.order_id"
        " WHERE w.openid = %s AND w.at >= %s ORDER BY w.at DESC, w.msg_id DESC LIMIT 1",
        (openid, since),
    )
    row = await cur.fetchone()
    return row if row is not None and row["status"] == status else None


async def wechat_record(
    conn: Conn, msg_id: str, openid: str, order_id: int, at: datetime, *, folded: bool
) -> None:
    """Remember which order a message made or joined."""
    await conn.execute(
        "INSERT INTO wechat_messages (msg_id, openid, order_id, at, folded)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (msg_id) DO NOTHING",
        (msg_id, openid, order_id, at, folded),
    )


async def sms_add_part(conn: Conn, values: Mapping[str, Any]) -> list[Row]:
    """Keep one part; return all parts of its message held so far (in sequence order)."""
    await conn.execute(
        "INSERT INTO sms_parts (sender, dest, ref, total, seq, msg_id, content, received_at)"
        " VALUES (%(sender)s, %(dest)s, %(ref)s, %(total)s, %(seq)s, %(msg_id)s, %(content)s,"
        " %(received_at)s) ON CONFLICT DO NOTHING",
        dict(values),
    )
    cur = await conn.execute(
        "SELECT * FROM sms_parts WHERE sender = %(sender)s AND dest = %(dest)s AND ref = %(ref)s"
        " AND total = %(total)s ORDER BY seq FOR UPDATE",
        dict(values),
    )
    return await cur.fetchall()


async def sms_release(conn: Conn, sender: str, dest: str, ref: int, total: int) -> None:
    """Forget a message's parts once its order exists."""
    await conn.execute(
        "DELETE FROM sms_parts WHERE sender = %s AND dest = %s AND ref = %s AND total = %s",
        (sender, dest, ref, total),
    )


async def sms_stale(conn: Conn, before: datetime) -> list[Row]:
    """Parts of messages first seen before ``before`` (released with their gaps marked)."""
    cur = await conn.execute(
        "SELECT * FROM sms_parts p WHERE EXISTS (SELECT 1 FROM sms_parts q WHERE"
        " q.sender = p.sender AND q.dest = p.dest AND q.ref = p.ref AND q.total = p.total"
        " GROUP BY q.sender HAVING min(q.first_seen) < %s) ORDER BY sender, dest, ref, seq",
        (before,),
    )
    return await cur.fetchall()


# -- Open311 ------------------------------------------------------------------------------


async def open311_token_insert(conn: Conn, token: str, order_id: int) -> None:
    """Remember the token of a POSTed request."""
    await conn.execute(
        "INSERT INTO open311_tokens (token, order_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (token, order_id),
    )


async def open311_token(conn: Conn, token: str) -> Row | None:
    """The order a token stands for."""
    cur = await conn.execute("SELECT * FROM open311_tokens WHERE token = %s", (token,))
    return await cur.fetchone()


async def open311_orders(
    conn: Conn,
    *,
    ids: Sequence[int],
    codes: Sequence[str],
    statuses: Sequence[str] | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[Row]:
    """Orders for ``GET requests``: by id, else by service code, status set and window."""
    if ids:
        cur = await conn.execute(
            "SELECT * FROM orders WHERE id = ANY(%s) ORDER BY id", (list(ids),)
        )
        return await cur.fetchall()
    cur = await conn.execute(
        "SELECT * FROM orders WHERE (cardinality(%(codes)s::text[]) = 0"
        " OR category_code = ANY(%(codes)s))"
        " AND (%(st)s::text[] IS NULL OR status = ANY(%(st)s))"
        " AND (%(start)s::timestamptz IS NULL OR received_at >= %(start)s)"
        " AND (%(end)s::timestamptz IS NULL OR received_at <= %(end)s)"
        " ORDER BY received_at DESC, id DESC LIMIT %(limit)s",
        {
            "codes": list(codes),
            "st": list(statuses) if statuses is not None else None,
            "start": start,
            "end": end,
            "limit": limit,
        },
    )
    return await cur.fetchall()


# -- shared feed health and poll leases ------------------------------------------------------

HEALTH_COLUMNS = (
    "system",
    "worker",
    "mode",
    "interval_s",
    "watched_since",
    "last_seen",
    "last_attempt",
    "lag_s",
    "last_error",
    "consecutive_failures",
    "attempts",
    "failures",
    "updated_at",
)


async def health_write(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert one worker's health rows (``HEALTH_COLUMNS``), in one statement."""
    if not rows:
        return
    cols = ", ".join(HEALTH_COLUMNS)
    marks = ", ".join(["%s"] * len(HEALTH_COLUMNS))
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in HEALTH_COLUMNS[2:])
    values = ", ".join([f"({marks})"] * len(rows))
    await conn.execute(
        f"INSERT INTO feed_health ({cols}) VALUES {values}"
        f" ON CONFLICT (system, worker) DO UPDATE SET {update}",
        [r[c] for r in rows for c in HEALTH_COLUMNS],
    )


async def health_rows(conn: Conn) -> list[Row]:
    """Every worker's health rows."""
    cur = await conn.execute(
        f"SELECT {', '.join(HEALTH_COLUMNS)} FROM feed_health ORDER BY system, worker"
    )
    return await cur.fetchall()


async def health_prune(conn: Conn, before: datetime) -> int:
    """Forget workers silent since ``before`` (stopped long ago); how many rows went."""
    cur = await conn.execute("DELETE FROM feed_health WHERE updated_at < %s", (before,))
    return cur.rowcount


async def poll_claim(conn: Conn, system: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew the lease to poll ``system`` until ``until``; False if another holds it."""
    cur = await conn.execute(
        "INSERT INTO feed_poll_leases (system, holder, until) VALUES (%s, %s, %s)"
        " ON CONFLICT (system) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until"
        " WHERE feed_poll_leases.holder = EXCLUDED.holder OR feed_poll_leases.until < %s"
        " RETURNING holder",
        (system, holder, until, now),
    )
    return await cur.fetchone() is not None


async def poll_release(conn: Conn, holder: str) -> None:
    """Give up every lease of ``holder`` (a clean stop: another worker takes over at once)."""
    await conn.execute("DELETE FROM feed_poll_leases WHERE holder = %s", (holder,))


async def announce_health(conn: Conn, statuses: Mapping[str, str], at: datetime) -> list[str]:
    """Record feed statuses as announced; the systems whose announced status this changed.

    Runs in the transaction that writes the ``feed.health`` change: a worker racing with
    another on the same new status waits on the row lock and then changes nothing, so it
    announces nothing.
    """
    if not statuses:
        return []
    cur = await conn.execute(
        "INSERT INTO feed_health_announced AS a (system, status, at)"
        " SELECT s, st, %s FROM unnest(%s::text[], %s::text[]) AS u(s, st)"
        " ON CONFLICT (system) DO UPDATE SET status = EXCLUDED.status, at = EXCLUDED.at"
        " WHERE a.status IS DISTINCT FROM EXCLUDED.status"
        " RETURNING system",
        (at, list(statuses), list(statuses.values())),
    )
    return [r["system"] for r in await cur.fetchall()]
