"""A realistic multi-year history of work orders, generated in bulk (``dispatch-center backfill``).

The volume of each day follows growth over the years, the week, the seasons, China's
statutory holidays (tourism requests rise, the rest fall) and summer floods (flood.*
requests peak in 沙湾区, 峨边彝族自治县 and 金口河区). Points are sampled inside the real
county boundaries and routed with the real geography and duty catalogue; deadlines come
from the statutory time limits and the working-day calendar.

Batches are deterministic (the seed of batch ``b`` is derived from the run's seed and
``b``) and each commits in one transaction together with its rollup deltas and the run's
progress row, so an interrupted run resumes at the next batch and yields the same data.
Rows go in with COPY; the change log is not written (history is not news for the wall).
"""

from __future__ import annotations

import bisect
import logging
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

import orjson
import psycopg

from dispatch_center.core.calendar import (
    SHANGHAI,
    TIME_ZONE,
    DayKind,
    WorkingCalendar,
    china_calendar,
)
from dispatch_center.core.deadlines import STATUTORY_TIME_LIMITS, Urgency, compute_deadlines
from dispatch_center.demo.backfill_data import (
    CATEGORY_WEIGHTS,
    CHANNELS,
    COUNTY_WEIGHTS,
    FLOOD_COUNTIES,
    HOUR_WEIGHTS,
    PHRASES,
    PLACES,
    REQUEST_TYPES,
    TOURISM_COUNTIES,
)
from dispatch_center.geography.model import Geography, default_geography
from dispatch_center.reporting.words import count_words
from dispatch_center.store import backfill as store
from geo.areas import PathStep, Tier
from geo.catalogue import Unroutable

log = logging.getLogger(__name__)

TIMELINE_COLUMNS = (
    "order_id",
    "at",
    "actor",
    "role",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
)


@dataclass(frozen=True)
class BackfillPlan:
    """What a run generates: how many orders over which days, in which batches."""

    orders: int
    first_day: date
    last_day: date
    batch_size: int = 20_000
    seed: int = 12345

    @property
    def batches(self) -> int:
        """Number of batches."""
        return max(1, math.ceil(self.orders / self.batch_size))

    @property
    def run_id(self) -> str:
        """The identity a resumed run is found by."""
        return f"n{self.orders}-s{self.seed}-{self.first_day}-{self.last_day}-b{self.batch_size}"


