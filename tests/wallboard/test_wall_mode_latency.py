"""A mode switch reaches a connected wall within one second (issue 4)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets

from tests.wallboard.conftest import WallCenter


async def _until(ws: Any, kind: str, timeout: float) -> dict[str, Any]:
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        for m in json.loads(raw) if raw.startswith("[") else [json.loads(raw)]:
            if m.get("type") == kind:
                return m


def test_mode_switch_reaches_the_wall_within_a_second(wall: WallCenter) -> None:
    token = wall.token("duty")

    async def go() -> float:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            snap = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert snap["type"] == "snapshot"

            def switch() -> float:
                with wall.client("flood_hq") as c:
                    r = c.post(
                        "/api/v1/mode",
                        json={
                            "mode": "emergency",
                            "emergency_type": "flood",
                            "reason": "岷江五通桥站超警戒水位",
                            "scope": ["511112"],
                        },
                    )
                    assert r.status_code in (200, 201), r.text
                return time.monotonic()

            answered = await asyncio.to_thread(switch)
            delta = await _until(ws, "mode.changed", 5)
            arrived = time.monotonic()
            assert delta["seq"] > snap["seq"]
            return arrived - answered

    try:
        assert asyncio.run(go()) < 1.0
    finally:
        with wall.client("admin") as c:
            c.post(
                "/api/v1/mode", json={"mode": "normal", "reason": "测试结束", "scope": ["511112"]}
            )
