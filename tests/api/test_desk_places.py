"""``GET /api/v1/geo/places``: the desk's gazetteer search, and importing a center's file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from dispatch_center.desk.places import import_places
from tests.api.conftest import LiveCenter


def _names(c: httpx.Client, q: str) -> list[dict[str, object]]:
    r = c.get("/api/v1/geo/places", params={"q": q})
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


def test_places_contract_and_ranking(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("agent01")
    items = _names(c, "乐山大佛")
    assert items[0] == {
        "name": "乐山大佛",
        "kind": "landmark",
        "lon": 103.769,
        "lat": 29.5447,
        "adcode": "511102",
    }
    # prefix before substring: 沙湾区 and its grid cells start with 沙湾, 沫若故居 does not match
    names = [i["name"] for i in _names(c, "沙湾")]
    assert names[0] == "沙湾区" and names[1] == "沙湾镇"
    # a county ranks before the grid cells of the same prefix
    names = [i["name"] for i in _names(c, "市中区")]
    assert names[0] == "市中区" and all("网格" in str(n) for n in names[1:])
    # substring: 好吃街 finds 张公桥好吃街
    assert [i["name"] for i in _names(c, "好吃街")] == ["张公桥好吃街"]
    # the synthetic grid's names are there too
    assert _names(c, "市中区 网格 01")[0]["kind"] == "grid"


def test_places_bad_input_names_the_field(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("agent01")
    r = c.get("/api/v1/geo/places")
    assert r.status_code == 422 and "q" in r.text
    r = c.get("/api/v1/geo/places", params={"q": "x" * 65})
    assert r.status_code == 422
    assert _names(c, "%") == [] and _names(c, "不存在的地名") == []


def test_a_centers_import_replaces_its_own_names(live: LiveCenter) -> None:
    center = live.center
    loop: asyncio.AbstractEventLoop = live.app.state.rollup_worker._task.get_loop()
    head = "name,kind,lon,lat,datum,adcode\n"

    def run(text: str) -> int:
        fut = asyncio.run_coroutine_threadsafe(import_places(center, text, "test-file"), loop)
        return fut.result(10)

    assert run(head + "测试旧村,village,103.70,29.50,wgs84,511102\n") == 1
    assert run(head + "测试新村,village,103.71,29.51,gcj02,511102\n") == 1
    with live.client("agent01") as c:
        assert _names(c, "测试旧村") == []
        (new,) = _names(c, "测试新村")
        assert new["lon"] != 103.71  # converted from GCJ-02
