"""Analysis of the work orders: the rollup worker, report data, the quarterly ranking, hotspots.

Functions take a database connection rather than the center so the benchmark and the
tests can run them against any database. ``source="rollup"`` reads the rollup tables
(brought up to date first by :func:`catch_up`), ``source="plain"`` the raw orders; both
return the same answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.core.analysis.periods import (
    KIND_LABELS_ZH,
    Period,
    PeriodKind,
    buckets,
    parse_quarter,
    previous_period,
    same_period_last_year,
)
from dispatch_center.core.analysis.places import top_hotspots
from dispatch_center.core.analysis.ranking import RankingWeights, rank_units
from dispatch_center.core.analysis.rates import Change, Measures, rates
from dispatch_center.core.analysis.repeats import RepeatRule
from dispatch_center.core.analysis.topics import HardArea, hard_areas, rising_terms
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn, Source

log = logging.getLogger(__name__)

TOP_N = 10
CHANNEL_LABELS_ZH = {
    "phone": "电话",
    "wechat": "微信公众号",
    "web": "网站",
    "sms": "短信",
    "email": "电子邮件",
    "letter": "来信",
    "app": "移动端",
    "open311": "Open311",
    "110": "110联动",
}

# --------------------------------------------------------------------------- words


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop-word list shipped in ``dispatch_center/data/stopwords_zh.txt``."""
    text = (resources.files("dispatch_center.data") / "stopwords_zh.txt").read_text(
        encoding="utf-8"
    )
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    # jieba ships its dictionary inside the wheel (jieba/dict.txt): nothing is downloaded.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Content words of a request, tokenised by jieba, stop words and numbers removed.

    Examples
    --------
    >>> tokenize("小区门口垃圾堆积三天无人清运")  # doctest: +SKIP
    ['小区', '门口', '垃圾', '堆积', '三天', '无人', '清运']
    """
    stops = stop_words()
    return [w for w in _jieba().lcut(text) if _WORDLIKE.match(w) and w not in stops]


def count_words(texts: Iterable[str], cache: dict[str, list[str]] | None = None) -> Counter[str]:
    """Word counts over many texts; each text counts a word once (documents, not mentions)."""
    out: Counter[str] = Counter()
    for t in texts:
        words = cache.get(t) if cache is not None else None
        if words is None:
            words = sorted(set(tokenize(t)))
            if cache is not None:
                cache[t] = words
        out.update(words)
    return out


def day_word_counts(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[date, str], int]:
    """Per (day, word): how many of the orders (``day``, ``description``) use the word.

    Examples
    --------
    >>> day = date(2026, 5, 1)
    >>> rows = [{"day": day, "description": "垃圾堆积"}, {"day": day, "description": "门口垃圾"}]
    >>> sorted((w, n) for (_, w), n in day_word_counts(rows).items())
    [('垃圾', 2), ('堆积', 1), ('门口', 1)]
    """
    counts: dict[tuple[date, str], int] = {}
    for r in rows:
        for w in set(tokenize(r["description"] or "")):
            counts[(r["day"], w)] = counts.get((r["day"], w), 0) + 1
    return counts


# --------------------------------------------------------------------------- the worker


async def catch_up(conn: Conn, batch: int = 5000, *, wait: bool = True) -> int:
    """Apply every change-log row after the rollup cursor; return how many orders were applied.

    Each batch is one transaction: the deltas and the cursor move together, so a crash
    re-applies nothing and loses nothing. Concurrent callers queue on the cursor row.
    """
    applied = 0
    while True:
        async with conn.transaction():
            _, changes = await store.claim_changes(conn, batch, wait=wait)
            if not changes:
                return applied
            ids: set[int] = set()
            created: set[int] = set()
            returned: set[int] = set()
            reopened: set[int] = set()
            for c in changes:
                if (
                    not str(c["kind"]).startswith("order.")
                    or not str(c["entity_id"] or "").isdigit()
                ):
                    continue
                oid = int(c["entity_id"])
                ids.add(oid)
                if c["kind"] == "order.created":
                    created.add(oid)
                if c["action"] == "request_return":
                    returned.add(oid)
                elif c["action"] == "reopen":
                    reopened.add(oid)
            n = (
                await store.apply_orders(conn, sorted(ids), sorted(returned), sorted(reopened))
                if ids
                else 0
            )
            if created:
                rows = await store.descriptions_of(conn, sorted(created))
                # Tokenising is CPU work: in a thread, the event loop keeps serving
                # requests and the wall (it gets the GIL back every few milliseconds).
                # On the loop, even in slices of 32 descriptions, 5,000-character
                # descriptions held every request and every screen for seconds.
                counts = await asyncio.to_thread(day_word_counts, rows)
                await store.add_words(conn, counts)
            await store.advance_cursor(conn, int(changes[-1]["seq"]), n)
            applied += n
        if len(changes) < batch:
            return applied


class RollupWorker(BackgroundLoop):
    """Keeps the rollups current in the background (a wake-up every ``interval`` seconds)."""

    name = "rollup worker"

    def __init__(self, db: Any, interval: float = 2.0) -> None:
        super().__init__()
        self.db = db
        self.interval = interval
        self.retry_after = interval

    @property
    def heartbeat(self) -> datetime | None:
        """When the rollups were last brought up to date."""
        return self.last_ok_at

    async def prepare(self) -> None:
        """Load jieba's dictionary now, in a thread, rather than on the first order after
        start-up (a second of CPU in the middle of serving requests)."""
        await asyncio.to_thread(_jieba)

    async def step(self) -> float:
        """Apply every change after the rollup cursor."""
        async with self.db.connection() as conn:
            # Another worker applying the same changes: leave it to them this round.
            await catch_up(conn, wait=False)
        return self.interval


# --------------------------------------------------------------------------- aggregates


def _measures(rows: Iterable[Mapping[str, Any] | Measures]) -> Measures:
    total = Measures()
    for r in rows:
        total = total + (r if isinstance(r, Measures) else Measures.from_row(r))
    return total


def _keyed(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, Measures]:
    out: dict[str, Measures] = {}
    for r in rows:
        k = str(r[key])
        out[k] = out.get(k, Measures()) + Measures.from_row(r)
    return out


async def _with_pending(
    conn: Conn, p: Period, as_of: datetime, key: str | None, source: Source
) -> dict[str, Measures]:
    dims = [key] if key else []
    rows = await store.measures_by(conn, p.start, p.end, dims, source)
    pend = await store.pending_by(conn, p.start, p.end, as_of, dims)
    out = _keyed(rows, key) if key else {"": _measures(rows)}
    for r in pend:
        k = str(r[key]) if key else ""
        out[k] = out.get(k, Measures()) + Measures(pending=int(r["pending"]))
    return out


async def ranking(
    conn: Conn,
    quarter: Period,
    kind: str,
    as_of: datetime,
    *,
    source: Source = "rollup",
    weights: RankingWeights | None = None,
    min_received: int = 1,
    bottom_count: int = 1,
) -> list[dict[str, Any]]:
    """The quarterly list of counties (by adcode) or departments, best first."""
    if kind not in ("county", "department"):
        raise ValueError("kind is county or department")
    units = await store.unit_names(conn)
    key = "county_code" if kind == "county" else "unit_code"
    by = await _with_pending(conn, quarter, as_of, key, source)
    entries = [
        (code, str(units[code]["name"]), m)
        for code, m in by.items()
        if code in units and units[code]["kind"] == kind
    ]
    ranked = rank_units(entries, weights, min_received=min_received, bottom_count=bottom_count)
    return [u.as_dict() for u in ranked]


async def hotspots(
    conn: Conn, p: Period, *, source: Source = "rollup", limit: int = TOP_N
) -> list[dict[str, Any]]:
    """The busiest 0.01° cells of a period."""
    rows = await store.cells(conn, p.start, p.end, source, limit)
    return [
        h.as_dict()
        for h in top_hotspots(((r["cell_x"], r["cell_y"], int(r["n"])) for r in rows), limit)
    ]


async def _words(conn: Conn, p: Period, prev: Period, source: Source) -> list[dict[str, Any]]:
    if source == "rollup":
        cur = await store.word_counts(conn, p.start, p.end, None, 300)
        before = await store.word_counts(conn, prev.start, prev.end, list(cur), 0)
    else:
        full = count_words(await store.descriptions(conn, p.start, p.end))
        top = sorted(full.items(), key=lambda t: (-t[1], t[0]))[:300]
        cur = dict(top)
        prev_all = count_words(await store.descriptions(conn, prev.start, prev.end))
        before = {w: prev_all[w] for w in cur if w in prev_all}
    return [t.as_dict() for t in rising_terms(cur, before, limit=TOP_N)]


def _share(n: int, total: int) -> float | None:
    return round(n / total, 4) if total else None


async def report_data(
    conn: Conn,
    p: Period,
    as_of: datetime,
    *,
    source: Source = "rollup",
    rule: RepeatRule | None = None,
    top_n: int = TOP_N,
) -> dict[str, Any]:
    """Everything a report shows, as JSON-ready data."""
    rule = rule or RepeatRule()
    prev, last_year = previous_period(p), same_period_last_year(p)
    units = await store.unit_names(conn)
    cats = await store.category_names(conn)

    by_county = await _with_pending(conn, p, as_of, "county_code", source)
    total = _measures(by_county.values())
    prev_total = _measures(await store.measures_by(conn, prev.start, prev.end, [], source))
    ly_total = _measures(await store.measures_by(conn, last_year.start, last_year.end, [], source))

    # Trend: hours of a day, days of a week/month/quarter, months of a year.
    if p.kind is PeriodKind.daily:
        hours = await store.hourly(conn, p.start, p.end, source)
        per_hour: Counter[int] = Counter()
        for r in hours:
            per_hour[r["hour"].hour] += int(r["received"])
        trend = [{"bucket": f"{h:02d}:00", "received": per_hour.get(h, 0)} for h in range(24)]
    else:
        dim = "month" if p.kind is PeriodKind.annual or p.days > 120 else "day"
        rows = await store.measures_by(conn, p.start, p.end, [dim], source)
        counts = {r[dim]: int(r["received"]) for r in rows}
        trend = [{"bucket": b.isoformat(), "received": counts.get(b, 0)} for b in buckets(p)]

    channel_rows = await store.measures_by(conn, p.start, p.end, ["channel"], source)
    channels = sorted(
        (
            {
                "channel": r["channel"],
                "label": CHANNEL_LABELS_ZH.get(r["channel"], r["channel"]),
                "received": int(r["received"]),
                "share": _share(int(r["received"]), total.received),
            }
            for r in channel_rows
        ),
        key=lambda c: (-c["received"], c["channel"]),
    )

    cat_now = {
        k: m.received
        for k, m in _keyed(
            await store.measures_by(conn, p.start, p.end, ["category_code"], source),
            "category_code",
        ).items()
    }
    cat_prev = {
        k: m.received
        for k, m in _keyed(
            await store.measures_by(conn, prev.start, prev.end, ["category_code"], source),
            "category_code",
        ).items()
    }
    top_cats = sorted(cat_now.items(), key=lambda t: (-t[1], t[0]))[:top_n]
    categories = [
        {
            "code": c,
            "name": cats.get(c, c or "未分类"),
            "received": n,
            "previous": cat_prev.get(c, 0),
            "change": Change(n, cat_prev.get(c, 0)).as_dict(),
        }
        for c, n in top_cats
    ]
    rising = [
        {**t.as_dict(), "name": cats.get(t.term, t.term)}
        for t in rising_terms(cat_now, cat_prev, limit=top_n, min_count=1)
    ]

    counties = []
    for code, m in sorted(by_county.items()):
        if code not in units or units[code]["kind"] != "county":
            continue
        counties.append(
            {
                "code": code,
                "name": units[code]["name"],
                "received": m.received,
                "share": _share(m.received, total.received),
                **rates(m).as_dict(),
            }
        )

    overdue_items, overdue_counts = await store.overdue_open(conn, as_of, 20)
    overdue_by_unit: Counter[str] = Counter()
    for r in overdue_counts:
        overdue_by_unit[r["unit_code"] or r["county_code"]] += int(r["n"])
    by_unit = _keyed(
        await store.measures_by(conn, p.start, p.end, ["unit_code"], source), "unit_code"
    )
    hard = hard_areas(
        [
            HardArea(
                code,
                overdue_by_unit.get(code, 0) + (m.replied - m.replied_on_time),
                m.returned,
                m.reopened,
            )
            for code, m in by_unit.items()
            if code
        ]
        + [
            HardArea(code, n, 0, 0)
            for code, n in overdue_by_unit.items()
            if code and code not in by_unit
        ],
        top_n,
    )
    repeat_total, repeat_rows = await store.repeats(
        conn, p.start, p.end, rule.metres, rule.days, source, 20
    )

    return {
        "kind": p.kind.value,
        "key": p.key,
        "label": p.label,
        "title": f"乐山12345心连心服务热线{KIND_LABELS_ZH[p.kind]}（{p.label}）",
        "period": {"start": p.start.isoformat(), "end": p.end.isoformat()},
        "as_of": as_of.isoformat(),
        "previous_period": {"key": prev.key, "label": prev.label},
        "same_period_last_year": {"key": last_year.key, "label": last_year.label},
        "volume": {
            "received": total.received,
            "vs_previous": Change(total.received, prev_total.received).as_dict(),
            "vs_last_year": Change(total.received, ly_total.received).as_dict(),
        },
        "measures": {**total.__dict__, "due": total.due},
        "rates": rates(total).as_dict(),
        "trend": trend,
        "channels": channels,
        "categories": categories,
        "rising_categories": rising,
        "hot_words": await _words(conn, p, prev, source),
        "counties": counties,
        "hotspots": await hotspots(conn, p, source=source, limit=top_n),
        "overdue": {
            "open_count": sum(int(r["n"]) for r in overdue_counts),
            "late_replies": total.replied - total.replied_on_time,
            "orders": [
                {
                    "id": str(r["id"]),
                    "number": r["number"],
                    "category": cats.get(r["category_code"] or "", ""),
                    "unit": units.get(r["assigned_unit"] or "", {}).get("name") or "待派单",
                    "county": units.get(r["county_code"] or "", {}).get("name") or "",
                    "status": r["status"],
                    "reply_by": r["reply_by"].isoformat(),
                    "hours_overdue": round((as_of - r["reply_by"]).total_seconds() / 3600, 1),
                }
                for r in overdue_items
            ],
        },
        "repeated": {
            "rule": {"metres": rule.metres, "days": rule.days},
            "count": repeat_total,
            "links": [
                {
                    "order_id": str(r["order_id"]),
                    "first_id": str(r["first_id"]),
                    "category": cats.get(r["category_code"], r["category_code"]),
                    "distance_m": r["distance_m"],
                    "days_apart": round(
                        (r["received_at"] - r["first_at"]).total_seconds() / 86400, 2
                    ),
                    "merge": f"/api/v1/orders/{r['order_id']}/actions/merge",
                }
                for r in repeat_rows
            ],
        },
        "hard_areas": [
            {
                "code": h.code,
                "name": units.get(h.code, {}).get("name", h.code),
                "overdue": h.overdue,
                "returned": h.returned,
                "reopened": h.reopened,
                "total": h.total,
            }
            for h in hard
        ],
    }


def default_report_day(today: date) -> date:
    """The day reports default to: yesterday, the last complete day."""
    return today - timedelta(days=1)


# --------------------------------------------------------------------------- ranking API

WEIGHTS_ENV = "DISPATCH_RANKING_WEIGHTS"


def parse_weights(text: str | None) -> RankingWeights:
    """Weights from ``"satisfaction=0.4,on_time=0.2"``; unnamed weights keep their defaults.

    Examples
    --------
    >>> parse_weights("satisfaction=0.5,return=0").return_
    0.0
    """
    if not text or not text.strip():
        return RankingWeights()
    names = {"satisfaction", "on_time", "resolution", "response", "return", "reopen"}
    values: dict[str, float] = {}
    for part in text.split(","):
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in names:
            raise ValueError(f"unknown weight {name!r}; known: {', '.join(sorted(names))}")
        values["return_" if name == "return" else name] = float(raw)
    return RankingWeights(**values)


def default_weights() -> RankingWeights:
    """The weights in force: ``DISPATCH_RANKING_WEIGHTS`` if set, else the documented defaults."""
    import os

    return parse_weights(os.environ.get(WEIGHTS_ENV))


async def ranking_view(
    center: Any, quarter: str, kind: str, weights: str | None = None
) -> dict[str, Any]:
    """The quarterly list with the follow-ups of its bottom; a closed quarter opens them."""
    from dispatch_center.errors import Invalid

    try:
        q = parse_quarter(quarter)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"quarter": "like 2026Q3"}) from exc
    try:
        w = parse_weights(weights) if weights is not None else default_weights()
    except ValueError as exc:
        raise Invalid(str(exc), fields={"weights": str(exc)}) from exc
    now = center.now()
    async with center.db.connection() as conn:
        await catch_up(conn)
        units = await ranking(conn, q, kind, min(now, store.local_midnight(q.end)), weights=w)
        closed = now >= store.local_midnight(q.end)
        if closed:
            await store.ensure_followups(conn, q.key, kind, [u for u in units if u["bottom"]])
        follow = await store.followups(conn, q.key, kind)
    return {
        "quarter": q.key,
        "label": q.label,
        "kind": kind,
        "closed": closed,
        "weights": {
            "satisfaction": w.satisfaction,
            "on_time": w.on_time,
            "resolution": w.resolution,
            "response": w.response,
            "return": w.return_,
            "reopen": w.reopen,
        },
        "units": units,
        "followups": [_followup_view(f) for f in follow],
    }


def _followup_view(f: Mapping[str, Any]) -> dict[str, Any]:
    def iso(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    return {k: iso(v) for k, v in f.items()}


async def list_followups(
    center: Any, quarter: str | None, kind: str | None
) -> list[dict[str, Any]]:
    """Follow-ups of the bottom ranks (书面说明、组织约谈), newest quarter first."""
    async with center.db.connection() as conn:
        return [_followup_view(f) for f in await store.followups(conn, quarter, kind)]


async def submit_explanation(
    center: Any, who: Any, quarter: str, kind: str, code: str, text: str
) -> dict[str, Any]:
    """The ranked unit's handler submits the written explanation (书面说明)."""
    from dispatch_center.core.roles import Role
    from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound

    if not text.strip():
        raise Invalid("the explanation is empty", fields={"text": "required"})
    if who.role is not Role.handler or who.unit_code != code:
        raise Forbidden("only a handler of the ranked unit submits its written explanation")
    async with center.db.connection() as conn:
        row = await store.update_followup(
            conn,
            quarter,
            kind,
            code,
            "awaiting_explanation",
            {
                "explanation": text.strip(),
                "explained_by": who.username,
                "explained_at": center.now(),
                "status": "awaiting_interview",
            },
        )
        if row is None:
            current = await store.get_followup(conn, quarter, kind, code)
            if current is None:
                raise NotFound(f"no follow-up for {code} in {quarter} ({kind})")
            raise Conflict(f"the explanation was already submitted (status {current['status']})")
    return _followup_view(row)


async def record_interview(
    center: Any, who: Any, quarter: str, kind: str, code: str, record: str, held_at: datetime | None
) -> dict[str, Any]:
    """A leader or the duty officer records the interview (组织约谈); the follow-up is done."""
    from dispatch_center.core.roles import Role
    from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound

    if not record.strip():
        raise Invalid("the interview record is empty", fields={"record": "required"})
    if who.role not in (Role.leader, Role.duty_officer):
        raise Forbidden("only a leader or the duty officer records the interview")
    async with center.db.connection() as conn:
        row = await store.update_followup(
            conn,
            quarter,
            kind,
            code,
            "awaiting_interview",
            {
                "interview_record": record.strip(),
                "interview_at": held_at or center.now(),
                "interviewed_by": who.username,
                "status": "done",
            },
        )
        if row is None:
            current = await store.get_followup(conn, quarter, kind, code)
            if current is None:
                raise NotFound(f"no follow-up for {code} in {quarter} ({kind})")
            raise Conflict(
                "the written explanation comes first"
                if current["status"] == "awaiting_explanation"
                else "the interview was already recorded"
            )
    return _followup_view(row)
