"""The names mode policies speak in: the three modes, the kinds of emergency and the feed
conditions that may suggest a switch.

Examples
--------
>>> ModeName("holiday").value, EmergencyType.flood.value
('holiday', 'flood')
"""

from __future__ import annotations

from enum import StrEnum


class ModeName(StrEnum):
    """The three dispatch modes (常规、假日、应急)."""

    normal = "normal"
    holiday = "holiday"
    emergency = "emergency"


class EmergencyType(StrEnum):
    """What kind of emergency a declaration is."""

    flood = "flood"  # 防汛
    geohazard = "geohazard"  # 地质灾害
    public_health = "public_health"  # 公共卫生
    major_accident = "major_accident"  # 重大事故
    other = "other"


class TriggerKind(StrEnum):
    """Feed conditions that may suggest a switch (see :mod:`modes.triggers`)."""

    cap_alert = "cap_alert"
    river_gauge = "river_gauge"
    scenic_capacity = "scenic_capacity"
