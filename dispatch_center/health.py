"""Readiness of the center's dependencies and of this process's running parts."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from dispatch_center.center import Center


@runtime_checkable
class ReadinessProbe(Protocol):
    """A runtime object (see :class:`~dispatch_center.center.Runtimes`) that reports on
    ``/readyz``: its checks join the answer, and any check that says ``"down"`` makes the
    process unready.
    """

    def readiness_checks(self) -> dict[str, Any]:
        """Named checks: ``"ok"``/``"down"``, or details shown as they are."""


async def readiness(center: Center) -> dict[str, Any]:
    """What answers and what does not; ``status`` is ``ready`` only if all do."""
    db_ok = await center.db.ping()
    try:
        bus_ok = await center.bus.ping()
    except Exception:  # a bus that cannot even be asked is down
        bus_ok = False
    cal = center.reference.calendar if center.ref else None
    year = center.today().year
    checks: dict[str, Any] = {
        "database": "ok" if db_ok else "down",
        "bus": "ok" if bus_ok else "down",
        "storage": center.storage_path,
        "bus_heartbeat": center.bus.heartbeat(),
    }
    if cal is not None:
        # Deadlines in an uncovered year count Mon-Fri only; the operators must know.
        checks["calendar"] = {
            "current_year_covered": cal.covers(year),
            "next_year_covered": cal.covers(year + 1),
            "provisional_deadlines": not cal.covers(year) or not cal.covers(year + 1),
        }
    for runtime in center.runtimes:
        if isinstance(runtime, ReadinessProbe):
            checks.update(runtime.readiness_checks())
    down = [k for k, v in checks.items() if v == "down"]
    return {"status": "ready" if not down else "unavailable", "down": down, "checks": checks}
