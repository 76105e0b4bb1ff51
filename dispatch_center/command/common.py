"""What the command console's parts share: times on the wire, timeline entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.roles import Role
from dispatch_center.store.orders import TimelineEntry

Row = dict[str, Any]

#: Who runs the console: sends teams, opens and closes incidents.
COMMANDERS = frozenset({Role.admin, Role.flood_hq, Role.holiday_hq})
#: Who reads the console (a leader follows, and does not command).
COMMAND_READERS = COMMANDERS | {Role.leader, Role.duty_officer, Role.dispatcher}


def iso(value: datetime | None) -> str | None:
    """A time on the wire: ISO 8601 in Shanghai time (``None`` stays ``None``).

    Examples
    --------
    >>> from datetime import UTC
    >>> iso(datetime(2026, 7, 12, 0, 0, tzinfo=UTC))
    '2026-07-12T08:00:00+08:00'
    """
    return to_shanghai(value).isoformat() if value is not None else None


def entry(
    who: Principal | str, action: str, at: datetime, note: str | None, data: Mapping[str, Any]
) -> TimelineEntry:
    """A command entry on an order's timeline, by a person or (a string) a system.

    Examples
    --------
    >>> from datetime import UTC
    >>> entry("tracking", "team.arrived", datetime(2026, 7, 12, tzinfo=UTC), None, {}).role
    'system'
    """
    if isinstance(who, Principal):
        return TimelineEntry(who.username, who.role.value, action, at, note=note, data=data)
    return TimelineEntry(who, "system", action, at, note=note, data=data)
