"""The passive reply (被动回复) to a citizen's WeChat text: the order number it made, or,
for "查询 LS…", where that order stands.

The platform waits about five seconds for the answer to its callback: the reply waits up
to :data:`WAIT_S` for the intake to make (or fold into) the order, and answers
``success`` (nothing shown) if it has not. A status query is answered only for an order
this citizen's own WeChat messages made (their OpenID), with one answer for "not yours"
and "no such order". In safe mode the reply is encrypted and signed
(``msg_signature`` over token, timestamp, nonce and ``Encrypt``) as the platform expects.
"""

from __future__ import annotations

import asyncio
import time

from dispatch_center.center import Center
from dispatch_center.core import notices
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.intake.wechat_callback import token
from dispatch_center.store import channels as channel_store
from dispatch_center.store import orders as order_store
from dispatch_center.store import replies as reply_store
from feeds.channels import wechat, wechat_crypto

# WeChat gives up on a callback after 5 s: answer within 4 whatever the load.
WAIT_S = 4.0
NOT_FOUND = "没有找到您通过本公众号反映的这个工单，请核对工单号，或拨打12345查询。"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_account: str, content: str, at: int) -> bytes:
    """A passive text reply's XML.

    Examples
    --------
    >>> b"<MsgType><![CDATA[text]]></MsgType>" in text_reply("o1", "gh_1", "好", 1)
    True
    """
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_account)}</FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    ).encode()


def sealed(center: Center, reply: bytes, nonce: str) -> bytes:
    """``reply`` encrypted and signed for safe mode."""
    s = center.settings
    assert s.wechat_aes_key is not None and s.wechat_app_id
    key = wechat_crypto.aes_key(s.wechat_aes_key.get_secret_value())
    encrypted = wechat_crypto.encrypt(key, s.wechat_app_id, reply)
    ts = str(int(time.time()))
    signature = wechat_crypto.msg_signature(token(center), ts, nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{ts}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    ).encode()


async def _status_text(center: Center, openid: str, number: str) -> str:
    async with center.db.connection() as conn:
        row = await reply_store.order_for_lookup(conn, number)
        if row is None or not await reply_store.wechat_owns(conn, openid, row["id"]):
            return NOT_FOUND
    parts = [f"工单{row['number']}：{notices.PLAIN_STATUS.get(row['status'], row['status'])}。"]
    if row["unit_name"]:
        parts.append(f"承办单位：{row['unit_name']}。")
    if row["reply_by"] and row["status"] not in notices.REPLIED_STATUSES:
        parts.append(f"办理时限：{to_shanghai(row['reply_by']).strftime('%Y-%m-%d %H:%M')}。")
    if row["status"] in notices.REPLIED_STATUSES and row["reply"]:
        parts.append(f"办理结果：{row['reply']}")
    return "".join(parts)


async def _receipt_text(center: Center, msg_id: str) -> str | None:
    deadline = time.monotonic() + WAIT_S
    while True:
        async with center.db.connection() as conn:
            seen = await channel_store.wechat_message(conn, msg_id)
            if seen is not None:
                order = await order_store.get_order(conn, seen["order_id"])
                if order is not None:
                    return (
                        f"您的诉求已受理，工单号{order['number']}。"
                        f"回复“查询 {order['number']}”可随时查看办理进度。"
                    )
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.1)


async def passive_reply(center: Center, message: bytes, nonce: str, safe: bool) -> bytes | None:
    """The reply to a callback's message, or ``None`` (answer ``success``)."""
    msg = wechat.parse_message(message)
    if msg.msg_type != "text":
        return None
    number = notices.status_query(msg.content)
    if number is not None:
        content: str | None = await _status_text(center, msg.openid, number)
    else:
        content = await _receipt_text(center, msg.msg_id)
    if content is None:
        return None
    reply = text_reply(msg.openid, msg.account, content, int(time.time()))
    return sealed(center, reply, nonce) if safe else reply
