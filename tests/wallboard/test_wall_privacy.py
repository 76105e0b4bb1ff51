"""What the wall and the live layers carry: never a caller's name or number, and no phone or
ID-card number typed into free text (issue 15, finding 3).

Reproduces the review's leak end to end: a recorded 110 transfer (caller ``bjr``/``bjdh``, a
number in what the caller said) and an order whose description holds a phone and an ID-card
number, then reads the WebSocket snapshot and deltas and ``GET /api/v1/feeds/layers``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import websockets

from dispatch_center.intake.runtime import IntakeRuntime
from tests.intake.conftest import drain, fixture_bytes
from tests.wallboard.conftest import WallCenter

CALLER = "刘女士"
CALLER_PHONE = "13881390021"
SAID_PHONE = "15912345678"
ID_CARD = "51110219900101123X"
LANDLINE = "0833-2134567"


def _transfer(tag: str) -> bytes:
    """The recorded 110 transfer, made unique, with a number in what the caller said."""
    doc: dict[str, Any] = json.loads(fixture_bytes("police110", "transfer_noise.json"))
    doc["msgId"] = f"110M{tag}"
    doc["body"]["jjdbh"] = f"J{tag}"
    assert doc["body"]["bjr"] == CALLER and doc["body"]["bjdh"] == CALLER_PHONE
    doc["body"]["bjnr"] += f"，有事回电{SAID_PHONE}"
    return json.dumps(doc, ensure_ascii=False).encode()


def _post_transfer(wall: WallCenter, tag: str) -> None:
    key = wall.center.runtimes.get(IntakeRuntime).ingest.sources.demo_api_key
    r = httpx.post(
        f"{wall.base_url}/api/v1/feeds/police110/messages",
        content=_transfer(tag),
        headers={"X-Api-Key": str(key), "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    drain(wall)


async def _until(ws: Any, done: Any, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Messages until ``done(messages)`` holds (heartbeats left out)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        data = json.loads(raw)
        got += [m for m in (data if isinstance(data, list) else [data]) if m["type"] != "heartbeat"]
    return got


def _police_event(msgs: list[dict[str, Any]], tag: str) -> bool:
    return any(e.get("source_id") == f"110M{tag}" for m in msgs for e in m.get("events") or ())


def _snapshot(wall: WallCenter, token: str) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            got = await _until(ws, lambda m: bool(m))
            return got[0]

    return asyncio.run(go())


def test_a_110_callers_name_and_number_reach_no_screen(wall: WallCenter) -> None:
    tag = str(time.time_ns())
    token = wall.token("duty")

    async def go() -> list[dict[str, Any]]:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            await _until(ws, lambda m: bool(m))  # the snapshot
            await asyncio.to_thread(_post_transfer, wall, tag)
            return await _until(ws, lambda m: _police_event(m, tag))

    deltas = json.dumps(asyncio.run(go()), ensure_ascii=False)
    snapshot = json.dumps(_snapshot(wall, token), ensure_ascii=False)
    with wall.client("leader") as c:
        layers = c.get("/api/v1/feeds/layers")
    assert layers.status_code == 200
    assert f"110M{tag}" in layers.text and f"110M{tag}" in snapshot  # the event is there ...
    for where, text in (("deltas", deltas), ("snapshot", snapshot), ("layers", layers.text)):
        # ... without who called, from which number, or the number they gave
        assert CALLER_PHONE not in text, where
        assert CALLER not in text, where
        assert SAID_PHONE not in text, where
    event = next(
        e for e in layers.json()["layers"]["linkage"] if e["values"].get("jjdbh") == f"J{tag}"
    )
    assert "bjdh" not in event["values"] and "bjr" not in event["values"]
    assert event["values"]["fadz"] == "市中区张公桥好吃街旁嘉州苑3栋"


def test_numbers_typed_into_a_description_are_redacted_on_the_wall(wall: WallCenter) -> None:
    token = wall.token("duty")
    description = f"路灯不亮，请回电 138 1234 5678 或 {LANDLINE}，身份证{ID_CARD}"

    async def go() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with websockets.connect(f"{wall.ws_url}?token={token}") as ws:
            await _until(ws, lambda m: bool(m))
            made = await asyncio.to_thread(wall.post_order, description=description)
            got = await _until(
                ws, lambda m: any((x.get("order") or {}).get("id") == made["id"] for x in m)
            )
            return made, got

    made, deltas = asyncio.run(go())
    brief = next(m["order"] for m in deltas if (m.get("order") or {}).get("id") == made["id"])
    snapshot = _snapshot(wall, token)
    on_wall = next(o for o in snapshot["orders"] if o["id"] == made["id"])
    for shown in (brief["description"], on_wall["description"]):
        assert "路灯不亮" in shown
        for secret in ("1234 5678", "2134567", ID_CARD, "199001011"):
            assert secret not in shown, shown
    # the order's own handlers still read what the citizen said
    with wall.client("dispatcher") as c:
        assert c.get(f"/api/v1/orders/{made['id']}").json()["description"] == description
