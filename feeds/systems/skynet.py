"""公安天网视频 — Police "Skynet" video: camera alarms and video-analytics events.

The payload format is modelled on typical Chinese video-platform (GB/T 28181 platform)
alarm pushes; it is not a vendor specification. One JSON object per alarm::

    {"alarmId": "...", "cameraCode": "51110200001320000123", "cameraName": "...",
     "alarmType": "LJDJ", "alarmTime": "2026-11-27 08:12:33", "longitude": 103.76,
     "latitude": 29.55, "confidence": 0.93, "picUrl": "...", "address": "..."}

``alarmType`` codes (pinyin initials): LJDJ 垃圾堆积, ZDJY 占道经营, DLJS 道路积水,
RQJJ 人群聚集, YHJC 烟火检测, SBLX 设备离线.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.base import FeedDescriptor, FeedEvent, Layer, Normalized, PublicValues, Severity
from feeds.payload import as_mapping, choice, number, opt_text, point, text, time_field
from feeds.simkit import FLOOD_PLACES, PLACES, SCENIC_PLACES, SimContext

DESCRIPTOR = FeedDescriptor(
    system="skynet",
    name_zh="公安天网视频",
    name_en="Police Skynet video",
    owner="市公安局",
    mode="push",
    interval_s=600,
    datum="wgs84",
    source_kind="video",
)

#: What of an alarm may leave the center (the wall, the live layers): the camera, what it saw
#: and where. Not the snapshot's URL: a picture of whoever stood in the street.
PUBLIC_VALUES: PublicValues = {
    "camera.alarm": frozenset(
        {"alarm_type", "alarm_name", "camera_code", "camera_name", "confidence", "address"}
    ),
}

# vendor code -> (canonical alarm type, Chinese name, severity)
ALARM_TYPES: dict[str, tuple[str, str, Severity]] = {
    "LJDJ": ("rubbish", "垃圾堆积", Severity.minor),
    "ZDJY": ("street_vendor", "占道经营", Severity.minor),
    "DLJS": ("waterlogging", "道路积水", Severity.moderate),
    "RQJJ": ("crowd", "人群聚集", Severity.moderate),
    "YHJC": ("smoke_fire", "烟火检测", Severity.severe),
    "SBLX": ("offline", "设备离线", Severity.unknown),
}


def normalize(payload: bytes | dict[str, Any], *, received_at: datetime) -> Normalized:
    """One camera alarm → one ``camera.alarm`` event on the cameras layer.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = normalize({"alarmId": "X1", "cameraCode": "C1", "cameraName": "嘉定中路",
    ...     "alarmType": "LJDJ", "alarmTime": "2026-11-27 08:00:00", "longitude": 103.76,
    ...     "latitude": 29.55, "confidence": 0.9}, received_at=datetime.now(timezone.utc))
    >>> ev[0].values["alarm_type"]
    'rubbish'
    """
    data = as_mapping(payload)
    kind, name, severity = choice(data, "alarmType", ALARM_TYPES)
    camera = text(data, "cameraName")
    address = opt_text(data, "address")
    return [
        FeedEvent(
            system=DESCRIPTOR.system,
            source_id=text(data, "alarmId"),
            kind="camera.alarm",
            occurred_at=time_field(data, "alarmTime"),
            layer=Layer.cameras,
            severity=severity,
            location=point(data, "longitude", "latitude", DESCRIPTOR.datum),
            title=f"{camera}：{name}",
            values={
                "alarm_type": kind,
                "alarm_name": name,
                "camera_code": text(data, "cameraCode"),
                "camera_name": camera,
                "confidence": number(data, "confidence", 1.0, lo=0, hi=1),
                "picture_url": opt_text(data, "picUrl"),
                "address": address or camera,
            },
        )
    ]


def simulate(ctx: SimContext) -> list[dict[str, Any]]:
    """A camera alarm; floods bring waterlogging, Golden Week crowds."""
    weights = {"LJDJ": 5, "ZDJY": 3, "DLJS": 1, "RQJJ": 1, "YHJC": 0.2, "SBLX": 0.5}
    pool = PLACES
    if ctx.scenario == "flood":
        weights["DLJS"] = 8
        pool = FLOOD_PLACES
    elif ctx.scenario == "golden-week":
        weights["RQJJ"] = 6
        pool = SCENIC_PLACES + PLACES[:4]
    code = ctx.rng.choices(list(weights), weights=list(weights.values()))[0]
    p = ctx.place(pool)
    lon, lat = ctx.near(p)
    return [
        {
            "alarmId": ctx.ident("TW"),
            "cameraCode": f"5111{p.adcode[-2:]}000013200{ctx.rng.randrange(10000):05d}",
            "cameraName": f"{p.name}{ctx.rng.choice(['路口', '东侧', '广场', '桥头'])}",
            "alarmType": code,
            "alarmTime": ctx.local(ctx.rng.uniform(1, 20)),
            "longitude": lon,
            "latitude": lat,
            "confidence": round(ctx.rng.uniform(0.72, 0.99), 2),
            "picUrl": f"http://10.51.11.20/snap/{ctx.seq}.jpg",
            "address": p.name,
        }
    ]
