"""First-start seeding of reference data: units, taxonomy, the calendar, time limits."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from importlib import resources
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.calendar import chinese_calendar_days
from dispatch_center.core.deadlines import STATUTORY_TIME_LIMITS
from dispatch_center.store import reference

log = logging.getLogger(__name__)


def _csv(name: str) -> Iterator[dict[str, str]]:
    text = (resources.files("dispatch_center.data") / name).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())


def bundled_units() -> list[dict[str, Any]]:
    """The city's built-in units (center, HQs, counties, city departments)."""
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "tier": int(r["tier"]),
            "kind": r["kind"],
            "parent_code": r["parent_code"] or None,
            "county_code": r["county_code"] or None,
            "synthetic": False,
        }
        for r in _csv("units.csv")
    ]


async def seed_reference(center: Center) -> None:
    """Load built-in reference data that is missing; never overwrite an admin's edits.

    One transaction: a commit per row cost seconds on a cold embedded database.
    """
    async with center.db.connection() as conn, conn.transaction():
        await reference.upsert_units(conn, bundled_units())
        await reference.bulk_upsert_units(conn, center.geography.units())
        await reference.upsert_taxonomy(
            conn,
            [
                (
                    r["code"],
                    r["name_zh"],
                    r["name_en"],
                    r["parent_code"] or None,
                    # Whether Open311 may publish requests of the category (the reason
                    # for each is the next column).
                    r["public"] == "true",
                )
                for r in _csv("taxonomy.csv")
            ],
        )
        if not await reference.has_calendar(conn):
            days, years = chinese_calendar_days()
            by_year: dict[int, list[tuple[Any, str, str]]] = {y: [] for y in years}
            for d in days:
                by_year.setdefault(d.day.year, []).append((d.day, d.kind.value, d.name))
            for year, rows in sorted(by_year.items()):
                await reference.import_calendar_year(
                    conn,
                    year,
                    rows,
                    source="chinese-calendar package",
                    actor="system",
                    replace=False,
                )
            log.info("calendar seeded for %d..%d from chinese-calendar", min(years), max(years))
        if not await reference.time_limit_rows(conn):
            for limit in STATUTORY_TIME_LIMITS.values():
                await reference.upsert_time_limit(
                    conn,
                    {
                        "urgency": limit.urgency.value,
                        "category_code": None,
                        "mode": None,
                        "respond_value": limit.respond.value,
                        "respond_unit": limit.respond.unit.value,
                        "reply_value": limit.reply.value,
                        "reply_unit": limit.reply.unit.value,
                        "updated_by": "system",
                    },
                )
