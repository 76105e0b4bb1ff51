"""The passive reply to a citizen's WeChat text (issue 21 §6): the order number it made,
encrypted and signed as the platform expects; "查询 LS…" answers the status of the
citizen's own order, and makes no order."""

from __future__ import annotations

import re
import time
import uuid

import httpx
from defusedxml import ElementTree

from feeds.channels import wechat_crypto
from tests.api.conftest import LiveCenter
from tests.intake.conftest import (
    WECHAT_AES_KEY,
    WECHAT_APP_ID,
    WECHAT_TOKEN,
    drain,
    fixture_bytes,
    wechat_request,
)
from tests.intake.test_ingest_http import sql


def _text(openid: str, content: str) -> bytes:
    doc = fixture_bytes("wechat", "text.xml").decode("utf-8")
    doc = doc.replace("24605318833147286", str(time.time_ns()))
    doc = doc.replace("oLs7Q6xk2m9Vb1nZ8yJp3RqT0aEu", openid)
    doc = doc.replace("1795737612", str(int(time.time())))
    return doc.replace(
        "乐山大佛景区东门外的路口积水很深，行人都过不去了，麻烦尽快处理", content
    ).encode()


def _say(live: LiveCenter, openid: str, content: str) -> str:
    """Send a text; the reply's Content, checked as the platform checks it."""
    params, body = wechat_request(_text(openid, content))
    r = httpx.post(live.base_url + "/api/v1/intake/wechat", params=params, content=body)
    assert r.status_code == 200, r.text
    outer = ElementTree.fromstring(r.content)
    encrypted = outer.findtext("Encrypt")
    assert encrypted, r.text
    assert outer.findtext("Nonce") == params["nonce"]
    assert wechat_crypto.verify_msg_signature(
        WECHAT_TOKEN,
        outer.findtext("TimeStamp") or "",
        params["nonce"],
        encrypted,
        outer.findtext("MsgSignature") or "",
    )
    key = wechat_crypto.aes_key(WECHAT_AES_KEY)
    inner = ElementTree.fromstring(wechat_crypto.decrypt(key, WECHAT_APP_ID, encrypted))
    assert inner.findtext("ToUserName") == openid
    assert inner.findtext("FromUserName") == "gh_ls12345xlx"
    assert inner.findtext("MsgType") == "text"
    return inner.findtext("Content") or ""


def test_text_is_answered_with_its_order_number_and_status(feeds_live: LiveCenter) -> None:
    openid = f"oREPLY{uuid.uuid4().hex[:12]}"
    content = f"柏杨路的井盖松动了{time.time_ns()}"
    answer = _say(feeds_live, openid, content)
    m = re.search(r"工单号([A-Z]+\d+)", answer)
    assert m, answer
    number = m.group(1)
    made = sql(feeds_live, "SELECT number FROM orders WHERE description LIKE %s", f"%{content}%")
    assert [r[0] for r in made] == [number]

    status = _say(feeds_live, openid, f"查询 {number}")
    assert status.startswith(f"工单{number}：已受理"), status
    drain(feeds_live)
    queries = sql(feeds_live, "SELECT count(*) FROM orders WHERE description LIKE %s", "查询%")
    assert queries[0][0] == 0  # a query makes no order
    # Someone else's order, or none: one answer, nothing told.
    other = _say(feeds_live, f"oOTHER{uuid.uuid4().hex[:12]}", f"查询 {number}")
    nothing = _say(feeds_live, openid, "查询 LS2099010199999")
    assert other == nothing and "没有找到" in other
