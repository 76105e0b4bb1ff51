"""WeChat official account: the platform's signature check and message callbacks.

The platform signs each callback with ``signature = sha1(sorted([token, timestamp, nonce])
joined)``, and posts XML messages. Text, location (``Location_X`` is the latitude,
``Location_Y`` the longitude, in GCJ-02 as Tencent maps give it) and image messages are
parsed with defusedxml; a citizen's messages in one session fold into one order draft.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from xml.etree.ElementTree import Element

from feeds.base import (
    Attachment,
    DraftCategory,
    DraftLocation,
    OrderDraft,
    PayloadError,
)
from feeds.channels.triage import guess_address, guess_category
from feeds.payload import parse_time
from feeds.xmlsafe import child_text, parse_xml

KINDS = ("text", "location", "image", "voice", "event")
MAX_CLOCK_SKEW_S = 300


def signature(token: str, timestamp: str, nonce: str) -> str:
    """The platform's signature of a callback.

    Examples
    --------
    >>> signature("token", "1409304348", "xxxxxx")
    'f43b4a6571a6552356f482636e5a77e7fa33dcc9'
    """
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def verify(
    token: str, timestamp: str, nonce: str, given: str, *, now: datetime | None = None
) -> bool:
    """True when ``given`` is the right signature (and, given ``now``, the timestamp is fresh).

    Examples
    --------
    >>> verify("token", "1409304348", "xxxxxx", signature("token", "1409304348", "xxxxxx"))
    True
    >>> verify("token", "1409304348", "xxxxxx", "0" * 40)
    False
    """
    if now is not None:
        try:
            skew = abs(now.timestamp() - int(timestamp))
        except ValueError:
            return False
        if skew > MAX_CLOCK_SKEW_S:
            return False
    return hmac.compare_digest(signature(token, timestamp, nonce).encode(), given.lower().encode())


@dataclass(frozen=True)
class WeChatMessage:
    """One callback message."""

    msg_id: str
    msg_type: str
    openid: str
    account: str
    created_at: datetime
    content: str | None = None
    lat: float | None = None
    lon: float | None = None
    label: str | None = None
    pic_url: str | None = None
    media_id: str | None = None
    event: str | None = None


def _req(root: Element, name: str) -> str:
    value = child_text(root, name)
    if not value:
        raise PayloadError(name, "required element is missing")
    return value


def _float(root: Element, name: str, lo: float, hi: float) -> float:
    raw = _req(root, name)
    try:
        v = float(raw)
    except ValueError:
        raise PayloadError(name, f"not a number: {raw!r}") from None
    if not lo <= v <= hi:
        raise PayloadError(name, f"{v} is outside [{lo}, {hi}]")
    return v


def parse_message(payload: bytes | str) -> WeChatMessage:
    """Parse a message callback's XML.

    Examples
    --------
    >>> m = parse_message('<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>'
    ...     '<CreateTime>1795737600</CreateTime><MsgType>location</MsgType>'
    ...     '<Location_X>29.5447</Location_X><Location_Y>103.7699</Location_Y>'
    ...     '<Scale>15</Scale><Label>乐山大佛</Label><MsgId>1</MsgId></xml>')
    >>> (m.lat, m.lon, m.label)
    (29.5447, 103.7699, '乐山大佛')
    """
    root = parse_xml(payload)
    kind = _req(root, "MsgType")
    if kind not in KINDS:
        raise PayloadError("MsgType", f"unsupported message type {kind!r}; expected {KINDS}")
    created_raw = _req(root, "CreateTime")
    if not created_raw.isdigit():
        raise PayloadError("CreateTime", "must be Unix seconds")
    openid = _req(root, "FromUserName")
    created = parse_time(int(created_raw), "CreateTime")
    msg_id = child_text(root, "MsgId") or f"{openid}:{created_raw}:{kind}"
    common = WeChatMessage(msg_id, kind, openid, _req(root, "ToUserName"), created)
    if kind == "text":
        return replace(common, content=_req(root, "Content"))
    if kind == "location":
        return replace(
            common,
            lat=_float(root, "Location_X", -90, 90),
            lon=_float(root, "Location_Y", -180, 180),
            label=child_text(root, "Label"),
        )
    if kind == "image":
        return replace(common, pic_url=_req(root, "PicUrl"), media_id=child_text(root, "MediaId"))
    if kind == "voice":
        return replace(
            common, media_id=_req(root, "MediaId"), content=child_text(root, "Recognition")
        )
    return replace(common, event=_req(root, "Event"))


def to_draft(messages: Sequence[WeChatMessage]) -> OrderDraft:
    """One citizen's messages (text, location, images) → one order draft (channel ``wechat``).

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2026, 11, 27, tzinfo=UTC)
    >>> t = WeChatMessage("1", "text", "o1", "gh", t0, "景区门口积水")
    >>> loc = WeChatMessage("2", "location", "o1", "gh", datetime(2026, 11, 27, tzinfo=UTC),
    ...     lat=29.5447, lon=103.7699, label="乐山大佛")
    >>> d = to_draft([t, loc])
    >>> (d.location.crs, d.category.code, d.source_id)
    ('gcj02', 'flood.waterlogging', '1')
    """
    msgs = [m for m in messages if m.msg_type != "event"]
    if not msgs:
        raise PayloadError("MsgType", "no citizen message to make an order from")
    if len({m.openid for m in msgs}) != 1:
        raise PayloadError("FromUserName", "messages from different users cannot be one order")
    texts = [m.content for m in msgs if m.content]
    where = [m for m in msgs if m.msg_type == "location"]
    last = where[-1] if where else None
    labels = " ".join(m.label for m in where if m.label)
    body = "\n".join(texts) or (f"微信位置：{labels}" if labels else "微信图片反映")
    rtype, code = guess_category(body + labels)
    return OrderDraft(
        channel="wechat",
        category=DraftCategory(rtype, code),
        urgency="consultation" if rtype == "consultation" else "general",
        description=f"【微信】{body}" + (f"（位置：{labels}）" if labels and texts else ""),
        location=(
            DraftLocation(last.lon, last.lat, "gcj02")
            if last and last.lon is not None and last.lat is not None
            else None
        ),
        address=last.label
        if last and last.label
        else guess_address(body) or (None if last else "乐山市（微信未注明地址）"),
        source="wechat",
        source_id=msgs[0].msg_id,
        received_at=msgs[0].created_at,
        attachments=tuple(
            Attachment(f"{m.msg_id}.jpg", "image/jpeg", url=m.pic_url)
            for m in msgs
            if m.msg_type == "image"
        ),
        extra={"openid": msgs[0].openid, "auto_classified": True},
    )
