"""Live video supervision sessions reach the wall: in the snapshot, and as deltas."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg
import websockets

from tests.wallboard.conftest import WallCenter


async def _next(ws: Any, kinds: set[str], timeout: float = 5.0) -> dict[str, Any]:
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        for m in json.loads(raw) if raw.startswith("[") else [json.loads(raw)]:
            if m.get("type") in kinds:
                return m


def test_session_and_participants_reach_the_wall(wall: WallCenter) -> None:
    order = wall.post_order()
    with wall.client("duty") as duty:
        r = duty.post(
            "/api/v1/supervision/sessions",
            json={
                "topic": "沫若大道积水 视频督办",
                "order_ids": [order["id"]],
                "room_url": "https://vc.example.invalid/room/42",
            },
        )
        assert r.status_code in (200, 201), r.text
        session = r.json()
    token = wall.token("duty")

    async def go() -> None:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            snap = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert snap["type"] == "snapshot"
            ids = [s["id"] for s in snap["supervision"]]
            assert str(session["id"]) in ids
            await asyncio.to_thread(
                lambda: (
                    wall.client("leader")
                    .post(f"/api/v1/supervision/sessions/{session['id']}/join")
                    .raise_for_status()
                )
            )
            joined = await _next(ws, {"supervision.joined"})
            assert joined["seq"] > snap["seq"]

    asyncio.run(go())
    # A fresh snapshot lists the leader among those present.
    with wall.client("duty") as duty:
        value = duty.get("/api/v1/wallboard/sections/supervision").json()["value"]
    live = next(s for s in value if s["id"] == str(session["id"]))
    assert "leader" in {p.get("participant") for p in live["present"]}


def test_an_old_session_with_a_script_link_shows_no_live_link(
    open_page: Any, wall: WallCenter
) -> None:
    # Stored before links were checked: straight into the table, as an old row would be.
    with psycopg.connect(wall.center.settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO supervision_sessions (topic, room_url, emergency, created_by, created_at)"
            " VALUES ('旧会议 脚本链接', 'javascript:alert(1)', 'flood', 'duty', now())"
            " RETURNING id"
        ).fetchone()
    assert row is not None
    try:
        p = open_page("/wallboard", "duty")
        panel = p.page.locator("[data-panel='live_sessions']")
        p.page.wait_for_function(
            "() => document.body.innerText.includes('旧会议 脚本链接')", timeout=5000
        )
        hrefs = p.page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        assert not [h for h in hrefs if h.lower().startswith("javascript:")], hrefs
        assert panel.locator(".join.no-link").count() >= 1
    finally:
        with wall.client("duty") as duty:
            duty.post(f"/api/v1/supervision/sessions/{row[0]}/close").raise_for_status()
