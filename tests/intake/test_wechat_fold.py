"""WeChat over HTTP: a citizen's text, location and photo in a row make one order (each
fold on its timeline); a redelivered callback adds nothing; after the window, or once the
order is dispatched, the next message makes a new order."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, wechat_answered, wechat_post
from tests.intake.test_ingest_http import sql

T0 = 1795737612  # the recorded text's CreateTime


def _xml(openid: str, msg_id: str, at: int, kind: str, inner: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[gh_ls12345xlx]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{at}</CreateTime>"
        f"<MsgType><![CDATA[{kind}]]></MsgType>{inner}<MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def text(openid: str, msg_id: str, at: int, content: str) -> bytes:
    return _xml(openid, msg_id, at, "text", f"<Content><![CDATA[{content}]]></Content>")


def location(openid: str, msg_id: str, at: int) -> bytes:
    return _xml(
        openid,
        msg_id,
        at,
        "location",
        "<Location_X>29.542306</Location_X><Location_Y>103.772338</Location_Y><Scale>16</Scale>"
        "<Label><![CDATA[四川省乐山市市中区凌云路乐山大佛景区东门]]></Label>",
    )


def image(openid: str, msg_id: str, at: int) -> bytes:
    return _xml(
        openid,
        msg_id,
        at,
        "image",
        f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz_jpg/{msg_id}/0]]></PicUrl>"
        "<MediaId><![CDATA[media_1]]></MediaId>",
    )


def post(live: LiveCenter, *bodies: bytes) -> None:
    for body in bodies:
        r = wechat_post(live, body)  # safe mode, a nonce of its own each
        assert wechat_answered(r), r.text
    drain(live)


def orders_of(live: LiveCenter, openid: str) -> list[dict[str, Any]]:
    rows = sql(
        live,
        "SELECT DISTINCT order_id FROM wechat_messages WHERE openid = %s ORDER BY order_id",
        openid,
    )
    duty = live.client("duty")
    return [duty.get(f"/api/v1/orders/{r[0]}").json() for r in rows]


def test_text_location_photo_make_one_order_once(feeds_live: LiveCenter) -> None:
    who, n = f"o{uuid.uuid4().hex[:20]}", time.time_ns() % 10**12
    first = text(who, f"{n}1", T0, "乐山大佛景区东门外的路口积水很深，行人都过不去了")
    post(feeds_live, first)
    post(feeds_live, location(who, f"{n}2", T0 + 40), image(who, f"{n}3", T0 + 60))
    post(feeds_live, text(who, f"{n}4", T0 + 90, "水还在涨"))
    # WeChat retries every callback (same MsgId): nothing more
    post(feeds_live, first, location(who, f"{n}2", T0 + 40), image(who, f"{n}3", T0 + 60))
    [order] = orders_of(feeds_live, who)
    assert order["status"] == "received" and order["channel"] == "wechat"
    assert order["description"].count("积水很深") == 1
    assert order["description"].endswith("【微信补充】水还在涨")
    assert order["location"] is not None and order["address"].endswith("乐山大佛景区东门")
    assert order["routing"]["location"] is not None
    assert order["routing"]["path"][1]["code"] == "511102"  # placed by the location
    folds = [t for t in order["timeline"] if t["action"] == "wechat_fold"]
    assert [f["data"]["msg_type"] for f in folds] == ["location", "image", "text"]
    assert all(f["actor"] == "feed:wechat" and f["at"] for f in folds)
    pics = sql(
        feeds_live, "SELECT url FROM intake_attachments WHERE order_id = %s", int(order["id"])
    )
    assert pics == [(f"http://mmbiz.qpic.cn/mmbiz_jpg/{n}3/0",)]


def test_after_the_window_or_dispatch_a_new_order(feeds_live: LiveCenter) -> None:
    who, n = f"o{uuid.uuid4().hex[:20]}", time.time_ns() % 10**12
    post(feeds_live, text(who, f"{n}1", T0, "小区门口路灯坏了一个星期了，晚上很黑"))
    post(feeds_live, text(who, f"{n}2", T0 + 601 + 0, "另外小区垃圾三天没人清运"))
    assert len(orders_of(feeds_live, who)) == 2  # 601 s after the first: past the window
    second = orders_of(feeds_live, who)[1]
    disp = feeds_live.client("dispatcher")
    r = disp.post(f"/api/v1/orders/{second['id']}/actions/dispatch", json={"unit_code": "511102"})
    assert r.status_code == 200, r.text
    post(feeds_live, text(who, f"{n}3", T0 + 660, "垃圾的事情麻烦快一点"))
    got = orders_of(feeds_live, who)
    assert len(got) == 3  # the second was dispatched: no folding into it any more
    assert "快一点" not in got[1]["description"] and "快一点" in got[2]["description"]
    assert [t["action"] for t in got[1]["timeline"]].count("wechat_fold") == 0
