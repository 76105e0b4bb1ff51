"""The handlers' workbench (``/handler``) in Debian's headless Chromium, as a phone (390×844,
touch): the lists, each action, a reply with a photo taken offline and sent once when the
network returns, an answer lost on the way, a conflict shown plainly (issue 18).

Screenshots go to ``SCREENSHOTS`` (``DISPATCH_SCREENSHOTS_DIR=docs/screenshots`` for the
README's).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order
from tests.api.test_cohandlers import exif_segment
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

COUNTY, TOWNSHIP, VILLAGE = "511102", "511102S01", "511102S01V01"
PHONE = {"width": 390, "height": 844}


def _client(live: LiveCenter, user: str) -> httpx.Client:
    return live.client(user)


def _act(live: LiveCenter, user: str, oid: str, action: str, **body: Any) -> dict[str, Any]:
    with _client(live, user) as c:
        r = c.post(f"/api/v1/orders/{oid}/actions/{action}", json=body)
    assert r.status_code == 200, f"{action} by {user}: {r.text}"
    return dict(r.json())


def _order(live: LiveCenter, oid: str, user: str = "dispatcher") -> dict[str, Any]:
    with _client(live, user) as c:
        r = c.get(f"/api/v1/orders/{oid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _passed_down(live: LiveCenter, to: str = VILLAGE, text: str | None = None) -> str:
    """An order the center gave 市中区, passed down to ``to`` (a street or a community)."""
    body = new_order(description=text) if text else new_order()
    with _client(live, "dispatcher") as c:
        oid = str(c.post("/api/v1/orders", json=body).json()["id"])
    _act(live, "dispatcher", oid, "dispatch", unit_code=COUNTY)
    _act(live, f"h_{COUNTY}", oid, "accept")
    _act(live, f"h_{COUNTY}", oid, "assign_down", unit_code=TOWNSHIP, note="请街道核实处理")
    if to == VILLAGE:
        _act(live, f"h_{TOWNSHIP}", oid, "accept")
        _act(live, f"h_{TOWNSHIP}", oid, "assign_down", unit_code=VILLAGE, note="请网格员上门")
    return oid


@pytest.fixture
def phone(browser: Any, live: LiveCenter) -> Iterator[Any]:
    """``phone("h_511102S01V01")`` → (context, page) signed in on a phone-sized screen."""
    contexts: list[Any] = []

    def make(user: str, *, lang: str | None = None, workers: str = "block") -> tuple[Any, Any]:
        ctx = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            service_workers=workers,
        )
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        query = f"?token={live.token(user)}" + (f"&lang={lang}" if lang else "")
        page.goto(live.base_url + "/handler" + query)
        page.wait_for_selector("#tabs .tab")
        return ctx, page

    yield make
    for ctx in contexts:
        ctx.close()


def _shot(page: Any, name: str, *, full: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full)


def _open(page: Any, oid: str) -> None:
    item = page.locator(f"#list [data-order='{oid}']").first
    try:
        item.wait_for(timeout=10_000)
    except Exception:
        _shot(page, "debug-open.png", full=True)
        raise
    item.click()
    page.wait_for_selector("#card .actions")


def _count(page: Any, tab: str) -> int:
    return int(page.locator(f"[data-tab='{tab}'] .count").inner_text())


def _photo(page: Any) -> bytes:
    """A real, decodable JPEG from the browser's canvas, with a phone's EXIF put in."""
    url = page.evaluate(
        """() => { const c = document.createElement('canvas'); c.width = 1600; c.height = 1200;
        const g = c.getContext('2d'); g.fillStyle = '#6a8f3a'; g.fillRect(0, 0, 1600, 1200);
        g.fillStyle = '#ccc'; g.fillRect(300, 500, 1000, 400);
        return c.toDataURL('image/jpeg', 0.9); }"""
    )
    jpeg = base64.b64decode(url.split(",", 1)[1])
    return jpeg[:2] + exif_segment(103.7665, 29.5521) + jpeg[2:]


def test_a_community_replies_with_a_photo_offline_and_the_answer_climbs(
    phone: Any, live: LiveCenter
) -> None:
    oid = _passed_down(live, text="嘉州长卷步道旁垃圾堆积三天无人清运，气味很大")
    ctx, page = phone(f"h_{VILLAGE}")
    page.locator("[data-tab='to_accept']").click()
    assert page.locator(f"#list [data-order='{oid}']").count() == 1
    assert _count(page, "to_accept") >= 1
    _shot(page, "handler-phone-list.png")
    _open(page, oid)
    # The card: the citizen's words, the number to call (this unit holds the order), the
    # map with the areas and the place, the deadline counting down, the tier path.
    card = page.locator("#card")
    assert "气味很大" in card.inner_text()
    assert page.locator("#card a.dial").get_attribute("href") == "tel:13812345678"
    page.wait_for_selector("#minimap path.leaflet-interactive")
    page.wait_for_selector("#minimap .area-label")
    assert "剩余" in page.locator("#card .deadlines .countdown").first.inner_text()
    assert "市中区 → " in page.locator("#card .chain").inner_text()
    _shot(page, "handler-phone-card.png", full=True)

    ctx.set_offline(True)
    page.wait_for_selector("#offline", state="visible")
    page.locator("[data-act='accept']").click()
    page.wait_for_function("() => document.querySelector('#sync').textContent === '待同步 1'")
    # Offline, the card goes on from what the phone knows: 签收 is done, 办结 is open.
    page.wait_for_selector("[data-act='report_up']")
    assert page.locator("[data-act='accept']").count() == 0
    page.locator("[data-act='report_up']").click()
    form = page.locator("dialog#form")
    form.locator("textarea[name=note]").fill("已上门清理，垃圾已清运，现场照片见附件")
    form.locator("input[name=outcome][value=solved]").check()
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _photo(page)}]
    )
    page.wait_for_selector("#previews img")
    _shot(page, "handler-phone-reply.png")
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#sync').textContent === '待同步 2'")
    _shot(page, "handler-phone-offline.png")
    # Nothing reached the center while offline.
    assert _order(live, oid)["status"] == "dispatched"

    ctx.set_offline(False)
    page.wait_for_selector("#sync", state="hidden", timeout=15_000)
    order = _order(live, oid)
    assert order["assigned_unit"]["code"] == TOWNSHIP and order["status"] == "in_progress"
    mine = [t for t in order["timeline"] if t["actor"] == f"h_{VILLAGE}"]
    assert [t["action"] for t in mine] == ["accept", "report_up"]
    report = mine[1]
    assert report["data"]["outcome"] == "solved" and len(report["data"]["photos"]) == 1
    assert report["data"]["place"]["lon"] == pytest.approx(103.7665, abs=1e-4)
    with _client(live, "dispatcher") as c:
        stored = c.get(f"/api/v1/orders/{oid}/photos/{report['data']['photos'][0]['id']}")
    assert stored.status_code == 200 and b"SecretPhone" not in stored.content
    assert stored.content[:2] == b"\xff\xd8" and len(stored.content) < 400_000

    # The street reports up, the county answers the citizen; the center sees it all.
    _act(live, f"h_{TOWNSHIP}", oid, "report_up", note="社区已处理，街道复核属实")
    _act(live, f"h_{COUNTY}", oid, "reply", note="经街道、社区处理，垃圾已清运", outcome="solved")
    assert _order(live, oid)["status"] == "replied"
    _, county = phone(f"h_{COUNTY}")
    county.goto(f"{live.base_url}/handler#order={oid}")  # a link to one order's card
    county.wait_for_selector("#card .history")
    county.wait_for_selector("#card .history img")
    county.wait_for_selector("#minimap .area-label")
    _shot(county, "handler-phone-county-history.png", full=True)
    assert county.errors == [] and page.errors == []


def test_each_action_is_applied_once_when_its_answer_is_lost(phone: Any, live: LiveCenter) -> None:
    oid = _passed_down(live)
    ctx, page = phone(f"h_{VILLAGE}")
    _open(page, oid)
    calls: list[int] = []

    def lose_first_answer(route: Any) -> None:
        answer = route.fetch()  # the server acts...
        calls.append(answer.status)
        if len(calls) == 1:
            route.abort()  # ...and the phone never hears of it
        else:
            route.fulfill(response=answer)

    page.route("**/actions/accept", lose_first_answer)
    page.locator("[data-act='accept']").click()
    for _ in range(150):  # the route handler runs in this thread: let it
        if calls:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    assert calls == [200]
    assert page.locator("#sync").inner_text() == "待同步 1"  # kept: no answer came
    # Acting again does not queue the same action twice.
    assert page.locator("[data-act='accept']").count() == 0
    ctx.set_offline(True)
    ctx.set_offline(False)  # the network returns: the queue is sent again
    page.wait_for_selector("#sync", state="hidden", timeout=15_000)
    assert calls == [200, 200]
    accepts = [t for t in _order(live, oid)["timeline"] if t["action"] == "accept"]
    assert [t["actor"] for t in accepts] == [f"h_{COUNTY}", f"h_{TOWNSHIP}", f"h_{VILLAGE}"]


def test_a_conflict_is_shown_plainly(phone: Any, live: LiveCenter) -> None:
    oid = _passed_down(live)
    ctx, page = phone(f"h_{VILLAGE}")
    _open(page, oid)
    ctx.set_offline(True)
    page.locator("[data-act='accept']").click()
    page.wait_for_function("() => document.querySelector('#sync').textContent === '待同步 1'")
    _act(live, "admin", oid, "accept")  # someone else acts first
    ctx.set_offline(False)
    box = page.locator(".conflict")
    box.wait_for(state="visible", timeout=15_000)
    text = box.inner_text()
    assert "已被他人先处理" in text and "admin 已先处理" in text and "已签收" in text
    page.wait_for_selector("#sync", state="hidden")
    _shot(page, "handler-phone-conflict.png")
    accepts = [t["actor"] for t in _order(live, oid)["timeline"] if t["action"] == "accept"]
    assert accepts.count("admin") == 1 and f"h_{VILLAGE}" not in accepts


def test_pass_down_hand_back_extension_and_supervision_from_the_phone(
    phone: Any, live: LiveCenter
) -> None:
    oid = _passed_down(live, to=TOWNSHIP)
    _, street = phone(f"h_{TOWNSHIP}")
    _open(street, oid)
    street.locator("[data-act='accept']").click()
    street.wait_for_selector("[data-act='assign_down']")
    street.locator("[data-act='assign_down']").click()
    form = street.locator("dialog#form")
    form.locator("select[name=unit_code]").select_option(VILLAGE)
    form.locator("textarea[name=note]").fill("请网格员当天上门")
    due = datetime.now() + timedelta(days=1)
    form.locator("input[name=due]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    _shot(street, "handler-phone-assign-down.png")
    form.locator("button[type=submit]").click()
    street.wait_for_function("() => !document.querySelector(\"[data-act='assign_down']\")")
    order = _order(live, oid)
    assert order["assigned_unit"]["code"] == VILLAGE
    assert order["delegation"][-1]["note"] == "请网格员当天上门"
    assert order["delegation"][-1]["due"] is not None

    # The community hands it back with a reason from the list.
    _, village = phone(f"h_{VILLAGE}")
    _open(village, oid)
    village.locator("[data-act='hand_back']").click()
    form = village.locator("dialog#form")
    form.locator("select[name=reason_code]").select_option("wrong_area")
    form.locator("textarea[name=note]").fill("地点在相邻社区")
    form.locator("button[type=submit]").click()
    village.wait_for_selector("#sync", state="hidden")
    order = _order(live, oid)
    assert order["assigned_unit"]["code"] == TOWNSHIP
    assert order["timeline"][-1]["data"]["reason_code"] == "wrong_area"

    # The street asks for more time: a new date among the working days, and a reason.
    street.reload()
    street.wait_for_selector("#tabs .tab")
    street.locator("[data-tab='in_hand']").click()  # back with the street, signed already
    _open(street, oid)
    street.locator("[data-act='request_extension']").click()
    form = street.locator("dialog#form")
    form.locator("select[name=until]").select_option("2")
    form.locator("textarea[name=note]").fill("需协调环卫车辆")
    form.locator("button[type=submit]").click()
    street.wait_for_selector("#sync", state="hidden")
    order = _order(live, oid)
    assert order["extension_pending"] is True
    assert order["timeline"][-1]["data"]["extension"] == {"value": 2, "unit": "working_days"}

    # The center issues a 督办单; the street answers it from the 督办 list.
    answer_by = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    with _client(live, "duty") as c:
        r = c.post(
            f"/api/v1/supervision/orders/{oid}/supervision-orders",
            json={"level": "supervise", "requirement": "请说明办理进度", "answer_by": answer_by},
        )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    street.reload()
    street.wait_for_selector("#tabs .tab")
    assert _count(street, "supervision") >= 1
    street.locator("[data-tab='supervision']").click()
    street.locator(f"#list [data-sid='{sid}']").click()
    street.wait_for_selector("[data-act='answer_supervision']")
    street.locator("[data-act='answer_supervision']").click()
    street.locator("dialog#form textarea[name=answer]").fill("已协调环卫车辆，明日清运完毕")
    street.locator("dialog#form button[type=submit]").click()
    street.wait_for_selector("#sync", state="hidden")
    with _client(live, "duty") as c:
        ladder = c.get(f"/api/v1/supervision/orders/{oid}").json()
    assert "已协调环卫车辆" in str(ladder)


def test_installable_from_our_own_origin(phone: Any, live: LiveCenter) -> None:
    with httpx.Client(base_url=live.base_url) as c:
        r = c.get("/handler/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest")
    manifest = r.json()
    assert manifest["start_url"] == "/handler" and manifest["scope"] == "/handler"
    assert manifest["display"] == "standalone" and manifest["icons"]
    _, page = phone(f"h_{COUNTY}", workers="allow")
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert urlsplit(scope).path == "/handler"
    page.reload()
    page.wait_for_selector("#tabs .tab")
    ours = urlsplit(live.base_url).netloc
    assert [u for u in requests if urlsplit(u).netloc not in (ours, "")] == []
    # English on request.
    page.goto(live.base_url + "/handler?lang=en")
    page.wait_for_selector("#tabs .tab")
    assert "To accept" in page.locator("#tabs").inner_text()
    assert page.errors == []


@pytest.mark.parametrize(("width", "height"), [(360, 640), (820, 1180)])
def test_fits_a_small_phone_and_a_tablet_with_large_targets(
    browser: Any, live: LiveCenter, width: int, height: int
) -> None:
    oid = _passed_down(live)
    ctx = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=width < 600,
        has_touch=True,
        locale="zh-CN",
        service_workers="block",
    )
    try:
        page = ctx.new_page()
        page.goto(f"{live.base_url}/handler?token={live.token(f'h_{VILLAGE}')}")
        page.wait_for_selector("#tabs .tab")
        _shot(page, f"handler-{width}x{height}-list.png")
        _open(page, oid)
        page.wait_for_selector("#minimap path.leaflet-interactive")
        _shot(page, f"handler-{width}x{height}-card.png")
        # Nothing wider than the screen; every button a thumb can hit (44 px and more).
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for sel in ("#card .act", "#card .back", "#card a.dial"):
            for box in [el.bounding_box() for el in page.locator(sel).all()]:
                assert box is not None and box["height"] >= 44, (sel, box)
        page.locator("#back").click()
        for box in [el.bounding_box() for el in page.locator("#tabs .tab").all()]:
            assert box is not None and box["height"] >= 44 and box["width"] >= 44
    finally:
        ctx.close()
