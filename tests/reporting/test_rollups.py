"""Rollups against plain GROUP BY on real PostgreSQL: the live write path and a bulk backfill."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.app import start_center, stop_center
from dispatch_center.center import Center
from dispatch_center.core.analysis.periods import period_for
from dispatch_center.core.analysis.rates import rates
from dispatch_center.core.roles import Role
from dispatch_center.demo import backfill
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.reporting.measures import with_pending
from dispatch_center.reporting.ranking import ranking
from dispatch_center.reporting.report_data import report_data
from dispatch_center.reporting.rollups import catch_up
from dispatch_center.settings import Settings
from dispatch_center.store import analysis as store

ADMIN = Principal("admin", Role.admin)
DIM_SETS: list[list[str]] = [
    [],
    ["day"],
    ["month"],
    ["channel"],
    ["category_code"],
    ["county_code"],
    ["unit_code"],
    ["day", "channel", "category_code", "county_code", "unit_code"],
]


def with_center(url: str, body: Callable[[Center], Awaitable[None]]) -> None:
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


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


async def assert_rollup_equals_plain(conn: Any, start: date, end: date) -> None:
    for dims in DIM_SETS:
        rolled = await store.measures_by(conn, start, end, dims, "rollup")
        plain = await store.measures_by(conn, start, end, dims, "plain")
        assert _sorted(rolled) == _sorted(plain), dims
    assert await store.hourly(conn, start, end, "rollup") == await store.hourly(
        conn, start, end, "plain"
    )
    assert await store.cells(conn, start, end, "rollup", 50) == await store.cells(
        conn, start, end, "plain", 50
    )
    assert await store.repeats(conn, start, end, 300, 30, "rollup", 500) == await store.repeats(
        conn, start, end, 300, 30, "plain", 500
    )


async def _create(
    center: Center, urgency: str, received_at: datetime, code: str = "urban.sanitation"
) -> str:
    data = OrderCreate.model_validate(
        {
            "channel": "phone",
            "category": {"type": "complaint", "code": code},
            "urgency": urgency,
            "description": "嘉州长卷附近垃圾堆积三天无人清运",
            "location": {"lon": 103.7665, "lat": 29.5521},
            "received_at": received_at.isoformat(),
        }
    )
    view, _ = await orders.create_order(center, ADMIN, data)
    return str(view["id"])


async def _do(center: Center, oid: str, *actions: tuple[str, dict[str, Any]]) -> None:
    for action, body in actions:
        await orders.act(center, ADMIN, oid, action, OrderAction.model_validate(body))


def test_live_changes_hand_computed_and_equal_to_plain(make_database: Callable[[], str]) -> None:
    url = make_database()

    async def body(center: Center) -> None:
        now = center.now()
        two_hours_ago = now - timedelta(hours=2)
        b = await _create(center, "general", two_hours_ago)
        c = await _create(center, "general", two_hours_ago)
        d = await _create(center, "urgent", two_hours_ago)
        e = await _create(center, "general", two_hours_ago)
        f = await _create(center, "general", two_hours_ago)
        evaluate: list[tuple[str, dict[str, Any]]] = [
            ("callback", {}),
            ("evaluate", {"rating": "satisfied"}),
        ]
        await _do(center, b, ("dispatch", {}), ("accept", {}), ("reply", {}), *evaluate)
        async with center.db.connection() as conn:
            # A catch-up in the middle: later changes must replace, not add to, B's contribution.
            assert await catch_up(conn) == 5
        await _do(
            center,
            c,
            ("dispatch", {}),
            ("request_return", {"note": "不属于本单位"}),
            ("redispatch", {"unit_code": "511102"}),
            ("accept", {}),
            ("reply", {}),
            ("callback", {}),
            ("evaluate", {"rating": "unsatisfied"}),
            ("reopen", {}),
        )
        await _do(
            center,
            d,
            ("dispatch", {}),
            ("accept", {}),
            ("reply", {}),
            ("callback", {}),
            ("evaluate", {"rating": "basically_satisfied"}),
        )
        await _do(center, e, ("dispatch", {}))
        await _do(center, f, ("merge", {"target_order_id": b}))
        async with center.db.connection() as conn:
            assert await catch_up(conn) > 0
            assert await catch_up(conn) == 0  # nothing new
            day = two_hours_ago.date()
            await assert_rollup_equals_plain(conn, day - timedelta(days=1), day + timedelta(days=2))
            by = await with_pending(conn, period_for("daily", day), now, None, "rollup")
            m = by[""]
            assert (m.received, m.responded_in_time, m.replied, m.replied_on_time, m.excluded) == (
                5,
                2,
                2,
                2,
                1,
            )
            assert (m.evaluated, m.content, m.returned, m.reopened, m.dispatched, m.pending) == (
                2,
                2,
                1,
                1,
                4,
                2,
            )
            r = rates(m)
            assert (r.response, r.resolution, r.on_time, r.satisfaction, r.return_, r.reopen) == (
                0.4,
                1.0,
                1.0,
                1.0,
                0.25,
                0.5,
            )
            # The county gets everything; the redispatched order counts for its new unit.
            units = {
                row["unit_code"]: row["received"]
                for row in await store.measures_by(
                    conn, day, day + timedelta(days=1), ["unit_code"], "rollup"
                )
            }
            assert units.get("511102") == 1 and units.get("") == 1  # C moved; F never dispatched
            counties = await store.measures_by(
                conn, day, day + timedelta(days=1), ["county_code"], "rollup"
            )
            assert [(x["county_code"], x["received"]) for x in counties] == [("511102", 5)]
            words = await store.word_counts(conn, day, day + timedelta(days=1), None, 50)
            assert words.get("垃圾") == 5

    with_center(url, body)


def test_backfill_is_deterministic_resumable_and_rollups_equal_plain(
    make_database: Callable[[], str],
) -> None:
    url = make_database()
    today = date(2026, 11, 27)

    async def body(center: Center) -> None:
        plan = backfill.plan_for(3000, today, years=1.2, batch_size=1000, seed=7)
        gen = backfill.Generator(
            plan, today, center.geography, center.reference.calendar, {"511102"}
        )
        assert gen.batch(1) == gen.batch(1)  # the same batch twice is the same data
        seen: list[int] = []
        result = await asyncio.to_thread(
            backfill.run_backfill,
            url,
            plan,
            today=today,
            geography=center.geography,
            calendar=center.reference.calendar,
            progress=seen.append,
        )
        assert result["ran"] == 3 and sum(seen) == 3000
        again = await asyncio.to_thread(
            backfill.run_backfill,
            url,
            plan,
            today=today,
            geography=center.geography,
            calendar=center.reference.calendar,
        )
        assert again["ran"] == 0 and again["resumed_at"] == 3
        async with center.db.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) AS n, count(DISTINCT number) AS numbers,"
                " count(*) FILTER (WHERE category_code LIKE 'flood.%%'"
                "   AND extract(month FROM received_at) BETWEEN 6 AND 9) AS summer_floods,"
                " count(*) FILTER (WHERE category_code LIKE 'flood.%%'"
                "   AND extract(month FROM received_at) IN (1, 2, 3, 11, 12)) AS winter_floods,"
                " count(DISTINCT channel) AS channels,"
                " count(DISTINCT routing->'path'->1->>'code') AS counties"
                " FROM orders"
            )
            facts = await cur.fetchone()
            assert facts is not None
            assert facts["n"] == 3000 and facts["numbers"] == 3000
            assert facts["summer_floods"] > 2 * facts["winter_floods"]
            assert facts["channels"] >= 5 and facts["counties"] == 11
            # The history's 'receive' entries carry the order's county, as live ones do: what
            # is built on the timeline agrees with the rollups, which read orders.county_code.
            cur = await conn.execute(
                "SELECT count(*) AS n, count(*) FILTER (WHERE t.data ->> 'county_code'"
                "   IS DISTINCT FROM o.county_code) AS differ"
                " FROM timeline t JOIN orders o ON o.id = t.order_id WHERE t.action = 'receive'"
            )
            assert await cur.fetchone() == {"n": 3000, "differ": 0}
            # Live changes on top of the backfill go through the change log.
            await _create(center, "general", center.now() - timedelta(hours=1))
            await catch_up(conn)
            await assert_rollup_equals_plain(conn, plan.first_day, today + timedelta(days=1))
            as_of = center.now()
            for kind in ("daily", "weekly", "monthly", "quarterly", "annual"):
                p = period_for(kind, today - timedelta(days=3))
                rolled = await report_data(conn, p, as_of, source="rollup")
                assert rolled == await report_data(conn, p, as_of, source="plain"), kind
            q = period_for("quarterly", date(2026, 8, 1))
            for kind in ("county", "department"):
                ranked = await ranking(conn, q, kind, as_of)
                assert ranked == await ranking(conn, q, kind, as_of, source="plain")
                assert ranked and ranked[-1]["bottom"]
            counties = await ranking(conn, q, "county", as_of)
            assert len(counties) == 11 and all(len(u["code"]) == 6 for u in counties)

    with_center(url, body)


def test_long_descriptions_do_not_hold_the_event_loop(make_database: Callable[[], str]) -> None:
    # Tokenising 5,000-character descriptions takes jieba a few hundred milliseconds
    # each; on the event loop that froze every request and wall screen for seconds.
    url = make_database()

    async def body(center: Center) -> None:
        received = center.now() - timedelta(hours=1)
        for i in range(12):
            data = OrderCreate.model_validate(
                {
                    "channel": "web",
                    "category": {"type": "complaint", "code": "urban.sanitation"},
                    "urgency": "general",
                    "description": f"第{i}次反映 垃圾堆积 " + "故" * 4980,
                    "location": {"lon": 103.7665, "lat": 29.5521},
                    "received_at": received.isoformat(),
                }
            )
            await orders.create_order(center, ADMIN, data)
        gaps: list[float] = []

        async def ticker() -> None:
            last = asyncio.get_running_loop().time()
            while True:
                await asyncio.sleep(0.005)
                now = asyncio.get_running_loop().time()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        try:
            async with center.db.connection() as conn:
                assert await catch_up(conn) == 12
        finally:
            tick.cancel()
        assert len(gaps) > 10
        assert max(gaps) < 0.25, f"event loop held for {max(gaps):.2f} s"
        async with center.db.connection() as conn:
            day = received.date()
            counts = await store.word_counts(
                conn, day - timedelta(days=1), day + timedelta(days=2), ["垃圾"], 10
            )
        assert counts == {"垃圾": 12}

    with_center(url, body)
