"""Who may switch which mode (谁有权切换调度模式).

The flood-control HQ (市防汛抗旱指挥部) declares and ends flood, geohazard and other
emergencies; the holiday-tourism HQ (市假日旅游指挥部) holiday mode; an admin anything.
Public-health and major-accident emergencies are declared by the city government, so
only an admin (acting for it) may record them here. Everyone else may only watch.
"""

from __future__ import annotations

from collections.abc import Mapping

from dispatch_center.core.roles import Role
from modes.policy import EmergencyType, ModeName
from modes.scope import Declaration

# (mode, emergency type) pairs each headquarters role may declare and end.
_GRANTS: Mapping[Role, frozenset[tuple[ModeName, EmergencyType | None]]] = {
    Role.flood_hq: frozenset(
        (ModeName.emergency, t)
        for t in (EmergencyType.flood, EmergencyType.geohazard, EmergencyType.other)
    ),
    Role.holiday_hq: frozenset({(ModeName.holiday, None)}),
}

SWITCHING_ROLES: frozenset[Role] = frozenset({Role.admin, *_GRANTS})


class NotAllowed(PermissionError):
    """The role may not make this switch (HTTP 403)."""


def may_declare(role: Role, mode: ModeName, emergency_type: EmergencyType | None = None) -> bool:
    """Whether ``role`` may declare (or end) ``mode`` of ``emergency_type``.

    Examples
    --------
    >>> may_declare(Role.flood_hq, ModeName.emergency, EmergencyType.flood)
    True
    >>> may_declare(Role.flood_hq, ModeName.emergency, EmergencyType.public_health)
    False
    >>> may_declare(Role.holiday_hq, ModeName.holiday)
    True
    >>> may_declare(Role.dispatcher, ModeName.holiday)
    False
    """
    if role is Role.admin:
        return True
    if mode is ModeName.normal:
        # Switching back to normal ends declarations; which ones is decided per declaration.
        return role in SWITCHING_ROLES
    return (mode, emergency_type if mode is ModeName.emergency else None) in _GRANTS.get(role, ())


def may_end(role: Role, declaration: Declaration) -> bool:
    """Whether ``role`` may end ``declaration`` (the same right as declaring it).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 27, tzinfo=timezone.utc)
    >>> d = Declaration(1, ModeName.holiday, None, None, t, None, "holiday_hq", "r")
    >>> may_end(Role.holiday_hq, d), may_end(Role.flood_hq, d)
    (True, False)
    """
    return may_declare(role, declaration.mode, declaration.emergency_type)


def check_declare(role: Role, mode: ModeName, emergency_type: EmergencyType | None = None) -> None:
    """Raise :class:`NotAllowed` unless ``role`` may make this switch.

    Examples
    --------
    >>> check_declare(Role.leader, ModeName.emergency, EmergencyType.flood)
    Traceback (most recent call last):
    ...
    modes.authority.NotAllowed: role 'leader' may not switch to emergency (flood)
    """
    if not may_declare(role, mode, emergency_type):
        what = mode.value + (f" ({emergency_type.value})" if emergency_type else "")
        raise NotAllowed(f"role {role.value!r} may not switch to {what}")
