"""First-start seeding of reference data, and the demo accounts."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from importlib import resources
from typing import Any

from dispatch_center.accounts.security import hash_password
from dispatch_center.center import Center
from dispatch_center.core.calendar import chinese_calendar_days
from dispatch_center.core.deadlines import STATUTORY_TIME_LIMITS
from dispatch_center.store import accounts, reference

log = logging.getLogger(__name__)

COUNTIES: dict[str, str] = {
    "511102": "市中区",
    "511111": "沙湾区",
    "511112": "五通桥区",
    "511113": "金口河区",
    "511123": "犍为县",
    "511124": "井研县",
    "511126": "夹江县",
    "511129": "沐川县",
    "511132": "峨边彝族自治县",
    "511133": "马边彝族自治县",
    "511181": "峨眉山市",
}

# Demo accounts per contracts.md: username -> (role, unit, display name).
DEMO_ACCOUNTS: dict[str, tuple[str, str | None, str]] = {
    "admin": ("admin", None, "系统管理员"),
    "duty": ("duty_officer", "511100", "值班员 王芳"),
    "dispatcher": ("dispatcher", "511100", "派单员 李强"),
    "flood_hq": ("flood_hq", "511100.flood_hq", "市防汛抗旱指挥部"),
    "holiday_hq": ("holiday_hq", "511100.holiday_hq", "市假日旅游指挥部"),
    "leader": ("leader", "511100", "分管副市长"),
    # Two more leaders for the flood story's video supervision session.
    "leader_water": ("leader", "511100", "市水务局局长"),
    "leader_shawan": ("leader", "511111", "沙湾区区长"),
    "auditor": ("auditor", "511100", "督查室"),
    **{f"h_{code}": ("handler", code, f"{name}承办人") for code, name in COUNTIES.items()},
}


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
                (r["code"], r["name_zh"], r["name_en"], r["parent_code"] or None)
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


async def ensure_demo_accounts(center: Center, password: str) -> list[str]:
    """Create or reset the demo accounts with ``password``; return their usernames."""
    hashed = hash_password(password)
    async with center.db.connection() as conn, conn.transaction():
        for username, (role, unit, display) in DEMO_ACCOUNTS.items():
            await accounts.upsert_user(
                conn,
                username=username,
                display_name=display,
                password_hash=hashed,
                role=role,
                unit_code=unit,
            )
    return list(DEMO_ACCOUNTS)
