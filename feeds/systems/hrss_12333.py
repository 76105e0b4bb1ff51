"""人社12333 — Human resources and social security hotline 12333.

The payload is modelled on a 12333 consultation-system work-order push (pinyin field names);
it is not a vendor specification::

    {"gdh": "...", "ywlx": "欠薪|社保|就业", "sqlx": "投诉|咨询|求助", "nr": "...",
     "xm": "...", "dh": "...", "dw": "用人单位", "dz": "...", "slsj": "2026-11-27 09:10:00",
     "sqrs": 12}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PublicValues
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, choice, number, opt_text, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="hrss_12333",
    name_zh="人社12333",
    name_en="Human resources and social security 12333",
    owner="市人力资源和社会保障局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}

BUSINESS = {"欠薪": "social.wages", "社保": "social.pension", "就业": "social.employment"}
# 10 or more workers owed wages together is treated as urgent (群体性欠薪, a stability risk).
GROUP_WAGE_CLAIM = 10


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12333 work order → an order draft; a group wage claim is urgent.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"gdh": "1", "ywlx": "欠薪", "sqlx": "投诉", "nr": "拖欠工资", "dz": "沙湾区",
    ...     "slsj": "2026-11-27 09:00:00", "sqrs": 15}, received_at=datetime.now(timezone.utc))
    >>> d[0].urgency
    'urgent'
    """
    data = as_mapping(payload)
    code = choice(data, "ywlx", BUSINESS)
    people = int(number(data, "sqrs", 1, lo=1, hi=100000))
    employer = opt_text(data, "dw")
    desc = "【12333转】" + (f"{employer}，" if employer else "") + text(data, "nr")
    if people > 1:
        desc += f"（涉及{people}人）"
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "gdh"),
            rtype=request_type(text(data, "sqlx"), "sqlx"),
            code=code,
            urgency="urgent"
            if code == "social.wages" and people >= GROUP_WAGE_CLAIM
            else "general",
            description=desc,
            received_at=time_field(data, "slsj"),
            address=text(data, "dz"),
            name=opt_text(data, "xm"),
            phone=opt_text(data, "dh"),
        )
    ]


CASES = (
    ("欠薪", "投诉", "某建筑劳务公司", "项目完工三个月，工资一直拖着不发", 14),
    ("社保", "咨询", None, "异地社保怎么转移到乐山，需要什么材料", 1),
    ("就业", "求助", None, "大学毕业回乐山，想了解就业见习补贴怎么申请", 1),
    ("欠薪", "投诉", "某餐饮店", "离职后最后一个月工资不给结算", 1),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A 12333 request."""
    ywlx, sqlx, employer, body, n = ctx.rng.choice(CASES)
    p = ctx.place(PLACES)
    out: dict[str, Any] = {
        "gdh": ctx.ident("12333-"),
        "ywlx": ywlx,
        "sqlx": sqlx,
        "nr": body,
        "xm": ctx.person(),
        "dh": ctx.phone(),
        "dz": p.name,
        "slsj": ctx.local(200),
        "sqrs": n,
    }
    if employer:
        out["dw"] = employer
    return [out]
