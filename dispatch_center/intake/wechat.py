"""WeChat: one conversation, one order.

A citizen often sends several messages in a row (a text, then a location, then a photo).
Each message is decided under a per-OpenID database lock (so several workers take turns on
one citizen): a message already recorded (WeChat retries a callback with the same MsgId)
changes nothing; one within the fold window of the citizen's previous message, whose order
is still ``received``, is folded into that order (text appended to the description, a
location setting the order's location and routing, an image attached; each fold on the
timeline); anything else makes a new order. The message's record commits with the fold,
so a redelivery after a crash either finds it or does the whole fold again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from dispatch_center.center import Center, publish_changes
from dispatch_center.intake.payloads import CreateOrder
from dispatch_center.models import OrderCreate
from dispatch_center.orders.routing import route_new_order
from dispatch_center.store import channels as channel_store
from dispatch_center.store import orders as order_store
from dispatch_center.store.orders import TimelineEntry
from feeds.channels.wechat import WeChatMessage, to_draft

log = logging.getLogger(__name__)

Row = dict[str, Any]
ACTOR = "feed:wechat"


async def handle_message(
    center: Center, msg: WeChatMessage, create_order: CreateOrder
) -> Row | None:
    """Fold ``msg`` into the citizen's open order or make a new one; the order row/view.

    A new order is made with ``create_order`` (the running intake's, so it is counted and
    its attachments kept like any other). ``None`` for a redelivered message (nothing to
    do) or a draft the orders refuse.
    """
    window = timedelta(seconds=center.settings.wechat_fold_window_s)
    folded: Row | None = None
    async with center.db.connection() as conn, conn.transaction():
        await channel_store.wechat_lock(conn, msg.openid)
        if await channel_store.wechat_message(conn, msg.msg_id) is not None:
            return None
        order = (
            await channel_store.wechat_open_order(conn, msg.openid, msg.created_at - window)
            if window
            else None
        )
        if order is not None:
            folded = await order_store.fold_into_order(
                conn, int(order["id"]), _folded_values(center, order, msg), _entry(center, msg)
            )
        if folded is not None:
            if msg.msg_type == "image" and msg.pic_url:
                await channel_store.attachment_insert(
                    conn,
                    source="wechat",
                    source_id=msg.msg_id,
                    order_id=int(folded["id"]),
                    filename=f"{msg.msg_id}.jpg",
                    content_type="image/jpeg",
                    path=None,
                    url=msg.pic_url,
                    size=None,
                )
            await channel_store.wechat_record(
                conn, msg.msg_id, msg.openid, int(folded["id"]), msg.created_at, folded=True
            )
        else:
            # The order is made on another connection while this one holds the citizen's
            # lock: the next message of the conversation waits and then folds into it.
            view = await create_order("wechat", to_draft([msg]))
            if view is None:
                return None
            await channel_store.wechat_record(
                conn, msg.msg_id, msg.openid, int(view["id"]), msg.created_at, folded=False
            )
            return view
    await publish_changes(center, [folded])
    return folded


def _entry(center: Center, msg: WeChatMessage) -> TimelineEntry:
    what = {"text": "文字", "location": "位置", "image": "图片", "voice": "语音"}.get(
        msg.msg_type, msg.msg_type
    )
    return TimelineEntry(
        actor=ACTOR,
        role="source",
        action="wechat_fold",
        at=center.now(),
        note=f"同一市民微信追加{what}，并入本工单",
        data={
            "msg_id": msg.msg_id,
            "msg_type": msg.msg_type,
            "sent_at": msg.created_at.isoformat(),
            "text": msg.content,
            "location": (
                {"lon": msg.lon, "lat": msg.lat, "crs": "gcj02", "label": msg.label}
                if msg.lon is not None
                else None
            ),
            "image": msg.pic_url,
        },
    )


def _folded_values(center: Center, order: Row, msg: WeChatMessage) -> dict[str, Any]:
    """The order's description, location, address and routing once ``msg`` joins it.

    Examples
    --------
    A text is appended: ``"【微信】路口积水"`` + ``"很深"`` →
    ``"【微信】路口积水\\n【微信补充】很深"``; a location re-routes the order as if it had
    come with it (the urgency and deadlines stay those of the first message).
    """
    values: dict[str, Any] = {
        k: order[k] for k in ("description", "lon", "lat", "datum", "address", "routing")
    }
    if msg.content:
        values["description"] = f"{order['description']}\n【微信补充】{msg.content}"[:5000]
    if msg.msg_type == "location" and msg.lon is not None and msg.lat is not None:
        body = {
            "channel": order["channel"],
            "category": {"type": order["request_type"], "code": order["category_code"]},
            "urgency": order["urgency"],
            "description": values["description"],
            "location": {"lon": msg.lon, "lat": msg.lat, "crs": "gcj02"},
            "address": msg.label or order["address"],
        }
        try:
            data = OrderCreate.model_validate(body)
        except ValidationError as exc:  # keep what the order had; the fold is still noted
            log.info("wechat location %s not usable: %s", msg.msg_id, exc)
            return values
        routing = route_new_order(center, data).routing
        if routing.location is not None:
            values.update(lon=routing.location.lon, lat=routing.location.lat, datum="gcj02")
        values.update(routing=routing.to_json(), address=msg.label or order["address"])
    return values
