"""气象预警 — Weather warnings from the meteorological service, as CAP 1.2 XML.

China's national early-warning release system (国家突发事件预警信息发布系统) distributes
warnings as CAP 1.2; the messages here follow the OASIS standard exactly (parsed by
``feeds.cap``). Sender naming, identifiers and the Chinese wording of the simulated warnings
are modelled on 乐山市气象台 practice, not taken from a vendor specification.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from feeds.base import FeedDescriptor, Normalized, PayloadError, PublicValues
from feeds.cap import CAP_PUBLIC_VALUES, alert_events, parse_cap
from feeds.payload import SHANGHAI
from feeds.simkit import SimContext

DESCRIPTOR = FeedDescriptor(
    system="weather_cap",
    name_zh="气象预警",
    name_en="Weather warnings (CAP)",
    owner="乐山市气象局",
    mode="push",
    interval_s=86400,
    datum="wgs84",
    source_kind="warning",
)

#: A CAP warning is published to the public by its sender (see ``feeds.cap``).
PUBLIC_VALUES: PublicValues = {"cap.alert": CAP_PUBLIC_VALUES}

SENDER = "lsqxt@sc.cma.gov.cn"
# lat,lon pairs (CAP order) around 沙湾区, 峨边彝族自治县 and 金口河区
FLOOD_POLYGON = (
    "29.52,103.50 29.45,103.72 29.28,103.70 29.05,103.42 29.02,103.05 "
    "29.20,102.92 29.38,103.02 29.52,103.50"
)
FLOOD_ADCODES = ("511111", "511132", "511113")


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """A CAP message → ``cap.alert`` warning-layer events (see ``feeds.cap.alert_events``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> xml = build_warning("X1", datetime(2026, 11, 27, 6, tzinfo=timezone.utc), "Alert")
    >>> normalize(xml, received_at=datetime.now(timezone.utc))[0].severity.value
    'extreme'
    """
    if isinstance(payload, dict):
        raise PayloadError("body", "CAP arrives as XML, not JSON")
    return list(alert_events(parse_cap(payload), DESCRIPTOR.system))


def _ts(t: datetime) -> str:
    return t.astimezone(SHANGHAI).isoformat(timespec="seconds")


def build_warning(
    identifier: str,
    sent: datetime,
    msg_type: str,
    *,
    references: str | None = None,
    level: str = "红色",
) -> bytes:
    """A 暴雨预警 CAP message over 沙湾/峨边/金口河, in zh-CN and en-US."""
    sev = {"红色": "Extreme", "橙色": "Severe", "黄色": "Moderate", "蓝色": "Minor"}[level]
    en = {"红色": "Red", "橙色": "Orange", "黄色": "Yellow", "蓝色": "Blue"}[level]
    refs = f"\n  <references>{references}</references>" if references else ""
    geo = "".join(
        f"<geocode><valueName>adcode</valueName><value>{c}</value></geocode>" for c in FLOOD_ADCODES
    )
    expires = _ts(sent + timedelta(hours=12))

    def info(lang: str, event: str, headline: str, desc: str, instr: str, area: str) -> str:
        observatory = "乐山市气象台" if lang == "zh-CN" else "Leshan Meteorological Observatory"
        return f"""
  <info>
    <language>{lang}</language><category>Met</category><event>{event}</event>
    <responseType>Prepare</responseType><urgency>Immediate</urgency><severity>{sev}</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>CMA_EC</valueName><value>11B03</value></eventCode>
    <effective>{_ts(sent)}</effective><expires>{expires}</expires>
    <senderName>{observatory}</senderName>
    <headline>{headline}</headline><description>{desc}</description><instruction>{instr}</instruction>
    <area><areaDesc>{area}</areaDesc><polygon>{FLOOD_POLYGON}</polygon>{geo}</area>
  </info>"""

    body = info(
        "zh-CN",
        "暴雨",
        f"乐山市气象台发布暴雨{level}预警信号",
        f"乐山市气象台{sent.astimezone(SHANGHAI):%d日%H时%M分}发布暴雨{level}预警信号：预计未来3小时"
        "沙湾区、峨边彝族自治县、金口河区降雨量将达100毫米以上，局地伴有雷电、短时强降水。",
        "政府及相关部门按照职责做好防暴雨应急和抢险工作；停止集会、停课、停业；"
        "做好山洪、滑坡、泥石流等灾害的防御工作。",
        "沙湾区、峨边彝族自治县、金口河区",
    )
    body += info(
        "en-US",
        "Rainstorm",
        f"Rainstorm {en} Warning issued by Leshan Meteorological Observatory",
        "More than 100 mm of rain expected within 3 hours over Shawan, Ebian and Jinkouhe.",
        "Suspend outdoor activities; guard against flash floods and landslides.",
        "Shawan District, Ebian Yi Autonomous County, Jinkouhe District",
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>{SENDER}</sender>
  <sent>{_ts(sent)}</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}{body}
</alert>
""".encode()


def simulate(ctx: SimContext) -> list[bytes]:
    """Flood: the red warning first, then Updates referencing it. Otherwise a yellow warning."""
    if ctx.scenario != "flood":
        return [build_warning(f"51110041600000_{ctx.ident('')}", ctx.at, "Alert", level="黄色")]
    first_id = f"51110041600000_{ctx.started_at.astimezone(SHANGHAI):%Y%m%d%H%M%S}"
    if ctx.seq == 0:
        return [build_warning(first_id, ctx.started_at, "Alert")]
    ref = f"{SENDER},{first_id},{_ts(ctx.started_at)}"
    return [build_warning(f"{first_id}_U{ctx.seq}", ctx.at, "Update", references=ref)]
