"""A whole call at ``/desk`` in Debian's headless Chromium, at a desk monitor's 1920x1080.

The call centre's platform posts RING to the voice webhook (its ``X-Api-Key``) for seat
``agent01``; the desk shows the caller's history; the call-taker types, takes the suggested
category, picks the place from the gazetteer, is offered the open order 40 m away and
attaches the call to it (F3). A second call, a consultation, is answered from a published
knowledge-base article and resolved at intake (F8). Screenshots of each step.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.sources import demo_api_key
from dispatch_center.settings import Settings
from tests.api.conftest import LiveCenter, new_order, start_live
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

# 张公桥好吃街 in the demo gazetteer, and a stall 40 m north of it.
SNACK_STREET = (103.7600, 29.5690)
STALL = (103.7600, 29.5690 + 40 / 111_195)


@pytest.fixture(scope="module")
def desk_live(
    make_database: Any, free_port: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveCenter]:
    """A center of its own: the orders and articles this call meets are the only ones."""
    data_dir: Path = tmp_path_factory.mktemp("desk")
    settings = Settings(
        database_url=make_database(), demo=True, data_dir=data_dir, demo_story=False
    )
    server, thread, app = start_live(settings, free_port())
    yield LiveCenter(f"http://127.0.0.1:{server.config.port}", app, {})
    server.should_exit = True
    thread.join(10)


def _cti(live: LiveCenter, kind: str, call_id: str, caller: str, seat: str) -> None:
    s = live.center.settings
    key = demo_api_key(s.demo_api_key, s.data_dir)
    event = {
        "event": kind,
        "callId": call_id,
        "caller": caller,
        "agentId": seat,
        "time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    }
    r = httpx.post(
        f"{live.base_url}/api/v1/intake/voice/events", json=event, headers={"X-Api-Key": key}
    )
    assert r.status_code == 202, r.text


def _kb_article(live: LiveCenter) -> str | None:
    """A published article about pensions for flexible workers; None without the KB."""
    with live.client("duty") as duty:
        if duty.get("/api/v1/kb/search", params={"q": "社保"}).status_code == 404:
            return None
        body = {
            "owner": "511102-RSJ",
            "title": "灵活就业人员参加养老保险",
            "questions": ["灵活就业怎么交养老保险", "个体户能不能交社保"],
            "answer": "灵活就业人员可携带身份证到户籍所在地社保经办窗口办理参保登记，"
            "按月或按年缴费。",
            "policy_source": "《社会保险法》第十条",
            "valid_until": (date.today() + timedelta(days=365)).isoformat(),
        }
        r = duty.post("/api/v1/kb/articles", json=body)
        assert r.status_code == 201, r.text
        aid = str(r.json()["id"])
        for action in ("review", "publish"):
            assert duty.post(f"/api/v1/kb/articles/{aid}/{action}").status_code == 200
        return aid


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_a_whole_call_at_the_desk(browser: Any, desk_live: LiveCenter) -> None:
    live = desk_live
    phone = f"139{random.randrange(10**8):08d}"
    with live.client("agent02") as c:
        earlier = c.post(
            "/api/v1/orders",
            json=new_order(
                category={"type": "complaint", "code": "water.supply"},
                description="小区停水两天没有通知",
                reporter={"name": "李先生", "phone": phone},
            ),
        )
        assert earlier.status_code == 201, earlier.text
        stall = c.post(
            "/api/v1/orders",
            json=new_order(
                category={"type": "complaint", "code": "urban.street_vendor"},
                description="好吃街烧烤摊占用人行道，行人只能走机动车道",
                location={"lon": STALL[0], "lat": STALL[1]},
                address="市中区张公桥好吃街",
                reporter={"name": "赵女士", "phone": "13700001111"},
            ),
        )
        assert stall.status_code == 201, stall.text
    article = _kb_article(live)

    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live.base_url}/desk?token={live.token('agent01')}")
        assert "token=" not in page.url
        page.wait_for_selector("#map .leaflet-interactive", timeout=15_000)

        # -- first call: ring, history, type, category, place, duplicate, attach ------------
        call_id = f"CTI-{uuid.uuid4().hex[:10]}"
        _cti(live, "RING", call_id, phone, "agent01")
        page.wait_for_selector(f"#pop-body .caller:has-text('{phone}')", timeout=15_000)
        pop = page.locator("#pop-body").inner_text()
        assert earlier.json()["number"] in pop and "本月重复来电" in pop
        _cti(live, "ANSWER", call_id, phone, "agent01")
        page.wait_for_selector("#call-state.answered", timeout=10_000)
        assert page.locator("#f-phone").input_value() == phone

        page.locator("#f-description").click()
        page.keyboard.type("张公桥好吃街那边烧烤摊又占道经营了，晚上人行道根本走不通")
        page.wait_for_selector("#suggestions .chip", timeout=10_000)
        assert page.locator("#suggestions .chip").count() == 3
        page.wait_for_function(
            "document.getElementById('f-category').value === 'urban.street_vendor'",
            timeout=10_000,
        )
        page.keyboard.press("Alt+a")
        page.keyboard.type("好吃街")
        page.wait_for_selector("#places li:has-text('张公桥好吃街')", timeout=10_000)
        page.keyboard.press("Enter")
        assert page.locator("#f-address").input_value() == "张公桥好吃街"
        page.wait_for_selector(
            f"#dupes-body li:has-text('{stall.json()['number']}')", timeout=10_000
        )
        page.wait_for_timeout(500)  # the map's tiles-free redraw settles
        _shot(page, "desk-duplicate-offered.png")
        page.keyboard.press("F3")
        page.wait_for_selector("#wrap-body .number", timeout=10_000)
        wrap = page.locator("#wrap-body").inner_text()
        assert "已并入工单" in wrap and "已并单来电 1" in wrap
        _shot(page, "desk-attached.png")
        with live.client("agent01") as c:
            got = c.get(f"/api/v1/orders/{stall.json()['id']}").json()
            assert got["status"] == "received"
            new = c.get("/api/v1/orders", params={"status": "merged"}).json()["orders"]
            assert any(
                o.get("merged_into") in (stall.json()["id"], str(stall.json()["id"])) for o in new
            )

        # -- second call: a consultation answered from the knowledge base --------------------
        page.keyboard.press("Escape")
        page.wait_for_selector("#pop-body.muted", timeout=10_000)  # wrapped up: off the screen
        if article is None:
            assert errors == []
            return
        phone2 = f"138{random.randrange(10**8):08d}"
        call2 = f"CTI-{uuid.uuid4().hex[:10]}"
        _cti(live, "ANSWER", call2, phone2, "agent01")
        page.wait_for_selector(f"#pop-body .caller:has-text('{phone2}')", timeout=15_000)
        assert "本月首次来电" in page.locator("#pop-body").inner_text()
        assert page.locator("#f-phone").input_value() == phone2
        page.select_option("#f-type", "consultation")
        page.locator("#f-description").click()
        page.keyboard.type("我是打零工的，灵活就业怎么交养老保险")
        page.wait_for_selector("#kb-body li:has-text('灵活就业人员参加养老保险')", timeout=10_000)
        page.keyboard.press("Alt+a")
        page.keyboard.type("市中区")
        page.wait_for_selector("#places li", timeout=10_000)
        page.keyboard.press("Enter")
        _shot(page, "desk-kb-answers.png")
        page.keyboard.press("F8")
        page.wait_for_selector("#wrap-body:has-text('已按知识库解答办结')", timeout=10_000)
        number = page.locator("#wrap-body .number").inner_text().replace(" ", "")
        _shot(page, "desk-kb-resolved.png")
        with live.client("agent01") as c:
            orders = c.get("/api/v1/orders", params={"status": "replied"}).json()["orders"]
            (mine,) = [o for o in orders if o["number"] == number]
            full = c.get(f"/api/v1/orders/{mine['id']}").json()
            resolved = [t for t in full["timeline"] if t["action"] == "resolve_at_intake"]
            assert resolved and (resolved[0].get("data") or {}).get("kb_article_id") == article
        assert errors == []
    finally:
        ctx.close()


def test_the_desk_in_english_and_refused_to_others(browser: Any, desk_live: LiveCenter) -> None:
    live = desk_live
    r = httpx.get(f"{live.base_url}/desk", cookies={"dc_session": live.token("leader")})
    assert r.status_code == 403
    assert httpx.get(f"{live.base_url}/desk").status_code == 401
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    try:
        page = ctx.new_page()
        page.goto(f"{live.base_url}/desk?token={live.token('dispatcher')}&lang=en")
        assert "lang=en" in page.url and "token=" not in page.url
        page.wait_for_selector("#map .leaflet-interactive", timeout=15_000)
        assert "Call-taker's desk" in page.title()
        assert "Possible duplicates" in page.locator("#dupes").inner_text()
        _shot(page, "desk-en.png")
    finally:
        ctx.close()


def _order_of_call(live: LiveCenter, call_id: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(live.center.settings.database_url) as conn:
        row = conn.execute(
            "SELECT id, status FROM orders WHERE source = 'cti' AND source_id = %s", (call_id,)
        ).fetchone()
    assert row is not None, call_id
    return {"id": str(row[0]), "status": row[1]}


def test_create_transfer_to_110_three_way_call_and_another_city(
    browser: Any, desk_live: LiveCenter
) -> None:
    live = desk_live
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live.base_url}/desk?token={live.token('agent02')}")
        page.wait_for_selector("#map .leaflet-interactive", timeout=15_000)

        def ring(phone: str) -> str:
            call_id = f"CTI-{uuid.uuid4().hex[:10]}"
            _cti(live, "ANSWER", call_id, phone, "agent02")
            page.wait_for_selector(f"#pop-body .caller:has-text('{phone}')", timeout=15_000)
            return call_id

        # A place outside Leshan (clicked on the map, north of the city): F7.
        ring("13900000001")
        page.locator("#f-description").click()
        page.keyboard.type("眉山东坡区小区电梯坏了一周")
        box = page.locator("#map").bounding_box()
        # About 30.15°N (146 px above the centre at the first zoom, 8): in 眉山市.
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 - 146)
        page.wait_for_selector("#where:has-text('眉山市')", timeout=10_000)
        assert page.locator("#f-city").input_value() == "511400"
        page.keyboard.press("F7")
        page.wait_for_selector("#wrap-body:has-text('已转外市热线')", timeout=10_000)
        assert "028-12345" in page.locator("#wrap-body").inner_text()
        _shot(page, "desk-other-city.png")
        page.keyboard.press("Escape")

        # A fight in the street: create and transfer to 110 (F4), then the three-way call.
        call_110 = ring("13900000002")
        page.select_option("#f-type", "help")
        page.select_option("#f-urgency", "urgent")
        page.locator("#f-description").click()
        page.keyboard.type("嘉定坊门口有人持刀打架，需要警察")
        page.keyboard.press("Alt+a")
        page.keyboard.type("嘉定坊")
        page.wait_for_selector("#places li:has-text('嘉定坊')", timeout=10_000)
        page.keyboard.press("Enter")
        page.keyboard.press("F4")
        page.wait_for_selector("#wrap-body:has-text('已转110')", timeout=10_000)
        assert _order_of_call(live, call_110)["status"] == "transferred_110"
        page.keyboard.press("F6")
        page.keyboard.type("110-20261206-0001")
        page.click("#b-three-way-save")
        page.wait_for_selector("#wrap-body:has-text('三方通话已记录')", timeout=10_000)
        page.keyboard.press("Escape")

        # An ordinary complaint: F2 creates it and the number is read back.
        call_new = ring("13900000003")
        page.locator("#f-description").click()
        page.keyboard.type("乐山大佛景区门口出租车拒载还乱要价")
        page.keyboard.press("Alt+a")
        page.keyboard.type("乐山大佛")
        page.wait_for_selector("#places li:has-text('乐山大佛')", timeout=10_000)
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('f-category').value !== ''", timeout=10_000)
        page.keyboard.press("F2")
        page.wait_for_selector("#wrap-body .number", timeout=10_000)
        made = _order_of_call(live, call_new)
        assert made["status"] == "received"
        with live.client("agent02") as c:
            order = c.get(f"/api/v1/orders/{made['id']}").json()
        assert page.locator("#wrap-body .number").inner_text().replace(" ", "") == order["number"]
        assert order["reporter"]["phone"] == "13900000003"
        assert errors == []
    finally:
        ctx.close()
