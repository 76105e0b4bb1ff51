"""信访 — Petitions (letters and visits) transferred to the hotline for handling.

The payload is modelled on a 信访信息系统 转送 record (pinyin field names); it is not a vendor
specification::

    {"xfjbh": "X5111002026112700031", "xfxs": "来信|来访|网上信访", "xfr": "...", "dh": "...",
     "nr": "...", "wtsd": "511111", "wtsdmc": "沙湾区", "wtlb": "城乡建设", "djsj": "...",
     "rs": 1, "sfcf": false}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PayloadError, PublicValues
from feeds.drafting import hotline_draft
from feeds.payload import as_mapping, number, opt_text, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="petitions",
    name_zh="信访",
    name_en="Petitions (letters and visits)",
    owner="市信访局",
    mode="push",
    interval_s=86400,
    datum="wgs84",
    source_kind="workflow",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}

FORMS = ("来信", "来访", "网上信访")
# 问题类别 (the petition system's own classes) → taxonomy code
CLASSES = {
    "城乡建设": "housing.property",
    "劳动社保": "social.wages",
    "农村农业": "agriculture.rural",
    "环境保护": "environment.air",
    "教育文体": "education.school",
    "卫生健康": "health.hospital",
    "政法": "police.public_order",
    "其他": "other",
}
# 5 or more petitioners together (集体访) is urgent by the hotline's rules.
COLLECTIVE = 5


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A petition record → a complaint order draft; collective or repeated petitions are urgent.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"xfjbh": "X1", "xfxs": "来信", "nr": "征地补偿未到位", "wtsdmc": "沙湾区",
    ...     "wtlb": "农村农业", "djsj": "2026-11-20"}, received_at=datetime.now(timezone.utc))
    >>> d[0].category.code
    'agriculture.rural'
    """
    data = as_mapping(payload)
    form = text(data, "xfxs")
    if form not in FORMS:
        raise PayloadError("xfxs", f"unknown petition form {form!r}; expected one of {FORMS}")
    people = int(number(data, "rs", 1, lo=1, hi=10000))
    repeated = bool(data.get("sfcf"))
    code = CLASSES.get(text(data, "wtlb", "其他"), "other")
    desc = f"【信访转办·{form}】{text(data, 'nr')}"
    if people > 1:
        desc += f"（{people}人）"
    if repeated:
        desc += "（重复信访）"
    place = opt_text(data, "wtsdmc")
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "xfjbh"),
            rtype="complaint",
            code=code,
            urgency="urgent" if people >= COLLECTIVE or repeated else "general",
            description=desc,
            received_at=time_field(data, "djsj"),
            address=f"乐山市{place}" if place else "乐山市",
            name=opt_text(data, "xfr"),
            phone=opt_text(data, "dh"),
            extra={"adcode": opt_text(data, "wtsd"), "form": form},
        )
    ]


CASES = (
    ("农村农业", "来信", "村里土地流转租金两年没有兑现", 1, False),
    ("城乡建设", "来访", "小区开发商承诺的配套幼儿园一直未交付", 6, False),
    ("劳动社保", "网上信访", "反映多次的工伤认定仍无结果", 1, True),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A petition transferred for handling."""
    wtlb, form, body, people, repeated = ctx.rng.choice(CASES)
    p = ctx.place(PLACES)
    return [
        {
            "xfjbh": ctx.ident("X5111"),
            "xfxs": form,
            "xfr": ctx.person(),
            "dh": ctx.phone(),
            "nr": body,
            "wtsd": p.adcode,
            "wtsdmc": p.county,
            "wtlb": wtlb,
            "djsj": ctx.local(3600),
            "rs": people,
            "sfcf": repeated,
        }
    ]
