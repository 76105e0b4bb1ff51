"""The quarterly ranking (人民群众最满意区县、部门) of counties and departments: the list,
its weights, and the view that opens the follow-ups of its bottom once a quarter closes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch_center.core.analysis.periods import Period, parse_quarter
from dispatch_center.core.analysis.ranking import RankingWeights, rank_units
from dispatch_center.errors import Invalid
from dispatch_center.reporting.followups import followup_view
from dispatch_center.reporting.measures import with_pending
from dispatch_center.reporting.rollups import catch_up
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn, Source


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
    by = await with_pending(conn, quarter, as_of, key, source)
    entries = [
        (code, str(units[code]["name"]), m)
        for code, m in by.items()
        if code in units and units[code]["kind"] == kind
    ]
    ranked = rank_units(entries, weights, min_received=min_received, bottom_count=bottom_count)
    return [u.as_dict() for u in ranked]


async def ranking_view(
    center: Any, quarter: str, kind: str, weights: str | None = None
) -> dict[str, Any]:
    """The quarterly list with the follow-ups of its bottom; a closed quarter opens them.

    ``weights`` as :func:`parse_weights` reads them; ``None`` = the weights in force
    (``settings.ranking_weights``, ``DISPATCH_RANKING_WEIGHTS``), else the defaults.
    """
    try:
        q = parse_quarter(quarter)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"quarter": "like 2026Q3"}) from exc
    try:
        w = parse_weights(center.settings.ranking_weights if weights is None else weights)
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
        "followups": [followup_view(f) for f in follow],
    }
