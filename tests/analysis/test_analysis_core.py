"""The pure analysis core: periods, rates, the composite ranking, repeats, grids; and the
rollup migration texts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from dispatch_center.core.analysis.periods import (
    Period,
    PeriodKind,
    parse_quarter,
    period_for,
    previous_period,
    same_period_last_year,
)
from dispatch_center.core.analysis.places import grid_cell, hex_cell, top_hotspots
from dispatch_center.core.analysis.ranking import RankingWeights, composite_score, rank_units
from dispatch_center.core.analysis.rates import Change, Measures, Rates, rates
from dispatch_center.core.analysis.repeats import RepeatRule, RequestPoint, find_repeats
from dispatch_center.core.analysis.topics import HardArea, hard_areas, rising_terms
from geo.distance import haversine_m as distance_m

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "prev_start", "ly_start", "label"),
    [
        (
            "daily",
            date(2026, 11, 26),
            date(2026, 11, 26),
            date(2026, 11, 27),
            date(2026, 11, 25),
            date(2025, 11, 26),
            "2026年11月26日",
        ),
        (
            "daily",
            date(2024, 3, 1),
            date(2024, 3, 1),
            date(2024, 3, 2),
            date(2024, 2, 29),
            date(2023, 3, 1),
            "2024年3月1日",
        ),
        (
            "weekly",
            date(2026, 11, 27),
            date(2026, 11, 23),
            date(2026, 11, 30),
            date(2026, 11, 16),
            date(2025, 11, 24),
            "2026年第48周",
        ),
        (
            "monthly",
            date(2026, 3, 31),
            date(2026, 3, 1),
            date(2026, 4, 1),
            date(2026, 2, 1),
            date(2025, 3, 1),
            "2026年3月",
        ),
        (
            "monthly",
            date(2026, 1, 15),
            date(2026, 1, 1),
            date(2026, 2, 1),
            date(2025, 12, 1),
            date(2025, 1, 1),
            "2026年1月",
        ),
        (
            "quarterly",
            date(2026, 8, 15),
            date(2026, 7, 1),
            date(2026, 10, 1),
            date(2026, 4, 1),
            date(2025, 7, 1),
            "2026年第3季度",
        ),
        (
            "quarterly",
            date(2026, 2, 1),
            date(2026, 1, 1),
            date(2026, 4, 1),
            date(2025, 10, 1),
            date(2025, 1, 1),
            "2026年第1季度",
        ),
        (
            "annual",
            date(2026, 11, 27),
            date(2026, 1, 1),
            date(2027, 1, 1),
            date(2025, 1, 1),
            date(2025, 1, 1),
            "2026年",
        ),
    ],
)
def test_periods_previous_and_same_period_last_year(
    kind: str, day: date, start: date, end: date, prev_start: date, ly_start: date, label: str
) -> None:
    p = period_for(kind, day)
    assert (p.start, p.end, p.label) == (start, end, label)
    prev = previous_period(p)
    assert prev.start == prev_start and prev.end == p.start
    ly = same_period_last_year(p)
    assert ly.start == ly_start
    assert ly.days == p.days or kind in ("monthly", "annual")  # Feb and leap years differ


def test_quarter_parsing() -> None:
    assert parse_quarter("2026q3") == Period(
        PeriodKind.quarterly, date(2026, 7, 1), date(2026, 10, 1)
    )
    assert parse_quarter("2026Q4").key == "2026Q4"
    for bad in ("2026Q5", "26Q1", "2026-3", ""):
        with pytest.raises(ValueError):
            parse_quarter(bad)


def test_rates_on_hand_computed_figures() -> None:
    # 20 received; 2 merged without reply; 3 open and not yet due → due = 15.
    m = Measures(
        received=20,
        responded_in_time=17,
        replied=12,
        replied_on_time=9,
        excluded=2,
        evaluated=10,
        content=9,
        returned=3,
        reopened=2,
        dispatched=15,
        handle_seconds=12 * 36 * 3600,
        pending=3,
    )
    r = rates(m)
    assert m.due == 15
    assert r.response == 0.85  # 17/20
    assert r.resolution == 0.8  # 12/15
    assert r.on_time == 0.75  # 9/12
    assert r.satisfaction == 0.9  # 9/10
    assert r.return_ == 0.2  # 3/15
    assert r.reopen == 0.2  # 2/10
    assert r.avg_handle_hours == 36.0
    empty = rates(Measures())
    assert empty.as_dict() == {k: None for k in empty.as_dict()}


def test_measures_add_and_from_row() -> None:
    a = Measures.from_row({"received": 3, "replied": 2, "unknown": 9})
    b = Measures(received=1, content=1)
    assert (a + b).received == 4 and (a + b).content == 1 and (a + b).replied == 2


def test_composite_score_weights_and_missing_rates() -> None:
    r = Rates(
        response=0.9,
        resolution=0.8,
        on_time=0.75,
        satisfaction=0.9,
        return_=0.2,
        reopen=0.2,
        avg_handle_hours=None,
    )
    # 0.3*0.9 + 0.2*0.75 + 0.2*0.8 + 0.1*0.9 + 0.1*0.8 + 0.1*0.8 = 0.83
    assert composite_score(r) == 83.0
    only_sat = RankingWeights(
        satisfaction=1, on_time=0, resolution=0, response=0, return_=0, reopen=0
    )
    assert composite_score(r, only_sat) == 90.0
    # No evaluations: satisfaction and reopen drop out and the rest are rescaled.
    r2 = Rates(1.0, 1.0, 1.0, None, 0.0, None, None)
    assert composite_score(r2) == 100.0
    with pytest.raises(ValueError):
        RankingWeights(satisfaction=-1)
    with pytest.raises(ValueError):
        RankingWeights(0, 0, 0, 0, 0, 0)


def test_ranking_order_ties_threshold_and_bottom() -> None:
    perfect = Measures(
        received=10,
        responded_in_time=10,
        replied=10,
        replied_on_time=10,
        evaluated=10,
        content=10,
        dispatched=10,
    )
    weaker = Measures(
        received=10,
        responded_in_time=10,
        replied=10,
        replied_on_time=8,
        evaluated=10,
        content=9,
        dispatched=10,
    )
    worst = Measures(
        received=10,
        responded_in_time=5,
        replied=6,
        replied_on_time=3,
        evaluated=6,
        content=3,
        dispatched=10,
        returned=4,
        reopened=3,
    )
    tiny = Measures(received=1, content=1, evaluated=1)
    ranked = rank_units(
        [
            ("511111", "沙湾区", weaker),
            ("511102", "市中区", perfect),
            ("511181", "峨眉山市", perfect),
            ("511113", "金口河区", worst),
            ("511132", "峨边", tiny),
        ],
        min_received=5,
    )
    assert [u.code for u in ranked] == ["511102", "511181", "511111", "511113"]
    assert [u.rank for u in ranked] == [1, 1, 3, 4]
    assert [u.bottom for u in ranked] == [False, False, False, True]
    assert ranked[0].score == 100.0
    assert ranked[-1].as_dict()["code"] == "511113"
    # Two bottom places requested.
    assert [
        u.bottom
        for u in rank_units(
            [("a", "A", perfect), ("b", "B", weaker), ("c", "C", worst)], bottom_count=2
        )
    ] == [False, True, True]


def _pt(i: int, days: float, cat: str, lon: float, lat: float) -> RequestPoint:
    return RequestPoint(
        i, datetime(2026, 11, 1, 9, tzinfo=SH) + timedelta(days=days), cat, lon, lat
    )


def test_repeat_detection_table() -> None:
    # ~0.0009° of latitude ≈ 100 m.
    pts = [
        _pt(1, 0, "urban.sanitation", 103.7665, 29.5521),
        _pt(2, 2, "urban.sanitation", 103.7665, 29.5530),  # 100 m, 2 days after 1 → repeats 1
        _pt(
            3, 5, "urban.sanitation", 103.7665, 29.5539
        ),  # 200 m from 1, 100 m from 2 → earliest in range: 1? no, 200.2 m > 200
        _pt(4, 3, "water.supply", 103.7665, 29.5521),  # other category
        _pt(
            5, 40, "urban.sanitation", 103.7665, 29.5521
        ),  # 40 days later: outside 30 days of 1 and 2
        _pt(6, 0, "urban.sanitation", 103.7665, 29.5521),  # same moment as 1: not "earlier"
        _pt(7, 41, "urban.sanitation", 103.7670, 29.5521),  # 48 m, a day after 5 → repeats 5
    ]
    links = {r.order_id: r for r in find_repeats(pts, RepeatRule(metres=200, days=30))}
    assert set(links) == {2, 3, 7}
    assert links[2].first_id == 1 and links[2].distance_m == pytest.approx(100.1, abs=0.5)
    assert links[3].first_id == 2  # 1 is 200.2 m away
    assert links[7].first_id == 5 and links[7].days_apart == 1.0
    wider = {r.order_id: r.first_id for r in find_repeats(pts, RepeatRule(metres=500, days=60))}
    assert wider[3] == 1 and wider[5] == 1
    with pytest.raises(ValueError):
        RepeatRule(metres=0)


def test_distance_grid_and_hex() -> None:
    assert distance_m(103.7665, 29.5521, 103.7665, 29.5521) == 0
    assert distance_m(103.0, 29.0, 104.0, 29.0) == pytest.approx(97_260, rel=0.01)
    assert grid_cell(103.7665, 29.5521) == (10376, 2955)
    assert grid_cell(-0.005, 0.005) == (-1, 0)
    # Points 100 m apart mostly share a 1 km hexagon; 5 km apart never do.
    assert hex_cell(103.7665, 29.5521) != hex_cell(103.82, 29.5521)
    hs = top_hotspots([(1, 1, 5), (2, 2, 9), (3, 3, 5), (4, 4, 0)], limit=3)
    assert [(h.cell_x, h.count) for h in hs] == [(2, 9), (1, 5), (3, 5)]
    assert hs[0].lon == 0.025


def test_rising_terms_and_hard_areas() -> None:
    rising = rising_terms({"积水": 30, "噪音": 12, "停电": 5, "偶尔": 1}, {"积水": 5, "噪音": 11})
    assert [t.term for t in rising] == ["积水", "停电", "噪音"]
    assert rising[0].growth == 500.0 and rising[1].growth is None
    assert Change(90, 100).pct == -10.0 and Change(5, 0).pct is None
    ranked = hard_areas(
        [
            HardArea("a", 1, 0, 0),
            HardArea("b", 2, 1, 0),
            HardArea("c", 0, 0, 0),
            HardArea("d", 1, 2, 0),
        ]
    )
    assert [h.code for h in ranked] == ["b", "d", "a"]


def _migration(name: str) -> str:
    return (resources.files("dispatch_center.store") / "migrations" / name).read_text("utf-8")


def test_timescale_rollups_use_documented_api_and_share_the_order_rollups() -> None:
    from dispatch_center.store.migrate import available_migrations

    ts = _migration("006_rollups.timescale.sql")
    for documented in (
        "WITH (timescaledb.continuous)",
        "time_bucket(",
        "add_continuous_aggregate_policy(",
        "add_compression_policy(",
        "timescaledb.compress",
        "WITH NO DATA",
    ):
        assert documented in ts, documented
    # The order rollups are one file applied on both paths: the numbers cannot differ.
    shared = _migration("006_rollups.sql")
    assert "timescaledb" not in shared.lower()
    native = next(m for m in available_migrations("native") if m.version == 6).sql
    timescale = next(m for m in available_migrations("timescale") if m.version == 6).sql
    assert native == shared and timescale.startswith(shared) and ts in timescale


def test_timescale_migration_parses_as_sql() -> None:
    import pglast

    for name in ("006_rollups.timescale.sql", "007_feeds.timescale.sql"):
        assert pglast.parse_sql(_migration(name)), name
