"""Two people acting on the same order at once: exactly one wins, the other hears who did."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

ROUNDS = 15


def race(
    clients: list[httpx.Client], calls: list[tuple[str, dict[str, Any]]]
) -> list[httpx.Response]:
    """POST ``calls[i]`` with ``clients[i]``, all released at the same instant."""
    barrier = threading.Barrier(len(clients))
    results: list[httpx.Response | BaseException | None] = [None] * len(clients)

    def run(i: int) -> None:
        url, body = calls[i]
        barrier.wait()
        try:
            results[i] = clients[i].post(url, json=body)
        except BaseException as exc:  # surfaced below, never swallowed
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    out: list[httpx.Response] = []
    for r in results:
        assert isinstance(r, httpx.Response), r
        out.append(r)
    return out


@pytest.fixture(scope="module")
def two_dispatchers(live: LiveCenter, make_user: Callable[..., str]) -> Any:
    second = make_user("dispatcher", "511100", prefix="dispatcher2")
    clients = {"dispatcher": live.client("dispatcher"), second: live.client(second)}
    yield clients
    for c in clients.values():
        c.close()


def _create(c: httpx.Client, **overrides: Any) -> dict[str, Any]:
    r = c.post("/api/v1/orders", json=new_order(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _one_winner(
    responses: list[httpx.Response], names: list[str], c: httpx.Client, order_id: str
) -> tuple[int, dict[str, Any]]:
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.text for r in responses]
    win = next(i for i, r in enumerate(responses) if r.status_code == 200)
    lose = responses[1 - win]
    err = lose.json()["error"]
    assert err["code"] == "conflict"
    assert err["changed_by"] == names[win], err
    assert names[win] in err["message"]
    order = c.get(f"/api/v1/orders/{order_id}").json()
    # The winner's change, and only it, is on the record.
    assert order["timeline"][-1]["actor"] == names[win]
    return win, order


def test_two_dispatchers_dispatch_the_same_order(two_dispatchers: dict[str, httpx.Client]) -> None:
    names = list(two_dispatchers)
    clients = [two_dispatchers[n] for n in names]
    wins = {n: 0 for n in names}
    for _ in range(ROUNDS):
        order = _create(clients[0])
        url = f"/api/v1/orders/{order['id']}/actions/dispatch"
        responses = race(clients, [(url, {"unit_code": "511102"}), (url, {"unit_code": "511111"})])
        win, after = _one_winner(responses, names, clients[0], order["id"])
        wins[names[win]] += 1
        assert after["status"] == "dispatched"
        assert after["version"] == order["version"] + 1
        assert after["assigned_unit"]["code"] == ("511102" if win == 0 else "511111")
        assert [t["action"] for t in after["timeline"]] == ["receive", "dispatch"]
    assert sum(wins.values()) == ROUNDS


def test_two_dispatchers_redispatch_with_the_version_they_saw(
    two_dispatchers: dict[str, httpx.Client],
) -> None:
    """Both legal at any moment, so only the version tells the second it acted on old news."""
    names = list(two_dispatchers)
    clients = [two_dispatchers[n] for n in names]
    order = _create(clients[0])
    r = clients[0].post(
        f"/api/v1/orders/{order['id']}/actions/dispatch", json={"unit_code": "511123"}
    )
    assert r.status_code == 200
    seen = r.json()
    units = ["511102", "511111", "511112", "511113"]
    for i in range(ROUNDS):
        a, b = [u for u in units if u != seen["assigned_unit"]["code"]][i % 2 : i % 2 + 2]
        url = f"/api/v1/orders/{order['id']}/actions/redispatch"
        responses = race(
            clients,
            [
                (url, {"unit_code": a, "version": seen["version"], "note": f"round {i}"}),
                (url, {"unit_code": b, "version": seen["version"], "note": f"round {i}"}),
            ],
        )
        win, after = _one_winner(responses, names, clients[0], order["id"])
        assert after["version"] == seen["version"] + 1
        assert after["assigned_unit"]["code"] == (a if win == 0 else b)
        loser = responses[1 - win].json()["error"]
        assert loser["current_version"] == after["version"]
        seen = after
    assert len(seen["timeline"]) == 2 + ROUNDS


def test_stale_version_is_409(live: LiveCenter, as_user: Callable[[str], httpx.Client]) -> None:
    c = as_user("dispatcher")
    order = _create(c)
    url = f"/api/v1/orders/{order['id']}/actions"
    r = c.post(f"{url}/dispatch", json={"unit_code": "511102", "version": order["version"]})
    assert r.status_code == 200
    handler = as_user("h_511102")
    r = handler.post(f"{url}/accept", json={"version": order["version"]})  # stale
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["changed_by"] == "dispatcher"
    assert err["current_status"] == "dispatched"
    assert err["current_version"] == order["version"] + 1
    after = c.get(f"/api/v1/orders/{order['id']}").json()
    assert after["status"] == "dispatched"
    assert len(after["timeline"]) == 2
    r = handler.post(f"{url}/accept", json={"version": order["version"] + 1})
    assert r.status_code == 200
    assert r.json()["status"] == "accepted"
    # A version from the future is as wrong as one from the past.
    r = handler.post(f"{url}/start", json={"version": 99})
    assert r.status_code == 409
    r = handler.post(f"{url}/start", json={"version": 0})
    assert r.status_code == 422
    assert "version" in r.json()["error"]["fields"]


def test_many_actors_one_order_versions_never_repeat(
    live: LiveCenter, make_user: Callable[..., str], as_user: Callable[[str], httpx.Client]
) -> None:
    """Six dispatchers dispatch one order at once: one 200, five 409, one timeline entry."""
    names = ["dispatcher"] + [make_user("dispatcher", "511100", prefix="d6") for _ in range(5)]
    clients = [as_user(n) for n in names]
    order = _create(clients[0])
    url = f"/api/v1/orders/{order['id']}/actions/dispatch"
    responses = race(clients, [(url, {"unit_code": "511102"})] * len(clients))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (len(clients) - 1)
    winner = names[next(i for i, r in enumerate(responses) if r.status_code == 200)]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["changed_by"] == winner
    after = clients[0].get(f"/api/v1/orders/{order['id']}").json()
    assert [t["actor"] for t in after["timeline"][1:]] == [winner]
