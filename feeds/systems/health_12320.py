"""卫健12320 — Health hotline 12320 and epidemic-prevention reports (疫情防控).

The payload is modelled on a 12320 platform push (pinyin field names); it is not a vendor
specification. ``lx`` is 咨询/投诉/求助/建议 for hotline work orders and 疫情报告 for a
public-health report (fever cluster, suspected food poisoning), which becomes both an
incident on the map and an urgent order::

    {"id": "...", "lx": "投诉", "nr": "...", "yljg": "医疗机构", "xm": "...", "dh": "...",
     "dz": "...", "sj": "2026-11-27 11:30:00", "bgrs": 0}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.drafting import hotline_draft, request_type
from feeds.payload import as_mapping, number, opt_text, text, time_field
from feeds.simkit import PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="health_12320",
    name_zh="卫健12320",
    name_en="Health 12320 and epidemic prevention",
    owner="市卫生健康委员会",
    mode="push",
    interval_s=3600,
    datum="wgs84",
    source_kind="hotline",
)

#: An epidemic report: the count and the place (a school, a workplace), never a patient.
PUBLIC_VALUES: PublicValues = {"health.report": frozenset({"cases", "address"})}

EPIDEMIC = "疫情报告"


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A 12320 request → an order draft; an epidemic report → an incident event and an urgent draft.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> out = normalize({"id": "1", "lx": "疫情报告", "nr": "发热聚集", "dz": "市中区某小学",
    ...     "sj": "2026-11-27 11:00:00", "bgrs": 9}, received_at=datetime.now(timezone.utc))
    >>> [type(x).__name__ for x in out]
    ['FeedEvent', 'OrderDraft']
    """
    data = as_mapping(payload)
    sid = text(data, "id")
    kind = text(data, "lx")
    when = time_field(data, "sj")
    where = text(data, "dz")
    body = text(data, "nr")
    out: Normalized = []
    if kind == EPIDEMIC:
        cases = int(number(data, "bgrs", 1, lo=1, hi=100000))
        out.append(
            FeedEvent(
                system=DESCRIPTOR.system,
                source_id=sid,
                kind="health.report",
                occurred_at=when,
                layer=Layer.incidents,
                severity=Severity.severe if cases >= 5 else Severity.moderate,
                title=f"{where}：{body}",
                values={"cases": cases, "address": where},
            )
        )
        rtype, code, urgency = "report", "health.epidemic", "urgent"
    else:
        rtype = request_type(kind, "lx")
        code, urgency = "health.hospital", "general"
        org = opt_text(data, "yljg")
        body = (f"{org}：" if org else "") + body
    out.append(
        hotline_draft(
            DESCRIPTOR,
            source_id=sid,
            rtype=rtype,
            code=code,
            urgency=urgency,
            description="【12320转】" + body,
            received_at=when,
            address=where,
            name=opt_text(data, "xm"),
            phone=opt_text(data, "dh"),
        )
    )
    return out


CASES = (
    ("投诉", "某医院", "急诊排队四个小时无人接诊"),
    ("咨询", None, "新生儿疫苗接种在哪里预约"),
    ("投诉", "某民营诊所", "诊所收费不开发票，药价明显偏高"),
)


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A 12320 request; now and then a school fever-cluster report."""
    p = ctx.place(PLACES)
    if ctx.rng.random() < 0.1:
        return [
            {
                "id": ctx.ident("12320-"),
                "lx": EPIDEMIC,
                "nr": "学校出现多名学生发热呕吐",
                "dz": f"{p.county}某小学",
                "sj": ctx.local(600),
                "bgrs": ctx.rng.randint(3, 12),
            }
        ]
    lx, org, body = ctx.rng.choice(CASES)
    out: dict[str, Any] = {
        "id": ctx.ident("12320-"),
        "lx": lx,
        "nr": body,
        "xm": ctx.person(),
        "dh": ctx.phone(),
        "dz": p.name,
        "sj": ctx.local(300),
    }
    if org:
        out["yljg"] = org
    return [out]
