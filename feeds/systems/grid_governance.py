"""社会治理网格/综治 — Social-governance grid: incidents reported by grid workers (网格员).

The payload is modelled on a 综治 grid-management platform's event push (pinyin field names);
it is not a vendor specification::

    {"sjbh": "...", "sjlx": "矛盾纠纷|安全隐患|环境卫生|治安问题|民生诉求", "ms": "...",
     "wgbm": "511102001003", "wgmc": "...", "sqmc": "...", "wgy": "...", "jd": 103.76,
     "wd": 29.55, "sbsj": "...", "xyld": 1, "jjcd": 1}

Grid incidents are a live layer; those the grid cannot settle (``xyld`` = 1, needs
departments) become order drafts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.drafting import hotline_draft
from feeds.payload import as_mapping, choice, number, opt_text, point, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="grid_governance",
    name_zh="社会治理网格/综治",
    name_en="Social governance grid",
    owner="市委政法委（市综治中心）",
    mode="push",
    interval_s=1800,
    datum="wgs84",
    source_kind="workflow",
)

#: What of a grid incident may leave the center: its type and grid. Not the grid worker's name.
PUBLIC_VALUES: PublicValues = {
    "grid.incident": frozenset({"type", "grid_code", "grid", "community", "address"}),
}

TYPES = {
    "矛盾纠纷": ("help", "other"),
    "安全隐患": ("report", "housing.construction"),
    "环境卫生": ("report", "urban.sanitation"),
    "治安问题": ("report", "police.public_order"),
    "民生诉求": ("help", "government.service"),
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A grid incident → a ``grid.incident`` event; one needing departments → also a draft.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> out = normalize({"sjbh": "G1", "sjlx": "矛盾纠纷", "ms": "邻里噪音纠纷", "wgmc": "1网格",
    ...     "jd": 103.76, "wd": 29.55, "sbsj": "2026-11-27 10:00:00"},
    ...     received_at=datetime.now(timezone.utc))
    >>> out[0].kind
    'grid.incident'
    """
    data = as_mapping(payload)
    sid = text(data, "sjbh")
    kind = text(data, "sjlx")
    rtype, code = choice(data, "sjlx", TYPES)
    grid = text(data, "wgmc")
    community = opt_text(data, "sqmc")
    desc = text(data, "ms")
    when = time_field(data, "sbsj")
    pt = point(data, "jd", "wd", DESCRIPTOR.datum)
    urgent = number(data, "jjcd", 0, lo=0, hi=1) == 1
    where = f"{community or ''}{grid}"
    out: Normalized = [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=sid,
            kind="grid.incident",
            occurred_at=when,
            layer=Layer.incidents,
            severity=Severity.moderate if urgent else Severity.minor,
            location=pt,
            title=f"{kind}：{where}",
            values={
                "type": kind,
                "grid_code": opt_text(data, "wgbm"),
                "grid": grid,
                "community": community,
                "worker": opt_text(data, "wgy"),
                "address": where,
            },
        )
    ]
    if number(data, "xyld", 0, lo=0, hi=1) == 1:
        out.append(
            hotline_draft(
                DESCRIPTOR,
                source_id=sid,
                rtype=rtype,
                code=code,
                urgency="urgent" if urgent else "general",
                description=f"【网格上报·{kind}】{desc}",
                received_at=when,
                location=pt,
                address=where,
            )
        )
    return out


CASES = (
    ("矛盾纠纷", "两户村民因宅基地边界发生争执，需司法所介入调解"),
    ("安全隐患", "老旧小区外墙瓷砖脱落，楼下为人行通道"),
    ("环境卫生", "沟渠内堆积生活垃圾，无人清运"),
    ("民生诉求", "独居老人家中停水三天，行动不便"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A grid worker's report."""
    kind, body = ctx.rng.choice(CASES)
    p = ctx.place(PLACES)
    lon, lat = ctx.near(p, 600)
    n = ctx.rng.randint(1, 30)
    return [
        {
            "sjbh": ctx.ident("WG"),
            "sjlx": kind,
            "ms": body,
            "wgbm": f"{p.adcode}001{n:03d}",
            "wgmc": f"第{n}网格",
            "sqmc": p.name.removeprefix(p.county),
            "wgy": ctx.person(),
            "jd": lon,
            "wd": lat,
            "sbsj": ctx.local(300),
            "xyld": int(ctx.rng.random() < 0.4),
            "jjcd": int(ctx.rng.random() < 0.1),
        }
    ]
