"""The leader's console (/leader) in Chromium against the live server: a leader issues a
挂牌督办 and a 批示 from the board and the handling unit sees both; a duty officer starts a
video session from an order, the leader joins and gives an instruction, the session is
closed and the leader signs the minutes; the board's figures through the API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch_center.core.calendar import SHANGHAI
from tests.api.conftest import new_order
from tests.wallboard.conftest import WallCenter, shot

pytestmark = pytest.mark.browser


def _overdue_order(wall: WallCenter, text: str) -> dict[str, Any]:
    """An order received ten days ago (past its five working days), dispatched to its lead."""
    received = datetime.now(SHANGHAI) - timedelta(days=10)
    body = new_order(
        description=text,
        received_at=received.isoformat(),
        source="test-leader",
        source_id=uuid.uuid4().hex,
    )
    with wall.client("duty") as c:
        r = c.post("/api/v1/orders", json=body)
        assert r.status_code == 201, r.text
        order = r.json()
        r = c.post(
            f"/api/v1/orders/{order['id']}/actions/dispatch",
            json={"unit_code": order["routing"]["lead"]["code"]},
        )
        assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


#: A Chinese character: what an English page's labels must not hold.
HAN = re.compile(r"[\u4e00-\u9fff]")
#: The page's own labels (not its data: unit names and descriptions may stay Chinese).
LABELS = "h2, h3, th, label, option, button, .fig, .brand, .tag, nav, .desc"


def _chinese_labels(page: Any, selector: str = LABELS) -> list[str]:
    """The page's visible labels that still hold Chinese, for an English page."""
    texts: list[str] = page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.innerText)"
    )
    return [t for t in texts if HAN.search(t)]


@pytest.fixture
def console(browser: Any, wall: WallCenter) -> Iterator[Callable[[str], Any]]:
    """``console("leader")`` → a 1920×1080 page of /leader signed in as that user."""
    contexts: list[Any] = []

    def make(username: str, lang: str = "") -> Any:
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        q = f"lang={lang}&" if lang else ""
        page.goto(f"{wall.base_url}/leader?{q}token={wall.token(username)}")
        page.wait_for_function("() => window.DC_LEADER && window.DC_LEADER.state.board")
        # The token left the address bar (the language stays).
        assert page.url == f"{wall.base_url}/leader" + (f"?lang={lang}" if lang else "")
        page.errors = errors
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def test_a_leader_lists_a_card_and_gives_a_pishi_the_handler_sees_both(
    console: Callable[[str], Any], wall: WallCenter
) -> None:
    order = _overdue_order(wall, "滨江路段污水外溢十天无人处理")
    p = console("leader")
    row = p.locator(f'#board tr.row[data-id="{order["id"]}"]')
    row.wait_for()
    assert "超期" in row.inner_text() and order["assigned_unit"]["name"] in row.inner_text()
    shot(p, "leader-console.png")
    # One click: 挂牌督办 with a deadline and the answer required.
    row.locator('button[data-quick="listed"]').click()
    p.wait_for_selector("#so-send")
    assert p.locator("#so-level").input_value() == "listed"
    p.fill("#so-req", "请于限期内说明超期原因并报送整改方案")
    p.click("#so-send")
    p.wait_for_selector('[data-outcome="ok"]')
    # Up the ladder: 领导研究 with a 批示.
    p.click('.ladder button[data-step="leader_study"]')
    p.fill("#st-instruction", "请市中区政府牵头，三日内彻底解决")
    p.click("#step-send")
    p.wait_for_selector('[data-outcome="ok"]')
    shot(p, "leader-order-drawer.png")
    assert p.errors == []
    # The handling unit sees the 挂牌督办 addressed to it, and the 批示 on the timeline.
    handler = f"h_{order['assigned_unit']['code'][:6]}"
    with wall.client(handler) as c:
        mine = c.get("/api/v1/supervision/my").json()
        got = c.get(f"/api/v1/orders/{order['id']}").json()
        board = c.get("/api/v1/supervision/board").json()
    listed = [s for s in mine["supervision_orders"] if s["order_id"] == order["id"]]
    assert [s["level_label"] for s in listed] == ["挂牌督办"]
    assert listed[0]["requirement"] == "请于限期内说明超期原因并报送整改方案"
    steps = [t for t in got["timeline"] if t["action"] == "supervision.escalate"]
    assert steps[-1]["data"]["step"] == "leader_study"
    assert steps[-1]["data"]["details"]["instruction"] == "请市中区政府牵头，三日内彻底解决"
    assert steps[-1]["actor"] == "leader"
    mine_on_board = next(o for o in board["orders"] if o["id"] == order["id"])
    assert mine_on_board["level"] == "listed" and mine_on_board["top_step"] == "leader_study"
    # The leader's day: the 批示 given and the card issued, not done yet.
    with wall.client("leader") as c:
        day = c.get("/api/v1/supervision/day").json()
    assert any(s["order_id"] == order["id"] and not s["done"] for s in day["instructions_given"])
    assert any(s["order_id"] == order["id"] for s in day["supervision_orders"])
    assert all(o["id"] != order["id"] for o in day["needs_instruction"])


