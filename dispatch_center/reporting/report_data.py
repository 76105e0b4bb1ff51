"""The data of a report (日报、周报、月报、季报、年报、专报): everything a report shows, as
JSON-ready data, from the rollups or the raw orders.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dispatch_center.core.analysis.periods import (
    KIND_LABELS_ZH,
    Period,
    PeriodKind,
    buckets,
    previous_period,
    same_period_last_year,
)
from dispatch_center.core.analysis.rates import Change, rates
from dispatch_center.core.analysis.repeats import RepeatRule
from dispatch_center.core.analysis.topics import HardArea, hard_areas, rising_terms
from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.reporting.hotspots import hotspots
from dispatch_center.reporting.measures import TOP_N, summed, summed_by, with_pending
from dispatch_center.reporting.words import hot_words
from dispatch_center.store import analysis as store
from dispatch_center.store import replies as reply_store
from dispatch_center.store.analysis import Conn, Source
from feeds.registry import default_catalogue

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


@lru_cache(maxsize=1)
def _system_names() -> dict[str, str]:
    return {d.system: d.name_zh for d in default_catalogue()}


def channel_label(channel: str) -> str:
    """A channel as a report names it: the intake channel's Chinese name, or the connected
    system's (``feed:grid_governance`` → 社会治理网格/综治).

    Examples
    --------
    >>> channel_label("wechat"), channel_label("feed:grid_governance"), channel_label("x")
    ('微信公众号', '社会治理网格/综治', 'x')
    """
    if channel in CHANNEL_LABELS_ZH:
        return CHANNEL_LABELS_ZH[channel]
    system = channel.removeprefix("feed:")
    return _system_names().get(system, channel)


def report_title(p: Period) -> str:
    """A report's title.

    Examples
    --------
    >>> from dispatch_center.core.analysis.periods import period_for
    >>> report_title(period_for("quarterly", date(2026, 8, 15)))
    '乐山12345心连心服务热线季报（2026年第3季度）'
    """
    return f"乐山12345心连心服务热线{KIND_LABELS_ZH[p.kind]}（{p.label}）"


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

    by_county = await with_pending(conn, p, as_of, "county_code", source)
    total = summed(by_county.values())
    prev_total = summed(await store.measures_by(conn, prev.start, prev.end, [], source))
    ly_total = summed(await store.measures_by(conn, last_year.start, last_year.end, [], source))

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
                "label": channel_label(r["channel"]),
                "received": int(r["received"]),
                "share": _share(int(r["received"]), total.received),
            }
            for r in channel_rows
        ),
        key=lambda c: (-c["received"], c["channel"]),
    )

    cat_now = {
        k: m.received
        for k, m in summed_by(
            await store.measures_by(conn, p.start, p.end, ["category_code"], source),
            "category_code",
        ).items()
    }
    cat_prev = {
        k: m.received
        for k, m in summed_by(
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
    by_unit = summed_by(
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

    # Where the period's evaluations came from: the citizen's SMS reply, a seat's call,
    # or none yet (issue 21): the satisfaction rate rests on the first two.
    evaluations = await reply_store.evaluation_sources(
        conn, datetime.combine(p.start, time(), SHANGHAI), datetime.combine(p.end, time(), SHANGHAI)
    )

    return {
        "kind": p.kind.value,
        "key": p.key,
        "label": p.label,
        "title": report_title(p),
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
        "evaluations": evaluations,
        "trend": trend,
        "channels": channels,
        "categories": categories,
        "rising_categories": rising,
        "hot_words": await hot_words(conn, p, prev, source),
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
                    "number": r.get("number") or str(r["order_id"]),
                    "first_id": str(r["first_id"]),
                    "first_number": r.get("first_number") or str(r["first_id"]),
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
