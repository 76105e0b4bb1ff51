"""The live stream is scoped like every other read (issue 15, finding 5): a handler's
connection receives the deltas of the orders it may see, its seq stream stays whole (what it
may not see is withheld as seq numbers only), and the center's walls get everything.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets

from tests.wallboard.conftest import WallCenter

SHAWAN = {"lon": 103.5496, "lat": 29.4122}


async def _frames(ws: Any, until: Any, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Messages (heartbeats dropped) until ``until(messages)`` holds."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not until(out):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; got {[m.get('type') for m in out]}"
        raw = await asyncio.wait_for(ws.recv(), left)
        data = json.loads(raw)
        out += [m for m in (data if isinstance(data, list) else [data]) if m["type"] != "heartbeat"]
    return out


def _covered(snapshot_seq: int, messages: list[dict[str, Any]]) -> list[int]:
    """Every seq the messages account for, as the browser client counts them."""
    seqs = []
    for m in messages:
        seqs.append(m["seq"])
        seqs += m.get("merged") or []
    assert seqs == sorted(seqs) and seqs[0] == snapshot_seq + 1, seqs
    return seqs


def _dispatch(wall: WallCenter, unit: str, **overrides: Any) -> dict[str, Any]:
    order = wall.post_order(**overrides)
    with wall.client("dispatcher") as c:
        r = c.post(f"/api/v1/orders/{order['id']}/actions/dispatch", json={"unit_code": unit})
        assert r.status_code == 200, r.text
    return order


def test_a_handlers_stream_skips_another_countys_orders(wall: WallCenter) -> None:
    handler, duty = wall.token("h_511102"), wall.token("duty")

    async def go() -> None:
        async with (
            websockets.connect(f"{wall.ws_url}?token={handler}&batch=1") as mine,
            websockets.connect(f"{wall.ws_url}?token={duty}&batch=1") as center,
        ):
            snap = (await _frames(mine, lambda m: m))[0]
            assert snap["type"] == "snapshot"
            assert {o["county"] for o in snap["orders"]} <= {"511102", None}
            wide = (await _frames(center, lambda m: m))[0]
            elsewhere = await asyncio.to_thread(
                _dispatch, wall, "511111", location=SHAWAN, address="沙湾区"
            )
            own = await asyncio.to_thread(_dispatch, wall, "511102")

            def has(order: dict[str, Any]) -> Any:
                return lambda ms: any(
                    m.get("type") == "order.updated" and m["order"]["id"] == order["id"] for m in ms
                )

            got = await _frames(mine, has(own))
            text = json.dumps(got, ensure_ascii=False)
            assert elsewhere["id"] not in {str((m.get("order") or {}).get("id")) for m in got}
            assert elsewhere["number"] not in text and "沙湾区" not in text
            seqs = _covered(snap["seq"], got)
            assert seqs == list(range(snap["seq"] + 1, seqs[-1] + 1)), "a hole in the seqs"
            # The center's wall sees both, in full.
            full = await _frames(center, has(own))
            ids = {str((m.get("order") or {}).get("id")) for m in full}
            assert {elsewhere["id"], own["id"]} <= ids
            assert all(m["type"] != "withheld" for m in full)
            assert _covered(wide["seq"], full)

    asyncio.run(go())


def test_an_order_passed_out_of_the_scope_is_withdrawn(wall: WallCenter) -> None:
    handler = wall.token("h_511102")
    order = _dispatch(wall, "511102")

    async def go() -> None:
        async with websockets.connect(f"{wall.ws_url}?token={handler}&batch=1") as ws:
            snap = (await _frames(ws, lambda m: m))[0]
            assert order["id"] in {o["id"] for o in snap["orders"]}

            def redispatch() -> None:
                with wall.client("dispatcher") as c:
                    r = c.post(
                        f"/api/v1/orders/{order['id']}/actions/redispatch",
                        json={"unit_code": "511111"},
                    )
                    assert r.status_code == 200, r.text

            await asyncio.to_thread(redispatch)
            got = await _frames(
                ws,
                lambda ms: any(
                    m["type"] == "order.withdrawn" and m["id"] == order["id"] for m in ms
                ),
            )
            gone = next(m for m in got if m["type"] == "order.withdrawn")
            assert gone["order"] == {"id": order["id"], "status": "withdrawn"}
            assert _covered(snap["seq"], got)

    asyncio.run(go())
