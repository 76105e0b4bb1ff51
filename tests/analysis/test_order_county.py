"""The order's county as a column (migration 014) on the storage path of the test server.

Run against the machine's PostgreSQL this takes the native path; against a TimescaleDB
cluster (``../shared/tools/timescaledb-local``) it takes the TimescaleDB path, and the
intake continuous aggregate as 014 left it is checked as well (020 drops it).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dispatch_center.accounts.security import Principal
from dispatch_center.app import start_center, stop_center
from dispatch_center.center import Center
from dispatch_center.core.roles import Role
from dispatch_center.core.routing import Routing
from dispatch_center.models import OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.settings import Settings
from dispatch_center.store import migrate
from dispatch_center.store.orders import OrderFilter, list_orders

ADMIN = Principal("admin", Role.admin)
CITY = {"tier": 1, "code": "511100", "name": "乐山市"}


def _county_step(code: str, name: str) -> dict[str, Any]:
    return {"tier": 2, "code": code, "name": name}


# Routings as stored before the column existed: a routed order, the demo back-fill's
# shape, a transfer (no path), an order with no location (the city alone).
OLD_ROUTINGS: list[tuple[dict[str, Any], str | None]] = [
    (
        {
            "inside": True,
            "path": [CITY, _county_step("511102", "市中区")],
            "queue": "dispatch",
            "lead": {"code": "511102-ZFJ", "name": "市中区综合行政执法局"},
            "co": [],
            "reason": "urban",
            "asset": None,
            "location": {"lon": 103.7655, "lat": 29.552},
            "catalogue_version": "v",
            "area_version": "a",
        },
        "511102",
    ),
    (
        {
            "inside": True,
            "path": [CITY, _county_step("511113", "金口河区")],
            "queue": "manual",
            "lead": None,
            "co": [],
            "reason": "backfill",
            "location": {"lon": 103.08, "lat": 29.24},
        },
        "511113",
    ),
    (
        {
            "inside": False,
            "path": [],
            "nearest": _county_step("511124", "井研县"),
            "distance_m": 14741.6,
            "neighbour": {"tier": 1, "code": "511400", "name": "眉山市"},
            "queue": "transfer",
            "lead": None,
            "co": [],
            "reason": "outside Leshan (眉山市)",
            "location": {"lon": 103.85, "lat": 29.95},
        },
        None,
    ),
    (
        {"inside": None, "path": [CITY], "queue": "manual", "lead": None, "co": [], "reason": "x"},
        None,
    ),
]


def _cagg_counts(url: str) -> dict[str, int]:
    """Refresh the TimescaleDB intake aggregate (outside a transaction) and read it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CALL refresh_continuous_aggregate('intake_hourly_cagg', NULL, NULL)")
        rows = conn.execute(
            "SELECT county_code, sum(received)::bigint FROM intake_hourly_cagg GROUP BY 1"
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def test_migration_fills_the_county_of_existing_orders(
    make_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database()
    every = migrate.available_migrations
    monkeypatch.setattr(
        migrate, "available_migrations", lambda path: [m for m in every(path) if m.version < 14]
    )
    path, _ = migrate.migrate(url)
    at = datetime.now(UTC) - timedelta(days=2)
    with psycopg.connect(url) as conn:
        for i, (routing, _) in enumerate(OLD_ROUTINGS):
            made = conn.execute(
                "INSERT INTO orders (number, channel, request_type, urgency, description,"
                " routing, status, received_at, respond_by, reply_by, created_by)"
                " VALUES (%s, 'phone', 'complaint', 'general', 'x', %s, 'received', %s, %s, %s,"
                " 'test') RETURNING id",
                (f"LS{i}", Jsonb(routing), at, at, at),
            ).fetchone()
            assert made is not None
            conn.execute(
                "INSERT INTO timeline (order_id, at, actor, role, action, data)"
                " VALUES (%s, %s, 'test', 'admin', 'receive', %s)",
                (made[0], at, Jsonb({"routing": routing, "channel": "phone"})),
            )
    monkeypatch.setattr(
        migrate, "available_migrations", lambda path: [m for m in every(path) if m.version <= 14]
    )
    # 014 runs now (later migrations, 020 drops the aggregate: not this test's concern).
    again, applied = migrate.migrate(url)
    assert again == path and applied == [14]

    expected = [county for _, county in OLD_ROUTINGS]
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT id, county_code, routing FROM orders ORDER BY id").fetchall()
        assert [r["county_code"] for r in rows] == expected
        assert [Routing.from_json(r["routing"]).county_code for r in rows] == expected
        facts = conn.execute("SELECT county_code FROM order_facts ORDER BY order_id").fetchall()
        assert [f["county_code"] for f in facts] == [c or "" for c in expected]
        # The column follows the routing (a WeChat location re-routes a received order) ...
        moved = {**OLD_ROUTINGS[0][0], "path": [CITY, _county_step("511181", "峨眉山市")]}
        conn.execute("UPDATE orders SET routing = %s WHERE id = %s", (Jsonb(moved), rows[0]["id"]))
        got = conn.execute("SELECT county_code FROM orders WHERE id = %s", (rows[0]["id"],))
        assert got.fetchone() == {"county_code": "511181"}
        conn.rollback()
        # ... and nobody writes it by hand.
        with pytest.raises(psycopg.errors.GeneratedAlways):
            conn.execute("UPDATE orders SET county_code = '511102'")
    if path == "timescale":  # entries from before keep only the routing: still counted
        assert _cagg_counts(url) == {"511102": 1, "511113": 1, "": 2}


def test_new_orders_are_filed_under_their_county(make_database: Callable[[], str]) -> None:
    url = make_database()
    places: list[tuple[dict[str, float] | None, str | None]] = [
        ({"lon": 103.7655, "lat": 29.5520}, "511102"),  # 市中区
        ({"lon": 103.82, "lat": 29.41}, "511112"),  # 五通桥区
        ({"lon": 103.85, "lat": 29.95}, None),  # 眉山市: outside
        (None, None),  # an address only
    ]

    async def body(center: Center) -> None:
        made: list[tuple[str, str | None]] = []
        for where, county in places:
            data = OrderCreate.model_validate(
                {
                    "channel": "phone",
                    "category": {"type": "complaint", "code": "urban.sanitation"},
                    "urgency": "general",
                    "description": "垃圾堆积三天无人清运",
                    "location": where,
                    "address": "嘉州长卷附近",
                    "received_at": (center.now() - timedelta(hours=1)).isoformat(),
                }
            )
            view, _ = await orders.create_order(center, ADMIN, data)
            assert Routing.from_json(view["routing"]).county_code == county
            made.append((view["id"], county))
        async with center.db.connection() as conn:
            cur = await conn.execute(
                "SELECT o.id::text AS id, o.county_code, t.data ->> 'county_code' AS received"
                " FROM orders o JOIN timeline t ON t.order_id = o.id AND t.action = 'receive'"
                " ORDER BY o.id"
            )
            rows = await cur.fetchall()
            # The 'receive' history entry states the county beside the routing.
            assert [(r["id"], r["county_code"]) for r in rows] == made
            assert [r["received"] for r in rows] == [c for _, c in made]
            listed = await list_orders(conn, OrderFilter(county="511112"))
            assert [str(r["id"]) for r in listed] == [made[1][0]]

    async def main() -> None:
        settings = Settings(
            database_url=url, demo=True, data_dir=Path(tempfile.mkdtemp()), demo_story=False
        )
        center = await start_center(settings)
        try:
            await body(center)
        finally:
            await stop_center(center)

    asyncio.run(main())


def _migration(name: str) -> str:
    return (resources.files("dispatch_center.store") / "migrations" / name).read_text("utf-8")


def test_the_county_migration_is_shared_and_only_the_aggregate_is_timescale() -> None:
    import pglast

    shared, ts = _migration("014_order_county.sql"), _migration("014_order_county.timescale.sql")
    assert "timescaledb" not in shared.lower() and "GENERATED ALWAYS AS" in shared
    for documented in ("WITH (timescaledb.continuous)", "add_continuous_aggregate_policy("):
        assert documented in ts
    assert pglast.parse_sql(shared) and pglast.parse_sql(ts)
    native = next(m for m in migrate.available_migrations("native") if m.version == 14).sql
    assert native == shared
