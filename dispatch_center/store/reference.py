"""SQL for reference data: units, taxonomy, calendar days and time limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

Row = dict[str, Any]


async def upsert_units(conn: psycopg.AsyncConnection[Row], units: Iterable[dict[str, Any]]) -> int:
    """Insert or refresh units (parents must come before children)."""
    n = 0
    async with conn.cursor() as cur:
        for u in units:
            await cur.execute(
                "INSERT INTO units (code, name, tier, kind, parent_code, county_code, synthetic)"
                " VALUES (%(code)s, %(name)s, %(tier)s, %(kind)s, %(parent_code)s,"
                " %(county_code)s, %(synthetic)s)"
                " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, tier = EXCLUDED.tier,"
                " kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code,"
                " county_code = EXCLUDED.county_code, synthetic = EXCLUDED.synthetic",
                {"parent_code": None, "county_code": None, "synthetic": False, **u},
            )
            n += 1
    return n


async def bulk_upsert_units(conn: psycopg.AsyncConnection[Row], units: list[dict[str, Any]]) -> int:
    """Insert or refresh many units at once through COPY (parents first in ``units``)."""
    cols = ("code", "name", "tier", "kind", "parent_code", "county_code", "synthetic")
    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE units_in (LIKE units INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        async with (
            conn.cursor() as cur,
            cur.copy(f"COPY units_in ({', '.join(cols)}) FROM STDIN") as copy,
        ):
            for u in units:
                await copy.write_row(tuple(u.get(c) for c in cols))
        # Insert in tier order so each parent exists before its children.
        await conn.execute(
            "INSERT INTO units (code, name, tier, kind, parent_code, county_code, synthetic)"
            " SELECT code, name, tier, kind, parent_code, county_code, synthetic FROM units_in"
            " ORDER BY tier, code"
            " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, tier = EXCLUDED.tier,"
            " kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code,"
            " county_code = EXCLUDED.county_code, synthetic = EXCLUDED.synthetic, active = true"
            " WHERE (units.name, units.tier, units.kind, units.parent_code, units.county_code,"
            " units.synthetic, units.active) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.tier,"
            " EXCLUDED.kind, EXCLUDED.parent_code, EXCLUDED.county_code, EXCLUDED.synthetic, true)"
        )
    return len(units)


async def list_units(conn: psycopg.AsyncConnection[Row], tier: int | None = None) -> list[Row]:
    """Active units, optionally of one tier."""
    if tier is None:
        cur = await conn.execute("SELECT * FROM units WHERE active ORDER BY tier, code")
    else:
        cur = await conn.execute(
            "SELECT * FROM units WHERE active AND tier = %s ORDER BY code", (tier,)
        )
    return await cur.fetchall()


async def upsert_taxonomy(
    conn: psycopg.AsyncConnection[Row], rows: Iterable[tuple[str, str, str, str | None, bool]]
) -> None:
    """Insert or refresh (code, name_zh, name_en, parent_code, public) rows, parents first."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO taxonomy (code, name_zh, name_en, parent_code, public)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,"
            " name_en = EXCLUDED.name_en, parent_code = EXCLUDED.parent_code,"
            " public = EXCLUDED.public",
            list(rows),
        )


async def list_taxonomy(conn: psycopg.AsyncConnection[Row]) -> list[Row]:
    """Every active category."""
    cur = await conn.execute("SELECT * FROM taxonomy WHERE active ORDER BY code")
    return await cur.fetchall()


async def calendar_rows(conn: psycopg.AsyncConnection[Row]) -> tuple[list[Row], list[int]]:
    """All special calendar days and the covered years."""
    cur = await conn.execute("SELECT day, kind, name, source FROM calendar_days ORDER BY day")
    days = await cur.fetchall()
    cur = await conn.execute("SELECT year FROM calendar_years ORDER BY year")
    years = [r["year"] for r in await cur.fetchall()]
    return days, years


async def import_calendar_year(
    conn: psycopg.AsyncConnection[Row],
    year: int,
    days: Iterable[tuple[Any, str, str]],
    *,
    source: str,
    actor: str,
    replace: bool,
) -> int:
    """Load a year's holidays and make-up workdays; mark the year covered.

    With ``replace`` the year's existing rows are dropped first, so a corrected
    official schedule fully supersedes the old one. Returns rows written.
    """
    rows = [(d, kind, name) for d, kind, name in days]
    async with conn.transaction():
        if replace:
            await conn.execute(
                "DELETE FROM calendar_days WHERE EXTRACT(year FROM day) = %s", (year,)
            )
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO calendar_days (day, kind, name, source, updated_by)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind,"
                " name = EXCLUDED.name, source = EXCLUDED.source, updated_by = EXCLUDED.updated_by,"
                " updated_at = now()",
                [(d, k, n, source, actor) for d, k, n in rows],
            )
        await conn.execute(
            "INSERT INTO calendar_years (year, source, imported_by) VALUES (%s, %s, %s)"
            " ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source,"
            " imported_by = EXCLUDED.imported_by, imported_at = now()",
            (year, source, actor),
        )
    return len(rows)


async def set_calendar_day(
    conn: psycopg.AsyncConnection[Row], day: Any, kind: str | None, name: str, actor: str
) -> None:
    """Mark one day as holiday or make-up workday; ``kind=None`` makes it ordinary."""
    if kind is None:
        await conn.execute("DELETE FROM calendar_days WHERE day = %s", (day,))
        return
    await conn.execute(
        "INSERT INTO calendar_days (day, kind, name, source, updated_by)"
        " VALUES (%s, %s, %s, 'admin', %s)"
        " ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,"
        " source = 'admin', updated_by = EXCLUDED.updated_by, updated_at = now()",
        (day, kind, name, actor),
    )


async def has_calendar(conn: psycopg.AsyncConnection[Row]) -> bool:
    """True once any calendar year was imported."""
    cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM calendar_years) AS e")
    row = await cur.fetchone()
    return bool(row and row["e"])


async def time_limit_rows(conn: psycopg.AsyncConnection[Row]) -> list[Row]:
    """Every configured time limit."""
    cur = await conn.execute("SELECT * FROM time_limits ORDER BY urgency, category_code, mode")
    return await cur.fetchall()


async def upsert_time_limit(conn: psycopg.AsyncConnection[Row], row: dict[str, Any]) -> Row:
    """Insert or replace the limit for (urgency, category_code, mode)."""
    cur = await conn.execute(
        "INSERT INTO time_limits (urgency, category_code, mode, respond_value, respond_unit,"
        " reply_value, reply_unit, updated_by) VALUES (%(urgency)s, %(category_code)s, %(mode)s,"
        " %(respond_value)s, %(respond_unit)s, %(reply_value)s, %(reply_unit)s, %(updated_by)s)"
        " ON CONFLICT (urgency, category_code, mode) DO UPDATE SET"
        " respond_value = EXCLUDED.respond_value, respond_unit = EXCLUDED.respond_unit,"
        " reply_value = EXCLUDED.reply_value, reply_unit = EXCLUDED.reply_unit,"
        " updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING *",
        row,
    )
    out = await cur.fetchone()
    assert out is not None
    return out
