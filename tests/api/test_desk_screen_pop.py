"""The screen pop: CTI events posted to the voice webhook as the call centre posts them
(``X-Api-Key``), read back by the seat's desk through the long poll; and the transfer to a
neighbouring city's hotline."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from dispatch_center.core.calendar import SHANGHAI
from dispatch_center.intake.sources import demo_api_key
from tests.api.conftest import LiveCenter, new_order


def _cti(live: LiveCenter) -> httpx.Client:
    s = live.center.settings
    key = demo_api_key(s.demo_api_key, s.data_dir)
    return httpx.Client(base_url=live.base_url, headers={"X-Api-Key": key}, timeout=10)


def _event(kind: str, call_id: str, caller: str, seat: str | None) -> dict[str, Any]:
    body = {
        "event": kind,
        "callId": call_id,
        "caller": caller,
        "time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if seat:
        body["agentId"] = seat
    return body


def _pop(c: httpx.Client, seat: str, known: str = "", wait: float = 15) -> dict[str, Any]:
    r = c.get("/api/v1/desk/screen-pop", params={"seat": seat, "known": known, "wait": wait})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_ring_then_answer_pops_the_callers_history(
    live: LiveCenter, as_user: Callable[[str], httpx.Client]
) -> None:
    agent = as_user("agent01")
    phone = f"139{random.randrange(10**8):08d}"
    seat = f"S{uuid.uuid4().hex[:6]}"
    call_id = f"CTI-{uuid.uuid4().hex[:10]}"
    earlier = agent.post(
        "/api/v1/orders", json=new_order(reporter={"name": "王女士", "phone": phone})
    )
    assert earlier.status_code == 201, earlier.text

    assert _pop(agent, seat, wait=0)["call"] is None
    with _cti(live) as cti:
        assert (
            cti.post(
                "/api/v1/intake/voice/events", json=_event("RING", call_id, phone, seat)
            ).status_code
            == 202
        )
        ringing = _pop(agent, seat)
        assert ringing["call"]["call_id"] == call_id
        assert ringing["call"]["state"] == "ringing"
        assert ringing["call"]["caller"] == phone  # a call-taker sees the number in full
        assert [o["number"] for o in ringing["history"]] == [earlier.json()["number"]]
        assert ringing["history"][0]["open"] is True and ringing["open_orders"] == 1
        assert ringing["repeat_caller"] is True and ringing["calls_this_month"] == 1

        answer = _event("ANSWER", call_id, phone, seat)
        assert cti.post("/api/v1/intake/voice/events", json=answer).status_code == 202
        answered = _pop(agent, seat, known=ringing["key"])
        assert answered["call"]["state"] == "answered" and answered["key"] != ringing["key"]


def test_a_first_time_caller_is_not_a_repeat_caller(
    live: LiveCenter, as_user: Callable[[str], httpx.Client]
) -> None:
    phone = f"138{random.randrange(10**8):08d}"
    seat = f"S{uuid.uuid4().hex[:6]}"
    with _cti(live) as cti:
        # RING without a seat, ANSWER names it (platforms that route on answer)
        call_id = f"CTI-{uuid.uuid4().hex[:10]}"
        cti.post("/api/v1/intake/voice/events", json=_event("RING", call_id, phone, None))
        cti.post("/api/v1/intake/voice/events", json=_event("ANSWER", call_id, phone, seat))
    pop = _pop(as_user("dispatcher"), seat)
    assert pop["call"]["state"] == "answered"
    assert pop["history"] == [] and pop["repeat_caller"] is False
    assert pop["calls_this_month"] == 1


def test_screen_pop_gate_and_input(as_user: Callable[[str], httpx.Client]) -> None:
    assert (
        as_user("leader").get("/api/v1/desk/screen-pop", params={"seat": "A1"}).status_code == 403
    )
    r = as_user("agent01").get("/api/v1/desk/screen-pop", params={"seat": "a b"})
    assert r.status_code == 422 and "seat" in r.text
    r = as_user("agent01").get("/api/v1/desk/screen-pop", params={"seat": "A1", "wait": 99})
    assert r.status_code == 422


def test_transfer_to_a_neighbouring_citys_hotline(as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("agent01")
    where = c.get("/api/v1/desk/neighbour", params={"lon": 103.8, "lat": 30.3}).json()
    assert where == {
        "inside": False,
        "city": {"adcode": "511400", "name": "眉山市", "number": "028-12345"},
    }
    assert c.get("/api/v1/desk/neighbour", params={"lon": 103.76, "lat": 29.56}).json() == {
        "inside": True,
        "city": None,
    }
    r = c.post(
        "/api/v1/desk/city-transfers",
        json={"city": "511400", "lon": 103.8, "lat": 30.3, "call_id": "C9", "note": "眉山东坡区"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["city"]["number"] == "028-12345"
    inside = {"city": "511400", "lon": 103.76, "lat": 29.56}
    r = c.post("/api/v1/desk/city-transfers", json=inside)
    assert r.status_code == 422 and "lon" in r.json()["error"]["fields"]
    r = c.post("/api/v1/desk/city-transfers", json={"city": "110000"})
    assert r.status_code == 422 and "city" in r.json()["error"]["fields"]


def test_the_number_is_masked_for_a_role_that_does_not_see_numbers(live: LiveCenter) -> None:
    # No such role may open the desk today (the gate admits the intake seats only); the
    # service masks all the same, so a role added to the desk later cannot leak numbers.
    import asyncio

    from dispatch_center.accounts.security import Principal
    from dispatch_center.core.roles import Role
    from dispatch_center.desk.screenpop import screen_pop

    phone = f"137{random.randrange(10**8):08d}"
    seat = f"S{uuid.uuid4().hex[:6]}"
    with _cti(live) as cti:
        call_id = f"CTI-{uuid.uuid4().hex[:10]}"
        cti.post("/api/v1/intake/voice/events", json=_event("RING", call_id, phone, seat))
    with live.client("agent01") as c:
        assert _pop(c, seat)["call"]["caller"] == phone
    loop: asyncio.AbstractEventLoop = live.app.state.rollup_worker._task.get_loop()
    for role, shown in ((Role.leader, f"{phone[:3]}****{phone[-4:]}"), (Role.call_taker, phone)):
        view = asyncio.run_coroutine_threadsafe(
            screen_pop(live.center, Principal("x", role), seat), loop
        ).result(10)
        assert view["call"]["caller"] == shown
