"""市场监管12315 — Market-supervision complaints and reports from the 12315 platform.

The payload is modelled on a 12315 platform 诉求 push (pinyin field names); it is not a vendor
specification::

    {"djbh": "...", "sqlx": "投诉|举报|咨询", "sqnr": "...", "xm": "...", "dh": "...",
     "dz": "...", "bjdx": "被投诉对象", "wtlb": "食品|价格|消费", "djsj": "2026-11-27 10:02:11"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PublicValues
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, choice, opt_text, text, time_field
from feeds.simkit import SimContext

DESCRIPTOR = FeedDescriptor(
    system="market_12315",
    name_zh="市场监管12315",
    name_en="Market supervision 12315",
    owner="市市场监督管理局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}

CATEGORIES = {"食品": "market.food", "价格": "market.price", "消费": "market.consumer"}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12315 诉求 → an order draft in the market domain.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"djbh": "1", "sqlx": "举报", "sqnr": "过期食品", "dz": "市中区",
    ...     "wtlb": "食品", "djsj": "2026-11-27 10:00:00"}, received_at=datetime.now(timezone.utc))
    >>> (d[0].category.type, d[0].category.code)
    ('report', 'market.food')
    """
    data = as_mapping(payload)
    target = opt_text(data, "bjdx")
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "djbh"),
            rtype=request_type(text(data, "sqlx"), "sqlx"),
            code=choice(data, "wtlb", CATEGORIES),
            urgency="general",
            description="【12315转】" + (f"{target}：" if target else "") + text(data, "sqnr"),
            received_at=time_field(data, "djsj"),
            address=text(data, "dz"),
            name=opt_text(data, "xm"),
            phone=opt_text(data, "dh"),
        )
    ]


CASES = (
    ("食品", "投诉", "某火锅店", "在店内吃火锅后全家腹泻，店家拒绝承担责任"),
    ("食品", "举报", "某超市", "货架上销售过期酸奶，生产日期被覆盖重贴"),
    ("价格", "投诉", "某宾馆", "黄金周房价临时上涨三倍，与网上标价不符"),
    ("消费", "投诉", "某健身房", "办卡后健身房关门跑路，预付款无法退还"),
    ("价格", "举报", "某停车场", "景区停车场不按公示价格收费"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A market complaint; Golden Week brings price complaints near scenic areas."""
    pool = CASES[2:] if ctx.scenario == "golden-week" else CASES
    wtlb, sqlx, target, body = ctx.rng.choice(pool)
    p = ctx.place()
    return [
        {
            "djbh": ctx.ident("12315-"),
            "sqlx": sqlx,
            "sqnr": body,
            "xm": ctx.person(),
            "dh": ctx.phone(),
            "dz": f"{p.county}{p.name.removeprefix(p.county)}",
            "bjdx": target,
            "wtlb": wtlb,
            "djsj": ctx.local(120),
        }
    ]
