"""SQL for versioned geography: imported geofences (tiers 3 and 4) and duty catalogues.

A version is written whole in one transaction (the version row and all its areas), so an
import never half-applies. Activation flips the active flag of one tier (or of the
catalogue) under a transaction-scoped advisory lock, so two admins activating at once on
two workers take turns instead of tripping the one-active index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch_center.store.locks import AdvisoryLock

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Row]

ACTIVATE_LOCK = int(AdvisoryLock.GEOGRAPHY_ACTIVATE)

_VERSION_COLUMNS = (
    "id, tier, source, source_crs, feature_count, report, note, created_by, created_at,"
    " active, activated_by, activated_at"
)
_CATALOGUE_COLUMNS = (
    "id, version, source, note, created_by, created_at, active, activated_by, activated_at,"
    " jsonb_array_length(rows) AS row_count"
)


async def insert_geofence_version(
    conn: Conn,
    *,
    tier: int,
    source: str,
    source_crs: str | None,
    report: Mapping[str, Any],
    note: str,
    actor: str,
    areas: Sequence[tuple[str, str, str | None, bytes]],
    activate: bool,
) -> Row:
    """Store a new version with its areas ``(code, name, parent_code, wkb)``; all or nothing."""
    async with conn.transaction():
        cur = await conn.execute(
            "INSERT INTO geofence_versions (tier, source, source_crs, feature_count, report,"
            " note, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (tier, source, source_crs, len(areas), Jsonb(dict(report)), note, actor),
        )
        row = await cur.fetchone()
        assert row is not None
        version_id = int(row["id"])
        async with (
            conn.cursor() as c,
            c.copy(
                "COPY geofence_areas (version_id, code, name, parent_code, geometry) FROM STDIN"
            ) as copy,
        ):
            for code, name, parent, wkb in areas:
                await copy.write_row((version_id, code, name, parent, wkb))
        if activate:
            await _activate_geofence(conn, version_id, tier, actor)
        out = await get_geofence_version(conn, version_id)
    assert out is not None
    return out


async def _activate_geofence(conn: Conn, version_id: int, tier: int, actor: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ACTIVATE_LOCK,))
    await conn.execute(
        "UPDATE geofence_versions SET active = false WHERE tier = %s AND active AND id <> %s",
        (tier, version_id),
    )
    await conn.execute(
        "UPDATE geofence_versions SET active = true, activated_by = %s, activated_at = now()"
        " WHERE id = %s",
        (actor, version_id),
    )


async def get_geofence_version(conn: Conn, version_id: int) -> Row | None:
    """One version (without its areas)."""
    cur = await conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM geofence_versions WHERE id = %s", (version_id,)
    )
    return await cur.fetchone()


async def list_geofence_versions(conn: Conn, tier: int | None = None) -> list[Row]:
    """Every stored version, newest first, optionally of one tier."""
    if tier is None:
        cur = await conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM geofence_versions ORDER BY id DESC"
        )
    else:
        cur = await conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM geofence_versions WHERE tier = %s ORDER BY id DESC",
            (tier,),
        )
    return await cur.fetchall()


async def activate_geofence_version(conn: Conn, version_id: int, actor: str) -> Row | None:
    """Make ``version_id`` the active version of its tier; ``None`` if it does not exist."""
    async with conn.transaction():
        found = await get_geofence_version(conn, version_id)
        if found is None:
            return None
        await _activate_geofence(conn, version_id, int(found["tier"]), actor)
        return await get_geofence_version(conn, version_id)


async def deactivate_geofences(conn: Conn, tier: int) -> int:
    """No imported version active for ``tier`` (the synthetic grid is used again)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ACTIVATE_LOCK,))
        cur = await conn.execute(
            "UPDATE geofence_versions SET active = false WHERE tier = %s AND active", (tier,)
        )
        return cur.rowcount


async def active_geofence_versions(conn: Conn) -> dict[int, Row]:
    """The active version of each tier that has one, by tier."""
    cur = await conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM geofence_versions WHERE active ORDER BY tier"
    )
    return {int(r["tier"]): r for r in await cur.fetchall()}


async def geofence_areas(conn: Conn, version_id: int) -> list[Row]:
    """The areas of one version: code, name, parent_code and WKB geometry."""
    cur = await conn.execute(
        "SELECT code, name, parent_code, geometry FROM geofence_areas WHERE version_id = %s"
        " ORDER BY code",
        (version_id,),
    )
    return await cur.fetchall()


async def insert_catalogue_version(
    conn: Conn,
    *,
    version: str,
    rows: Iterable[Mapping[str, Any]],
    source: str,
    note: str,
    actor: str,
    activate: bool,
) -> Row | None:
    """Store a catalogue version; ``None`` when the label is taken."""
    async with conn.transaction():
        cur = await conn.execute(
            "INSERT INTO catalogue_versions (version, rows, source, note, created_by)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (version) DO NOTHING RETURNING id",
            (version, Jsonb([dict(r) for r in rows]), source, note, actor),
        )
        if await cur.fetchone() is None:
            return None
        if activate:
            await _activate_catalogue(conn, version, actor)
        return await get_catalogue_version(conn, version)


async def _activate_catalogue(conn: Conn, version: str, actor: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ACTIVATE_LOCK,))
    await conn.execute(
        "UPDATE catalogue_versions SET active = false WHERE active AND version <> %s", (version,)
    )
    await conn.execute(
        "UPDATE catalogue_versions SET active = true, activated_by = %s, activated_at = now()"
        " WHERE version = %s",
        (actor, version),
    )


async def get_catalogue_version(conn: Conn, version: str, *, with_rows: bool = False) -> Row | None:
    """One catalogue version by label (its rows only when asked)."""
    cols = _CATALOGUE_COLUMNS + (", rows" if with_rows else "")
    cur = await conn.execute(
        f"SELECT {cols} FROM catalogue_versions WHERE version = %s", (version,)
    )
    return await cur.fetchone()


async def list_catalogue_versions(conn: Conn) -> list[Row]:
    """Every catalogue version, newest first (without rows)."""
    cur = await conn.execute(
        f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue_versions ORDER BY id DESC"
    )
    return await cur.fetchall()


async def activate_catalogue_version(conn: Conn, version: str, actor: str) -> Row | None:
    """Make ``version`` the catalogue in force; ``None`` if it does not exist."""
    async with conn.transaction():
        if await get_catalogue_version(conn, version) is None:
            return None
        await _activate_catalogue(conn, version, actor)
        return await get_catalogue_version(conn, version)


async def active_catalogue(conn: Conn) -> Row | None:
    """The catalogue in force, with its rows; ``None`` before the first seed."""
    cur = await conn.execute(
        f"SELECT {_CATALOGUE_COLUMNS}, rows FROM catalogue_versions WHERE active"
    )
    return await cur.fetchone()


async def catalogue_count(conn: Conn) -> int:
    """How many catalogue versions exist (to number the next one)."""
    cur = await conn.execute("SELECT count(*) AS n FROM catalogue_versions")
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def active_key(conn: Conn) -> tuple[int | None, int | None, str | None]:
    """Which versions are active: (tier-3 id, tier-4 id, catalogue label), in one query."""
    cur = await conn.execute(
        "SELECT (SELECT id FROM geofence_versions WHERE active AND tier = 3) AS t3,"
        " (SELECT id FROM geofence_versions WHERE active AND tier = 4) AS t4,"
        " (SELECT version FROM catalogue_versions WHERE active) AS catalogue"
    )
    row = await cur.fetchone()
    assert row is not None
    return row["t3"], row["t4"], row["catalogue"]