def plan_for(
    orders: int,
    today: date,
    *,
    years: float | None = None,
    batch_size: int = 20_000,
    seed: int = 12345,
) -> BackfillPlan:
    """A plan ending yesterday; by default about 1,500 orders a day, between one and six years.

    Examples
    --------
    >>> plan_for(3_200_000, date(2026, 11, 27)).first_day
    datetime.date(2022, 1, 1)
    """
    last = today - timedelta(days=1)
    if years is None:
        days = min(max(orders // 1500, 365), 6 * 365)
        first = last - timedelta(days=days)
        if first.year < last.year - 4:  # whole years read better in reports
            first = date(first.year + 1, 1, 1)
    else:
        first = last - timedelta(days=int(years * 365))
    return BackfillPlan(orders, first, last, batch_size, seed)


def _flood_days(first: date, last: date, seed: int) -> set[date]:
    rng = random.Random(seed * 7 + 1)
    out: set[date] = set()
    for year in range(first.year, last.year + 1):
        for _ in range(rng.randint(2, 3)):
            start = date(year, rng.randint(6, 8), rng.randint(1, 25))
            out.update(start + timedelta(days=i) for i in range(rng.randint(3, 5)))
    return out


def day_weights(
    first: date, last: date, calendar: WorkingCalendar, floods: set[date]
) -> list[float]:
    """Relative volume of each day: growth, week, season, holidays, floods."""
    n = (last - first).days + 1
    out = []
    for i in range(n):
        d = first + timedelta(days=i)
        w = 0.7 + 0.5 * i / max(n - 1, 1)
        w *= 0.8 if d.weekday() >= 5 else 1.0
        info = calendar.day_info(d)
        if info is not None and info.kind is DayKind.holiday:
            w *= 0.8
        w *= 1.12 if d.month in (6, 7, 8) else 0.95 if d.month in (1, 2) else 1.0
        if d in floods:
            w *= 1.6
        out.append(w)
    return out


class _Places:
    """Points inside each county, with their tier path and routed lead per category."""

    def __init__(self, geography: Geography, seed: int, per_county: int = 240) -> None:
        from shapely.prepared import prep

        rng = random.Random(seed)
        self.geo = geography
        self.points: dict[str, list[tuple[float, float, list[dict[str, Any]]]]] = {}
        for area in geography.index.areas(Tier.COUNTY):
            shape = prep(area.geometry)
            minx, miny, maxx, maxy = area.geometry.bounds
            c = area.geometry.representative_point()
            pts: list[tuple[float, float, list[dict[str, Any]]]] = []
            tries = 0
            while len(pts) < per_county and tries < per_county * 50:
                tries += 1
                if rng.random() < 0.6:  # people cluster in the county seat
                    lon, lat = rng.gauss(c.x, 0.03), rng.gauss(c.y, 0.02)
                else:
                    lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                from shapely.geometry import Point

                if not shape.contains(Point(lon, lat)):
                    continue
                where = geography.index.locate(lon, lat, "wgs84")
                if not where.inside:
                    continue
                pts.append((round(lon, 6), round(lat, 6), where.as_dict()["path"]))
            self.points[area.code] = pts
        self._leads: dict[tuple[str, str], dict[str, str] | None] = {}

    def lead(self, county: str, category: str, path: list[dict[str, Any]]) -> dict[str, str] | None:
        key = (county, category)
        if key not in self._leads:
            steps = tuple(PathStep(Tier(s["tier"]), s["code"], s["name"]) for s in path)
            try:
                self._leads[key] = self.geo.catalogue.resolve(category, steps).as_dict()["lead"]
            except Unroutable:
                self._leads[key] = None
        return self._leads[key]


def _pick(rng: random.Random, items: list[str], cum: Sequence[float]) -> str:
    return items[bisect.bisect_left(cum, rng.random() * cum[-1])]


class Generator:
    """Makes the orders of one batch (deterministic for a plan and batch number)."""

    def __init__(
        self,
        plan: BackfillPlan,
        today: date,
        geography: Geography,
        calendar: WorkingCalendar,
        units: set[str],
    ) -> None:
        self.plan, self.today, self.calendar, self.units = plan, today, calendar, units
        self.places = _Places(geography, plan.seed)
        self.floods = _flood_days(plan.first_day, plan.last_day, plan.seed)
        weights = day_weights(plan.first_day, plan.last_day, calendar, self.floods)
        total = sum(weights)
        self.cum_orders = [round(c / total * plan.orders) for c in accumulate(weights)]
        self.counties = list(COUNTY_WEIGHTS)
        self.categories = list(CATEGORY_WEIGHTS)
        self.hour_cum = list(accumulate(HOUR_WEIGHTS))
        self.now = datetime.combine(today, time(8), SHANGHAI)

    def day_of(self, i: int) -> date:
        """Local day of the ``i``-th order of the run."""
        return self.plan.first_day + timedelta(days=bisect.bisect_right(self.cum_orders, i))

    def _category_cum(self, d: date, county: str) -> list[float]:
        holiday = (info := self.calendar.day_info(d)) is not None and info.kind is DayKind.holiday
        summer = d.month in (6, 7, 8, 9)
        flood_day = d in self.floods
        ws = []
        for c, w in CATEGORY_WEIGHTS.items():
            if c.startswith("flood."):
                w *= (4 if summer else 1) * (3 if county in FLOOD_COUNTIES else 1)
                w *= 25 if flood_day and county in FLOOD_COUNTIES else 6 if flood_day else 1
            elif c.startswith("tourism."):
                w *= (4 if holiday else 1) * (2.5 if county in TOURISM_COUNTIES else 0.6)
            ws.append(w)
        return list(accumulate(ws))

    def batch(self, b: int) -> list[dict[str, Any]]:
        """The orders of batch ``b``."""
        rng = random.Random(self.plan.seed * 1_000_003 + b)
        lo = b * self.plan.batch_size
        hi = min(lo + self.plan.batch_size, self.plan.orders)
        out: list[dict[str, Any]] = []
        cat_cache: dict[tuple[date, str], list[float]] = {}
        county_cum = list(accumulate(COUNTY_WEIGHTS.values()))
        for i in range(lo, hi):
            d = self.day_of(i)
            flood_day = d in self.floods
            county = _pick(rng, self.counties, county_cum)
            if flood_day and rng.random() < 0.25:
                county = rng.choice(FLOOD_COUNTIES)
            key = (d, county)
            if key not in cat_cache:
                cat_cache[key] = self._category_cum(d, county)
            category = _pick(rng, self.categories, cat_cache[key])
            out.append(self._order(rng, d, county, category))
        return out

    def _order(self, rng: random.Random, d: date, county: str, category: str) -> dict[str, Any]:
        hour = bisect.bisect_left(self.hour_cum, rng.random() * self.hour_cum[-1])
        received = datetime.combine(d, time(hour, rng.randrange(60), rng.randrange(60)), SHANGHAI)
        years_in = (d - self.plan.first_day).days / 365
        x = rng.random()
        rtype = "suggestion"
        for name, share in REQUEST_TYPES:
            if x < share:
                rtype = name
                break
            x -= share
        if category.startswith("flood."):
            urgency = "urgent" if rng.random() < 0.6 else "general"
            rtype = "help" if rtype == "consultation" else rtype
        elif rtype == "consultation":
            urgency = "consultation"
        else:
            urgency = "urgent" if rng.random() < 0.04 else "general"
        phone_share = max(0.45, 0.7 - 0.04 * years_in)
        channel = "phone" if rng.random() < phone_share else rng.choice(CHANNELS[1:])
        lon, lat, path = rng.choice(self.places.points[county])
        lon, lat = (
            round(lon + rng.uniform(-0.002, 0.002), 6),
            round(lat + rng.uniform(-0.002, 0.002), 6),
        )
        lead = self.places.lead(county, category, path)
        domain = category.split(".")[0]
        description = f"{rng.choice(PLACES)}{rng.choice(PHRASES.get(domain, PHRASES['other']))}"
        dl = compute_deadlines(received, STATUTORY_TIME_LIMITS[Urgency(urgency)], self.calendar)
        o: dict[str, Any] = {
            "day": d,
            "channel": channel,
            "request_type": rtype,
            "category_code": category,
            "urgency": urgency,
            "description": description,
            "lon": lon,
            "lat": lat,
            "address": f"{path[1]['name'] if len(path) > 1 else ''}{description[:4]}",
            "routing": {
                "inside": True,
                "path": path,
                "queue": "dispatch" if lead else "manual",
                "lead": lead,
                "co": [],
                "reason": "backfill",
                "location": {"lon": lon, "lat": lat},
            },
            "received_at": received,
            "respond_by": dl.respond_by,
            "reply_by": dl.reply_by,
            "deadlines_provisional": dl.provisional,
            "assigned_unit": None,
            "responded_at": None,
            "replied_at": None,
            "closed_at": None,
            "last_rating": None,
            "status": "received",
            "returned": False,
            "reopened": False,
        }
        self._outcome(rng, o, lead, years_in)
        return o

    def _outcome(
        self, rng: random.Random, o: dict[str, Any], lead: dict[str, str] | None, years_in: float
    ) -> None:
        received: datetime = o["received_at"]
        if o["urgency"] == "consultation":  # answered at once by the seat (直接办结)
            o.update(
                responded_at=received,
                replied_at=received,
                status="closed",
                closed_at=received + timedelta(minutes=rng.randint(3, 30)),
            )
            self._rate(rng, o)
            return
        if rng.random() < 0.004:
            o["status"] = "merged"
            return
        unit = lead["code"] if lead and lead["code"] in self.units else None
        o["assigned_unit"] = unit
        o["status"] = "dispatched" if unit else "received"
        on_time = min(0.9995, 0.96 + 0.02 * years_in)
        span = o["respond_by"] - received
        o["responded_at"] = received + (
            span * rng.uniform(0.05, 0.9)
            if rng.random() < on_time
            else span + timedelta(hours=rng.uniform(0.5, 30))
        )
        if unit and rng.random() < 0.03:
            o["returned"] = True
        reply_span = o["reply_by"] - received
        replied = received + (
            reply_span * rng.uniform(0.1, 0.95)
            if rng.random() < on_time
            else reply_span + timedelta(hours=rng.uniform(1, 72))
        )
        if replied > self.now:
            # Not replied yet: open, and overdue once its deadline has passed.
            o["status"] = "in_progress" if unit else "received"
            return
        if o["reply_by"] < self.now and (self.now - received).days < 60 and rng.random() < 0.004:
            o["status"] = "in_progress" if unit else "received"
            return
        o.update(replied_at=replied, status="replied")
        self._rate(rng, o)
        if o["last_rating"] == "unsatisfied" and rng.random() < 0.6:
            o["reopened"] = True
        if o["last_rating"] is not None and replied + timedelta(days=3) < self.now:
            o.update(status="closed", closed_at=replied + timedelta(days=rng.uniform(1, 3)))

    def _rate(self, rng: random.Random, o: dict[str, Any]) -> None:
        if rng.random() < 0.85:
            x = rng.random()
            o["last_rating"] = (
                "satisfied" if x < 0.93 else "basically_satisfied" if x < 0.985 else "unsatisfied"
            )
            o["status"] = "evaluated" if o["status"] == "replied" else o["status"]


def _timeline_rows(o: dict[str, Any]) -> list[tuple[Any, ...]]:
    # The county beside the channel, as the live 'receive' entry has it (orders/service.py):
    # the TimescaleDB intake aggregate groups the timeline by it, and must agree with the
    # rollups, which read orders.county_code (the same tier-2 step of the routing's path).
    path = o["routing"].get("path") or []
    county = path[1]["code"] if len(path) > 1 else None
    receive = {"channel": o["channel"], "county_code": county, "backfill": True}
    rows: list[tuple[Any, ...]] = [
        (
            o["id"],
            o["received_at"],
            "backfill",
            "admin",
            "receive",
            None,
            "received",
            None,
            orjson.dumps(receive).decode(),
        )
    ]
    if o["returned"]:
        rows.append(
            (
                o["id"],
                o["received_at"] + timedelta(hours=1),
                "backfill",
                "handler",
                "request_return",
                "dispatched",
                "return_requested",
                "不属于本单位职责",
                "{}",
            )
        )
    if o["reopened"] and o["replied_at"] is not None:
        rows.append(
            (
                o["id"],
                o["replied_at"] + timedelta(hours=6),
                "backfill",
                "duty_officer",
                "reopen",
                "evaluated",
                "dispatched",
                "回访不满意，重办",
                "{}",
            )
        )
    return rows


def run_backfill(
    url: str,
    plan: BackfillPlan,
    *,
    today: date,
    geography: Geography | None = None,
    calendar: WorkingCalendar | None = None,
    prefix: str = "LS",
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Generate ``plan`` into the database at ``url``, resuming a run with the same plan.

    Returns what was done: the run id, the batches run now and in total, the orders made.
    """
    geography = geography or default_geography()
    calendar = calendar or china_calendar()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET timezone = '{TIME_ZONE}'")
        done = store.start_run(
            conn,
            plan.run_id,
            plan.orders,
            plan.batch_size,
            plan.seed,
            plan.first_day,
            plan.last_day,
            plan.batches,
        )
        if done >= plan.batches:
            return {
                "run_id": plan.run_id,
                "batches": plan.batches,
                "ran": 0,
                "orders": 0,
                "resumed_at": done,
            }
        store.ensure_partitions(conn, plan.first_day, plan.last_day)
        gen = Generator(plan, today, geography, calendar, store.unit_codes(conn))
        word_cache: dict[str, list[str]] = {}
        made = 0
        for b in range(done, plan.batches):
            orders = gen.batch(b)
            with conn.transaction():
                ids = store.reserve_ids(conn, len(orders))
                per_day = Counter(o["day"] for o in orders)
                first_serial = store.take_serials(conn, per_day)
                next_serial = dict(first_serial)
                timeline: list[tuple[Any, ...]] = []
                for o, oid in zip(orders, ids, strict=True):
                    o["id"] = oid
                    serial = next_serial[o["day"]]
                    next_serial[o["day"]] = serial + 1
                    o["number"] = f"{prefix}{o['day']:%Y%m%d}{serial:05d}"
                    timeline.extend(_timeline_rows(o))
                store.copy_orders(conn, orders)
                store.copy_timeline(conn, timeline)
                returned = [o["id"] for o in orders if o["returned"]]
                reopened = [
                    o["id"] for o in orders if o["reopened"] and o["replied_at"] is not None
                ]
                store.apply_rollups(conn, ids, returned, reopened)
                words: Counter[tuple[date, str]] = Counter()
                by_day: dict[date, list[str]] = {}
                for o in orders:
                    by_day.setdefault(o["day"], []).append(o["description"])
                for d, texts in by_day.items():
                    for w, n in count_words(texts, word_cache).items():
                        words[(d, w)] += n
                store.add_words(conn, dict(words))
                store.finish_batch(conn, plan.run_id, b + 1, b + 1 == plan.batches)
            made += len(orders)
            if progress:
                progress(len(orders))
        return {
            "run_id": plan.run_id,
            "batches": plan.batches,
            "ran": plan.batches - done,
            "orders": made,
            "resumed_at": done,
        }