def test_a_session_is_started_joined_instructed_closed_and_signed(
    console: Callable[[str], Any], wall: WallCenter
) -> None:
    order = _overdue_order(wall, "嘉州大道排水管破裂路面塌陷")
    duty = console("duty")
    duty.locator(f'#board tr.row[data-id="{order["id"]}"] td').first.click()
    duty.click('.ladder button[data-step="video_supervision"]')
    duty.fill("#ss-topic", "嘉州大道塌陷视频督办")
    duty.fill("#ss-room", "https://vc.example.invalid/room-42")
    duty.fill("#ss-invite", "leader, 市住建局局长")
    duty.click("#ss-send")
    duty.wait_for_selector("#ss-close")
    sid = duty.evaluate("window.DC_LEADER.state.sessions[0].id")

    leader = console("leader")
    leader.locator(f'[data-session="{sid}"] button[data-open-session]').click()
    asked: list[str] = []
    leader.context.on("request", lambda req: asked.append(req.url))
    with leader.context.expect_page():
        leader.locator(".drawer button[data-join]").click()
    # The room opens in the outside video system (a new tab), the join is recorded here.
    leader.wait_for_function("() => true")
    assert "https://vc.example.invalid/room-42" in asked
    leader.wait_for_function(
        "sid => window.DC_LEADER.state.sessions.find(s => s.id === sid).present.length > 0",
        arg=sid,
    )
    # Someone forgotten at the start is invited from the session's panel.
    leader.fill("#inv-people", "市中区副区长")
    leader.click("#inv-send")
    leader.wait_for_selector('[data-outcome="ok"]')
    assert "市中区副区长" in leader.locator("#drawer").inner_text()
    leader.fill("#in-text", "立即设置围挡，今晚完成抢修")
    leader.fill("#in-owner", "市中区住房和城乡建设局")
    leader.click("#in-send")
    leader.wait_for_selector('[data-outcome="ok"]')
    shot(leader, "leader-session.png")

    duty.evaluate("sid => window.DC_LEADER.openSession(sid)", sid)
    duty.wait_for_selector("#ss-close")
    duty.click("#ss-close")
    duty.wait_for_selector('[data-outcome="ok"]')

    leader.evaluate("sid => window.DC_LEADER.openSession(sid)", sid)
    leader.wait_for_selector("#ss-sign")
    leader.click("#ss-sign")
    leader.wait_for_selector("text=纪要已由 leader")
    with wall.client("duty") as c:
        s = c.get(f"/api/v1/supervision/sessions/{sid}").json()
        follow = c.get("/api/v1/supervision/followups").json()["items"]
        again = c.post(f"/api/v1/supervision/sessions/{sid}/sign")
    assert s["status"] == "closed" and s["minutes_signed_by"] == "leader"
    assert [p["participant"] for p in s["participants"]] == ["leader"]
    assert [i["text"] for i in s["instructions"]] == ["立即设置围挡，今晚完成抢修"]
    assert s["minutes"]["instructions"][0]["owner"] == "市中区住房和城乡建设局"
    assert [i["name"] for i in s["invited"]] == ["leader", "市住建局局长", "市中区副区长"]
    assert s["invited"][2]["invited_by"] == "leader"
    assert any(i["session_id"] == sid and i["state"] == "open" for i in follow)
    assert again.status_code == 409 and "leader" in again.json()["error"]["message"]
    assert leader.errors == [] and duty.errors == []


def test_the_board_lists_overdue_orders_in_normal_mode(wall: WallCenter) -> None:
    # The old console's leader panels said 暂无 while orders were overdue: it never read
    # the orders. The board does, in normal mode, for leaders and duty officers alike.
    order = _overdue_order(wall, "井研县某路段路灯损坏超期未修")
    for who in ("leader", "duty"):
        with wall.client(who) as c:
            board = c.get("/api/v1/supervision/board").json()
        assert order["id"] in [o["id"] for o in board["orders"]]
        assert board["overdue"] >= 1
        unit = next(u for u in board["units"] if u["code"] == order["assigned_unit"]["code"])
        assert unit["overdue"] >= 1 and unit["tier"] == 2
    with wall.client("dispatcher") as c:
        assert c.get("/api/v1/supervision/board").status_code == 403
        assert c.get("/leader").status_code in (401, 403)


def test_the_console_speaks_english_with_lang_en(
    console: Callable[[str, str], Any], wall: WallCenter
) -> None:
    order = _overdue_order(wall, "English page: an overdue order")
    p = console("leader", "en")
    assert p.get_attribute("html", "lang") == "en"
    row = p.locator(f'#board tr.row[data-id="{order["id"]}"]')
    row.wait_for()
    heads = p.locator("main h2").all_inner_texts()
    assert heads[0].startswith("Overdue and at-risk orders") and "By handling unit" in heads
    assert "Overdue" in row.inner_text()
    assert row.locator('button[data-quick="listed"]').inner_text() == "Listed supervision"
    # The labels outside the board's rows (their data may be Chinese) are all English.
    assert _chinese_labels(p, "h2, th, label, option, .fig, .brand, #day h3, #day .tag") == []
    assert _chinese_labels(p, "#p-sessions button, #p-sessions .tag, #followups .tag") == []
    shot(p, "leader-en.png")
    row.locator('button[data-quick="listed"]').click()
    p.wait_for_selector("#so-send")
    assert _chinese_labels(p, "#drawer h3, #drawer label, #drawer button, #so-req") == []
    assert p.locator("#so-req").input_value().startswith("Explain why")
    assert p.errors == []
