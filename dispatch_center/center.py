"""The running center: settings, database, bus and the reference data held in memory.

One :class:`Center` per process, built by the app factory and closed on shutdown.
Reference data (calendar, time limits, units, categories) is read at start-up and
reloaded after an admin changes it, because every order creation needs it.

Per-process state of a sub-domain (the running intake, the wall's live hub) is a typed
runtime object held in :attr:`Center.runtimes`, looked up by its class, so this module
imports no service package and nothing keeps state in module-level dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dispatch_center.bus.base import Bus, BusError
from dispatch_center.core.calendar import TIME_ZONE, CalendarDay, DayKind, WorkingCalendar
from dispatch_center.core.deadlines import Duration, LimitUnit, TimeLimit, Urgency
from dispatch_center.core.visibility import UnitTree
from dispatch_center.errors import Unavailable
from dispatch_center.geography.model import Geography
from dispatch_center.settings import Settings
from dispatch_center.store import reference
from dispatch_center.store.changes import Change
from dispatch_center.store.database import Database, database_away
from modes.state import ModeState

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "changes"

#: Seconds a client is asked to wait (``Retry-After``) while a dependency is away.
RETRY_AFTER_S = 5


def unavailable(exc: BaseException) -> str | None:
    """Which dependency an error says is away (``"database"`` or ``"bus"``), or None when
    it is not a dependency's failure (a bug, a bad payload, a statement refused).

    Examples
    --------
    >>> import psycopg
    >>> unavailable(psycopg.OperationalError("server closed the connection unexpectedly"))
    'database'
    >>> unavailable(BusError("Redis PUBLISH failed")), unavailable(ValueError("bad")) is None
    ('bus', True)
    """
    if database_away(exc):
        return "database"
    if isinstance(exc, BusError):
        return "bus"
    return None


R = TypeVar("R")


class Runtimes:
    """The running parts of one process's sub-domains, one object per class.

    A sub-domain starts its runtime (the intake's consumers and layers, the wall's hub),
    attaches it here, and finds it again by its class, typed, wherever it has the center.

    Examples
    --------
    >>> class Hub:
    ...     pass
    >>> rt = Runtimes()
    >>> hub = rt.attach(Hub())
    >>> rt.get(Hub) is hub, rt.find(int)
    (True, None)
    >>> rt.get(int)
    Traceback (most recent call last):
    ...
    dispatch_center.errors.Unavailable: int is not running in this process
    """

    def __init__(self) -> None:
        self._running: dict[type, object] = {}

    def attach(self, runtime: R) -> R:
        """Hold ``runtime`` as the one of its class; return it."""
        self._running[type(runtime)] = runtime
        return runtime

    def detach(self, kind: type[R]) -> R | None:
        """Stop holding the runtime of class ``kind``; return it (None if none)."""
        got = self._running.pop(kind, None)
        return got if isinstance(got, kind) else None

    def find(self, kind: type[R]) -> R | None:
        """The runtime of class ``kind``, or None when it is not running here."""
        got = self._running.get(kind)
        return got if isinstance(got, kind) else None

    def get(self, kind: type[R]) -> R:
        """The runtime of class ``kind``; 503 (:class:`Unavailable`) when not running."""
        got = self.find(kind)
        if got is None:
            raise Unavailable(f"{kind.__name__} is not running in this process")
        return got

    def __iter__(self) -> Iterator[object]:
        return iter(list(self._running.values()))


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
        return self.unit_tree.chain(code)

    @cached_property
    def unit_tree(self) -> UnitTree:
        """The units by parent (who may read what follows it: :mod:`~dispatch_center.core.
        visibility`). Built once per load: a reload makes a new :class:`ReferenceData`.
        """
        return UnitTree({code: u.get("parent_code") for code, u in self.units.items()})


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
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(ZoneInfo(TIME_ZONE)))
    # Policies and declarations of the dispatch modes, swapped whole on every change
    # (dispatch_center.modeswitch.state keeps it current in each worker).
    modes: ModeState = field(default_factory=ModeState)
    runtimes: Runtimes = field(default_factory=Runtimes)

    @property
    def mode(self) -> str:
        """The mode in force city-wide (for orders with no county) now."""
        return self.modes.active(None, self.now()).mode.value

    def now(self) -> datetime:
        """The current time in Beijing time (:data:`~dispatch_center.core.calendar.TIME_ZONE`)."""
        return self.clock()

    def today(self) -> date:
        """Today's date in Beijing time."""
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


async def publish_changes(
    center: Center, committed: Iterable[Change | Mapping[str, Any] | None]
) -> None:
    """Wake the change log's readers after a commit; the log stays the truth.

    ``committed`` holds what the writes returned: a :class:`~dispatch_center.store.changes.
    Change`, or a row of a change-writing statement (``seq``, ``change_kind``,
    ``change_entity``); ``None``, a write that changed nothing, is skipped. A failed
    publish is only logged: the change is committed, and readers resync from the log.

    Examples
    --------
    ``await publish_changes(center, [row, await changes.append_change(conn, ...)])``
    """
    for item in committed:
        if item is None:
            continue
        change = item if isinstance(item, Change) else Change.of(item)
        try:
            await center.bus.publish(
                CHANGES_CHANNEL, {"seq": change.seq, "kind": change.kind, "id": change.entity_id}
            )
        except Exception as exc:
            log.warning("publish of seq %s failed: %s", change.seq, exc)
