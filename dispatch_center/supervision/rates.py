"""Response, resolution, satisfaction, on-time, return and reopen rates per unit (评)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import supervision as sv
from dispatch_center.errors import Forbidden, Invalid
from dispatch_center.store.supervision import rates as rate_store
from dispatch_center.supervision.common import Row, aware, iso


def _subtree(center: Center, unit: str) -> list[str]:
    ref = center.reference
    if unit not in ref.units:
        raise Invalid(f"unknown unit {unit!r}", fields={"unit": "not a known unit"})
    return [code for code in ref.units if unit in ref.unit_chain(code)]


async def rates(
    center: Center, who: Principal, unit: str | None, start: datetime | None, end: datetime | None
) -> Row:
    """Response, resolution, satisfaction, on-time, return and reopen rates per unit over
    orders received in [start, end) (default: the last 30 days).
    """
    scope = reading_scope(center, who)
    if not scope.city_wide:
        unit = unit or who.unit_code
        if unit is None or not scope.sees_unit(unit):
            raise Forbidden("a handler sees its own units' rates")
    end = aware(end, "to") or center.now()
    start = aware(start, "from") or end - timedelta(days=30)
    if start >= end:
        raise Invalid("from must be before to", fields={"from": "not before to"})
    units = _subtree(center, unit) if unit else None
    async with center.db.connection() as conn:
        rows = await rate_store.rate_rows(conn, units, start, end)
    facts = [
        sv.RateRow(
            unit=r["unit"],
            respond_by=r["respond_by"],
            reply_by=r["reply_by"],
            responded_at=r["responded_at"],
            replied_at=r["replied_at"],
            rating=r["rating"],
            returns=int(r["returns"]),
            reopens=int(r["reopens"]),
        )
        for r in rows
    ]
    names = center.reference.units
    per = [
        {**u.as_dict(), "name": (names.get(u.unit) or {}).get("name")}
        for u in sv.rates_by_unit(facts)
    ]
    # Overall, an order counts once (its lead's row); a co-handler's part counts for its unit.
    leads = [f for f, r in zip(facts, rows, strict=True) if not r.get("co")]
    total = sv.compute_rates(unit or "all", leads).as_dict()
    return {"unit": unit, "from": iso(start), "to": iso(end), "overall": total, "units": per}
