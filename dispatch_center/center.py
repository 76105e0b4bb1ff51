"""The running center: settings, database, bus and the reference data held in memory.

One :class:`Center` per process, built by the app factory and closed on shutdown.
Reference data (calendar, time limits, units, categories) is read at start-up and
reloaded after an admin changes it, because every order creation needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch_center.bus.base import Bus
from dispatch_center.core.calendar import CalendarDay, DayKind, WorkingCalendar
from dispatch_center.core.deadlines import Duration, LimitUnit, TimeLimit, Urgency
from dispatch_center.geography.model import Geography
from dispatch_center.settings import Settings
from dispatch_center.store import reference
from dispatch_center.store.database import Database
from modes.state import ModeState

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "changes"


@dataclass
class ReferenceData:
    """Reference tables as the services use them."""

    calendar: WorkingCalendar
    time_limits: dict[tuple[str, str | None, str | None], TimeLimit]
    units: dict[str, dict[str, Any]]
    categories: dict[str, dict[str, Any]]

    def time_limit(self, urgency: str, category: str | None, mode: str) -> TimeLimit:
        """The most specific limit: category+mode, category, mode, then urgency alone."""
        for key in ((urgency, category, mode), (urgency, category, None), (urgency, None, mode)):
            if key in self.time_limits:
                return self.time_limits[key]
        return self.time_limits[(urgency, None, None)]

    def unit_chain(self, code: str | None) -> list[str]:
        """``code`` and its ancestors up to the city, nearest first."""
        chain: list[str] = []
        while code and code not in chain:
            chain.append(code)
            code = (self.units.get(code) or {}).get("parent_code")
        return chain


@dataclass
class Center:
    """Everything a request handler needs, for one process."""

    settings: Settings
    db: Database
    bus: Bus
    storage_path: str
    secret_key: str
    geography: Geography
    ref: ReferenceData | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(ZoneInfo("Asia/Shanghai")))
    # Policies and declarations of the dispatch modes, swapped whole on every change
    # (dispatch_center.modeswitch.service keeps it current in each worker).
    modes: ModeState = field(default_factory=ModeState)

    @property
    def mode(self) -> str:
        """The mode in force city-wide (for orders with no county) now."""
        return self.modes.active(None, self.now()).mode.value

    def now(self) -> datetime:
        """The current time in Asia/Shanghai."""
        return self.clock()

    def today(self) -> date:
        """Today's date in Asia/Shanghai."""
        return self.now().date()

    @property
    def reference(self) -> ReferenceData:
        """Loaded reference data (start-up guarantees it)."""
        assert self.ref is not None, "reference data not loaded"
        return self.ref

    async def reload_reference(self) -> ReferenceData:
        """Read the reference tables into memory."""
        async with self.db.connection() as conn:
            days, years = await reference.calendar_rows(conn)
            limits = await reference.time_limit_rows(conn)
            units = await reference.list_units(conn)
            cats = await reference.list_taxonomy(conn)
        calendar = WorkingCalendar(
            [CalendarDay(r["day"], DayKind(r["kind"]), r["name"]) for r in days], years
        )
        table = {
            (r["urgency"], r["category_code"], r["mode"]): TimeLimit(
                Urgency(r["urgency"]),
                Duration(r["respond_value"], LimitUnit(r["respond_unit"])),
                Duration(r["reply_value"], LimitUnit(r["reply_unit"])),
            )
            for r in limits
        }
        self.ref = ReferenceData(
            calendar=calendar,
            time_limits=table,
            units={u["code"]: dict(u) for u in units},
            categories={c["code"]: dict(c) for c in cats},
        )
        return self.ref

    async def publish_change(self, row: dict[str, Any]) -> None:
        """Wake the subscribers after a commit; the change log stays the truth."""
        try:
            await self.bus.publish(
                CHANGES_CHANNEL,
                {"seq": row["seq"], "kind": row.get("kind", "order"), "id": str(row["id"])},
            )
        except Exception as exc:  # the change is committed; listeners resync from the log
            log.warning("publish of seq %s failed: %s", row.get("seq"), exc)
