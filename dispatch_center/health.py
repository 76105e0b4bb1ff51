"""Readiness of the center's dependencies."""

from __future__ import annotations

from typing import Any

from dispatch_center.center import Center


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
    hub = getattr(center, "wallboard_hub", None)
    if hub is not None:
        # The live hub is this worker's one bus listener: a dead one means stale walls.
        checks["wallboard_hub"] = hub.heartbeat()
        checks["wallboard"] = "ok" if checks["wallboard_hub"]["running"] else "down"
    down = [k for k in ("database", "bus", "wallboard") if checks.get(k) == "down"]
    return {"status": "ready" if not down else "unavailable", "down": down, "checks": checks}
