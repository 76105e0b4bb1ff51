"""The base map is folium's script, served as a file behind the wall's gate: the page
names it by a digest of its content, and it loads nothing from outside our server."""

from __future__ import annotations

import json
import re

import httpx

from tests.api.conftest import LiveCenter


def test_the_page_loads_folium_s_map_script_by_its_digest(live: LiveCenter) -> None:
    token = live.token("duty")
    with (
        httpx.Client(base_url=live.base_url, timeout=30) as nobody,
        httpx.Client(base_url=live.base_url, timeout=30, cookies={"dc_session": token}) as wall,
    ):
        page = wall.get("/wallboard")
        assert page.status_code == 200, page.text
        found = re.search(r'<div id="(map_\w+)" class="dc-map">', page.text)
        src = re.search(r'<script src="(/wallboard/map\.js\?v=(\w+))"></script>', page.text)
        assert found and src, page.text[:2000]
        script = wall.get(src.group(1))
        assert nobody.get(src.group(1)).status_code == 401
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "immutable" in script.headers["cache-control"]
    body = script.text
    # folium's code draws into the page's element and hands the pages their layers.
    assert f'L.map(\n                "{found.group(1)}"' in body
    assert "L.markerClusterGroup(" in body and "window.DC_MAP = {map: map_dc," in body
    decode = json.JSONDecoder().raw_decode
    labels = [decode(body, m.end())[0] for m in re.finditer(r'"html": ', body)]
    names = {re.sub(r"<[^>]+>", "", h) for h in labels if 'class="county-label"' in h}
    assert len(names) == 11 and {"市中区", "峨眉山市", "马边彝族自治县"} <= names, names
    assert not re.search(r"https?://", body), "the map must load nothing from elsewhere"
    assert "<script" not in body


def test_an_unknown_version_is_not_cached(live: LiveCenter) -> None:
    with httpx.Client(
        base_url=live.base_url, timeout=30, cookies={"dc_session": live.token("duty")}
    ) as wall:
        r = wall.get("/wallboard/map.js?v=old")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
