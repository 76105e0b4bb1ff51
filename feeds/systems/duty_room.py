"""市政府总值班室 — The city government duty room: duty information and incident reports.

The payload is modelled on a government duty-information (值班信息报送) system push (pinyin
field names; 事件级别 一般/较大/重大/特别重大 as in China's emergency plans); it is not a
vendor specification::

    {"xxbh": "...", "bt": "标题", "nr": "正文", "bsdw": "报送单位", "bsr": "...",
     "bssj": "2026-11-27 07:40:00", "sjjb": "较大", "dd": "...", "jd": 103.55,
     "wd": 29.41, "xzqh": "511111", "ldps": "领导批示"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.payload import as_mapping, choice, opt_point, opt_text, text, time_field
from feeds.simkit import FLOOD_PLACES, PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="duty_room",
    name_zh="市政府总值班室",
    name_en="City government duty room",
    owner="市人民政府办公室",
    mode="push",
    interval_s=86400,
    datum="wgs84",
    source_kind="workflow",
)

#: A duty report of a government office: its text, level and office. Not the name of the
#: clerk who filed it.
PUBLIC_VALUES: PublicValues = {
    "duty.report": frozenset(
        {"text", "reported_by", "level", "leader_instruction", "adcode", "address"}
    ),
}

LEVELS = {
    "信息": Severity.minor,
    "一般": Severity.moderate,
    "较大": Severity.severe,
    "重大": Severity.extreme,
    "特别重大": Severity.extreme,
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A duty report → a ``duty.report`` event for the ticker and the incidents layer.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = normalize({"xxbh": "Z1", "bt": "沙湾区山洪", "nr": "...", "bsdw": "沙湾区政府",
    ...     "bssj": "2026-11-27 07:40:00", "sjjb": "较大"}, received_at=datetime.now(timezone.utc))
    >>> e[0].severity.value
    'severe'
    """
    data = as_mapping(payload)
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=text(data, "xxbh"),
            kind="duty.report",
            occurred_at=time_field(data, "bssj"),
            layer=Layer.incidents,
            severity=choice(data, "sjjb", LEVELS) if data.get("sjjb") else Severity.minor,
            location=opt_point(data, "jd", "wd", DESCRIPTOR.datum),
            title=text(data, "bt"),
            values={
                "text": text(data, "nr"),
                "reported_by": text(data, "bsdw"),
                "reporter": opt_text(data, "bsr"),
                "level": opt_text(data, "sjjb"),
                "leader_instruction": opt_text(data, "ldps"),
                "adcode": opt_text(data, "xzqh"),
                "address": opt_text(data, "dd"),
            },
        )
    ]


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A duty report; in a flood, county reports of rising water and evacuations."""
    if ctx.scenario == "flood":
        p = ctx.place(FLOOD_PLACES)
        title, body, level = (
            f"{p.county}强降雨致部分村组受灾",
            "受强降雨影响，部分村道中断，已转移群众120人，无人员伤亡。",
            "较大",
        )
    else:
        p = ctx.place(PLACES)
        title, body, level = (
            f"{p.county}值班情况报告",
            "今日辖区总体平稳，无重大突发事件。",
            "信息",
        )
    lon, lat = ctx.near(p, 1000)
    return [
        {
            "xxbh": ctx.ident("ZB"),
            "bt": title,
            "nr": body,
            "bsdw": f"{p.county}人民政府办公室",
            "bsr": ctx.person(),
            "bssj": ctx.local(600),
            "sjjb": level,
            "dd": p.name,
            "jd": lon,
            "wd": lat,
            "xzqh": p.adcode,
        }
    ]
