"""文旅投诉12301 — Tourism complaints transferred from the national 12301 platform.

The payload is modelled on a provincial 12301 work-order push (pinyin field names); it is not
a vendor specification::

    {"tsbh": "12301-5111-20261127-0042", "tslx": "投诉", "tsr": "...", "lxdh": "...",
     "tssj": "2026-11-27 14:05:00", "jqmc": "峨眉山景区", "jqdm": "ESJQ", "tsdx": "...",
     "tsnr": "...", "jd": 103.44, "wd": 29.58, "xzqh": "511181", "sfjj": 0}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PublicValues
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, number, opt_point, opt_text, text, time_field
from feeds.simkit import SCENIC_PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="tourism_12301",
    name_zh="文旅投诉12301",
    name_en="Tourism complaints 12301",
    owner="市文化广播电视和旅游局",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: No live-layer events: a citizen's request here becomes an order draft and nothing else.
PUBLIC_VALUES: PublicValues = {}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12301 complaint → an order draft (tourism.complaint, or tourism.scenic for others).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = normalize({"tsbh": "1", "tslx": "投诉", "tssj": "2026-11-27 14:05:00",
    ...     "jqmc": "乐山大佛景区", "tsnr": "排队三小时"}, received_at=datetime.now(timezone.utc))
    >>> d[0].category.code
    'tourism.complaint'
    """
    data = as_mapping(payload)
    rtype = request_type(text(data, "tslx"), "tslx")
    scenic = text(data, "jqmc")
    target = opt_text(data, "tsdx")
    body = text(data, "tsnr")
    code = "tourism.complaint" if rtype == "complaint" else "tourism.scenic"
    urgent = number(data, "sfjj", 0, lo=0, hi=1) == 1
    return [
        hotline_draft(
            DESCRIPTOR,
            source_id=text(data, "tsbh"),
            rtype=rtype,
            code=code,
            urgency="urgent" if urgent else "general",
            description=f"【12301转】{scenic}"
            + (f"（被投诉方：{target}）" if target else "")
            + f"：{body}",
            received_at=time_field(data, "tssj"),
            location=opt_point(data, "jd", "wd", DESCRIPTOR.datum),
            address=scenic,
            name=opt_text(data, "tsr"),
            phone=opt_text(data, "lxdh"),
            extra={"scenic": scenic, "adcode": opt_text(data, "xzqh")},
        )
    ]


COMPLAINTS = (
    ("乐山大佛景区", "游船码头", "排队超过三个小时，现场无人疏导，老人小孩站不住"),
    ("峨眉山金顶", "金顶索道", "索道停运未提前告知，购票后不给退款"),
    ("峨眉山报国寺", "景区周边停车场", "停车场临时涨价到每小时30元，未公示"),
    ("乐山大佛景区", "某旅行社", "导游强制购物，不进店就甩客"),
    ("峨眉山金顶", "雷洞坪换乘中心", "观光车排队两小时，工作人员态度恶劣"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A tourism complaint at one of the two big scenic areas."""
    scenic, target, body = ctx.rng.choice(COMPLAINTS)
    p = next(p for p in SCENIC_PLACES if scenic[:3] in p.name)
    lon, lat = ctx.near(p, 500)
    return [
        {
            "tsbh": f"12301-5111-{ctx.ident('')}",
            "tslx": ctx.rng.choice(["投诉", "投诉", "咨询"]),
            "tsr": ctx.person(),
            "lxdh": ctx.phone(),
            "tssj": ctx.local(60),
            "jqmc": scenic,
            "tsdx": target,
            "tsnr": body,
            "jd": lon,
            "wd": lat,
            "xzqh": p.adcode,
            "sfjj": 0,
        }
    ]
