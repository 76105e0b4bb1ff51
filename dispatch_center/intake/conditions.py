"""Feed conditions (a CAP warning, a river over its mark, a crowded scenic area) in the shape
the mode triggers read, and the wall's words for one that ended.

Pure: processing hands these to :mod:`dispatch_center.modeswitch`, which suggests a mode;
people decide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.rules import TriggerInput

# CAP 1.2 severity in the words Chinese warning bulletins use.
_SEVERITY_ZH = {"extreme": "特别严重", "severe": "严重", "moderate": "中等", "minor": "轻微"}


def condition_source(trig: TriggerInput) -> str:
    """The source a suggestion records for the condition behind ``trig``: a CAP chain's
    key as is, a gauge by its station (the mode triggers' ``river_gauge:<station>``).

    Examples
    --------
    >>> from feeds.base import Severity
    >>> condition_source(TriggerInput("gauge", "gauge:60705800", Severity.minor, (), {},
    ...     active=False))
    'river_gauge:60705800'
    >>> condition_source(TriggerInput("cap", "cap:s,A1", Severity.minor, (), {}, active=False))
    'cap:s,A1'
    """
    if trig.kind == "gauge":
        return "river_gauge:" + trig.key.split(":", 1)[-1]
    return trig.key


def ended_why(trig: TriggerInput) -> str:
    """Why an ended condition (a CAP warning, a river back under its mark) withdraws its
    suggestion, in the wall's words.

    Examples
    --------
    >>> from feeds.base import Severity
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.minor, (),
    ...     {"msg_type": "Cancel", "headline": "暴雨红色预警"}, active=False))
    '预警已解除：暴雨红色预警'
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.moderate, (),
    ...     {"msg_type": "Update", "headline": "暴雨黄色预警"}, active=False))
    '预警降为中等级，低于触发阈值：暴雨黄色预警'
    >>> ended_why(TriggerInput("cap", "cap:s,A1", Severity.extreme, (),
    ...     {"msg_type": "Alert", "headline": "暴雨红色预警", "expired": True}, active=False))
    '预警到达时已过期：暴雨红色预警'
    >>> ended_why(TriggerInput("gauge", "gauge:60705800", Severity.minor, (),
    ...     {"station": "大渡河沙湾站"}, active=False))
    '水位回落至警戒水位以下：大渡河沙湾站'
    """
    d = trig.detail
    if trig.kind == "gauge":
        return f"水位回落至警戒水位以下：{d.get('station') or trig.key}"
    what = str(d.get("headline") or d.get("event") or trig.key)
    if d.get("expired"):
        return f"预警到达时已过期：{what}"
    if d.get("msg_type") == "Update":
        level = _SEVERITY_ZH.get(str(trig.severity), str(trig.severity))
        return f"预警降为{level}级，低于触发阈值：{what}"
    return f"预警已解除：{what}"


def expired(trig: TriggerInput, now: datetime) -> bool:
    """Whether ``trig`` carries an ``expires`` time (with a UTC offset) that has passed.

    Examples
    --------
    >>> from datetime import timezone
    >>> from feeds.base import Severity
    >>> t = TriggerInput("cap", "cap:s,A1", Severity.severe, (),
    ...     {"expires": "2026-07-01T08:00:00+08:00"})
    >>> expired(t, datetime(2026, 7, 1, tzinfo=timezone.utc))
    True
    """
    raw = trig.detail.get("expires")
    if not raw:
        return False
    try:
        expires = datetime.fromisoformat(str(raw))
    except ValueError:
        return False
    return expires.tzinfo is not None and expires <= now


def trigger_event(trig: TriggerInput) -> dict[str, Any] | None:
    """A rules' :class:`TriggerInput` in the dict shape ``modes.submit_trigger`` reads.

    ``None`` for inputs the mode triggers have no form for (an ended condition, a gauge or
    crowd without a county).

    Examples
    --------
    >>> from feeds.base import Severity
    >>> t = TriggerInput("crowd", "crowd:emei", Severity.severe, ("511181",),
    ...     {"scenic_code": "emei", "scenic": "峨眉山", "count": 60000, "capacity": 50000})
    >>> trigger_event(t)["kind"], trigger_event(t)["count"]
    ('scenic_capacity', 60000)
    """
    d = trig.detail
    if not trig.active:
        return None
    county = trig.county_codes[0] if trig.county_codes else None
    if trig.kind == "cap":
        return {
            "kind": "cap_alert",
            "identifier": trig.key,
            "sender": str(d.get("sender") or ""),
            "event": str(d.get("event") or ""),
            "severity": str(trig.severity).capitalize(),
            "categories": list(d.get("categories") or ()),
            "counties": list(trig.county_codes),
            "headline": str(d.get("headline") or ""),
            "description": str(d.get("description") or ""),
            "area_desc": str(d.get("area_desc") or ""),
        }
    if county is None:
        return None
    if trig.kind == "gauge":
        return {
            "kind": "river_gauge",
            "station_id": str(d.get("station_code") or trig.key),
            "station_name": str(d.get("station") or d.get("station_code") or trig.key),
            "county": county,
            "level_m": float(d["level_m"]),
            "warning_level_m": float(d["warning_level_m"]),
            "guarantee_level_m": d.get("guarantee_level_m"),
        }
    return {
        "kind": "scenic_capacity",
        "area_id": str(d.get("scenic_code") or trig.key),
        "area_name": str(d.get("scenic") or d.get("scenic_code") or trig.key),
        "county": county,
        "count": int(d["count"]),
        "capacity": int(d["capacity"]),
    }
