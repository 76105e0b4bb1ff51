"""The work-order lifecycle 接转办督回评 through HTTP, against a live server.

The table below is written out by hand from the issue (it is the specification, not a copy
of ``core.lifecycle.RULES``). For every scenario (an order driven into one status, with the
facts its guards read) and every action, the test asserts: a legal action answers 200 with
the expected new status and appends one timeline entry; an illegal one answers 409 naming
the current status and listing exactly the legal actions, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.conftest import LiveCenter, new_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNIT = "511102"
OTHER_UNIT = "511111"
HANDLER = f"h_{UNIT}"
OTHER_HANDLER = f"h_{OTHER_UNIT}"

ACTIONS = (
    "dispatch",
    "resolve_at_intake",
    "accept",
    "start",
    "reply",
    "request_return",
    "redispatch",
    "uphold_return",
    "request_extension",
    "approve_extension",
    "reject_extension",
    "callback",
    "evaluate",
    "close",
    "reopen",
    "merge",
    "transfer_to_110",
    "return_from_110",
    "assign_down",
    "hand_back",
    "report_up",
)
# The co-handling units' moves on their parts (co_accept, co_reply) leave the order's status
# as it is and depend on the caller's unit: tests/api/test_cohandlers.py.
HANDLER_ACTIONS = frozenset(
    {
        "accept",
        "start",
        "reply",
        "request_return",
        "request_extension",
        "assign_down",
        "hand_back",
        "report_up",
    }
)
ROLE_OF = {
    "dispatcher": "dispatcher",
    "admin": "admin",
    HANDLER: "handler",
    OTHER_HANDLER: "handler",
}

# The body each action is tried with: valid details, so a 409 can only come from the state.
BODIES: dict[str, dict[str, Any]] = {
    "dispatch": {"unit_code": UNIT},
    "redispatch": {"unit_code": OTHER_UNIT},
    "request_return": {"note": "不属于本单位职责范围"},
    "request_extension": {"extension": {"value": 2, "unit": "working_days"}},
    "evaluate": {"rating": "satisfied"},
    "assign_down": {"unit_code": f"{UNIT}S01", "note": "请街道处理"},
    "hand_back": {"note": "不在本街道"},
    "report_up": {"note": "已处理"},
}

Step = tuple[str, dict[str, Any] | None]
DISPATCH: Step = ("dispatch", {"unit_code": UNIT})
ACCEPT: Step = ("accept", {})
START: Step = ("start", {})
REPLY: Step = ("reply", {"note": "已清运完毕"})
CALLBACK: Step = ("callback", {"note": "已电话回访"})
EXTEND: Step = ("request_extension", {"extension": {"value": 2, "unit": "working_days"}})
RETURN: Step = ("request_return", {"note": "地址属沙湾区"})
TRANSFER: Step = ("transfer_to_110", {"note": "涉及治安"})
CLOSE: Step = ("close", {})
MERGE: Step = ("merge", None)  # None: the default body, with the merge target
DONE = [DISPATCH, ACCEPT, START, REPLY]
ASSIGN_DOWN: Step = ("assign_down", {"unit_code": f"{UNIT}S01", "note": "请街道处理"})


def evaluate(rating: str) -> Step:
    return ("evaluate", {"rating": rating})


@dataclass(frozen=True)
class Scenario:
    """An order driven into ``status`` by ``steps``; ``legal`` maps action -> new status."""

    urgency: str
    steps: list[Step]
    status: str
    legal: dict[str, str]
    assigned: bool = True


SCENARIOS: dict[str, Scenario] = {
    "received": Scenario(
        "general",
        [],
        "received",
        {"dispatch": "dispatched", "merge": "merged", "transfer_to_110": "transferred_110"},
        assigned=False,
    ),
    "received_consultation": Scenario(
        "consultation",
        [],
        "received",
        {
            "dispatch": "dispatched",
            "resolve_at_intake": "replied",
            "merge": "merged",
            "transfer_to_110": "transferred_110",
        },
        assigned=False,
    ),
    "dispatched": Scenario(
        "general",
        [DISPATCH],
        "dispatched",
        {
            "accept": "accepted",
            "request_return": "return_requested",
            "redispatch": "dispatched",
            "merge": "merged",
            "transfer_to_110": "transferred_110",
        },
    ),
    "accepted": Scenario(
        "general",
        [DISPATCH, ACCEPT],
        "accepted",
        {
            "start": "in_progress",
            "reply": "replied",
            "request_return": "return_requested",
            "request_extension": "accepted",
            "assign_down": "dispatched",
        },
    ),
    "accepted_extension_pending": Scenario(
        "general",
        [DISPATCH, ACCEPT, EXTEND],
        "accepted",
        {
            "start": "in_progress",
            "reply": "replied",
            "request_return": "return_requested",
            "approve_extension": "accepted",
            "reject_extension": "accepted",
            "assign_down": "dispatched",
        },
    ),
    "in_progress": Scenario(
        "general",
        [DISPATCH, ACCEPT, START],
        "in_progress",
        {"reply": "replied", "request_extension": "in_progress", "assign_down": "dispatched"},
    ),
    "in_progress_extension_pending": Scenario(
        "general",
        [DISPATCH, ACCEPT, START, EXTEND],
        "in_progress",
        {
            "reply": "replied",
            "approve_extension": "in_progress",
            "reject_extension": "in_progress",
            "assign_down": "dispatched",
        },
    ),
    "replied": Scenario("general", DONE, "replied", {"callback": "callback_done"}),
    "callback_done": Scenario(
        "general", [*DONE, CALLBACK], "callback_done", {"evaluate": "evaluated"}
    ),
    "evaluated_satisfied": Scenario(
        "general", [*DONE, CALLBACK, evaluate("satisfied")], "evaluated", {"close": "closed"}
    ),
    "evaluated_basically_satisfied": Scenario(
        "general",
        [*DONE, CALLBACK, evaluate("basically_satisfied")],
        "evaluated",
        {"close": "closed"},
    ),
    "evaluated_unsatisfied": Scenario(
        "general",
        [*DONE, CALLBACK, evaluate("unsatisfied")],
        "evaluated",
        {"close": "closed", "reopen": "dispatched"},
    ),
    "closed_satisfied": Scenario(
        "general", [*DONE, CALLBACK, evaluate("satisfied"), CLOSE], "closed", {}
    ),
    "closed_unsatisfied": Scenario(
        "general",
        [*DONE, CALLBACK, evaluate("unsatisfied"), CLOSE],
        "closed",
        {"reopen": "dispatched"},
    ),
    # 一级抓一级: passed down to a township; the admin stands in for the holding township.
    "passed_down": Scenario(
        "general",
        [DISPATCH, ACCEPT, ASSIGN_DOWN],
        "dispatched",
        {
            "accept": "accepted",
            "hand_back": "in_progress",
            "redispatch": "dispatched",
            "merge": "merged",
            "transfer_to_110": "transferred_110",
        },
        assigned=False,
    ),
    "passed_down_in_progress": Scenario(
        "general",
        [DISPATCH, ACCEPT, ASSIGN_DOWN, ACCEPT, START],
        "in_progress",
        {
            "request_extension": "in_progress",
            "assign_down": "dispatched",
            "hand_back": "in_progress",
            "report_up": "in_progress",
        },
        assigned=False,
    ),
    "return_requested": Scenario(
        "general",
        [DISPATCH, RETURN],
        "return_requested",
        {
            "redispatch": "dispatched",
            "uphold_return": "dispatched",
            "merge": "merged",
            "transfer_to_110": "transferred_110",
        },
    ),
    "transferred_110": Scenario(
        "general",
        [TRANSFER],
        "transferred_110",
        {"return_from_110": "received"},
        assigned=False,
    ),
    "merged": Scenario("general", [MERGE], "merged", {}, assigned=False),
}


class Desk:
    """The people at work on the live center, each with a signed-in client.

    Every action goes through :meth:`act`, which checks the timeline grew by exactly one
    entry naming who, in which role, when, and from which status to which.
    """

    def __init__(self, live: LiveCenter) -> None:
        self.live = live
        self.clients: dict[str, httpx.Client] = {}
        self._target: str | None = None

    def client(self, username: str) -> httpx.Client:
        if username not in self.clients:
            self.clients[username] = self.live.client(username)
        return self.clients[username]

    @property
    def observer(self) -> httpx.Client:
        return self.client("dispatcher")

    def close(self) -> None:
        for c in self.clients.values():
            c.close()

    def create(self, **overrides: Any) -> dict[str, Any]:
        r = self.observer.post("/api/v1/orders", json=new_order(**overrides))
        assert r.status_code == 201, r.text
        return dict(r.json())

    def get(self, order_id: str) -> dict[str, Any]:
        r = self.observer.get(f"/api/v1/orders/{order_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    @property
    def merge_target(self) -> str:
        """An open order other orders are merged into (merging leaves it open)."""
        if self._target is None:
            self._target = self.create(description="并单目标：同一处垃圾堆积")["id"]
        return self._target

    def body_for(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if body is not None:
            return dict(body)
        out = dict(BODIES.get(action, {}))
        if action == "merge":
            out["target_order_id"] = self.merge_target
        return out

    def act(
        self,
        username: str,
        order_id: str,
        action: str,
        body: dict[str, Any] | None = None,
        *,
        expect: str | None = None,
    ) -> dict[str, Any]:
        """Take a legal action and check the response and the new timeline entry."""
        before = self.get(order_id)
        started = datetime.now(SHANGHAI)
        if action == "assign_down" and body is None and before["delegation"]:
            # Passed down once already: pass on to a child of the unit holding it now.
            held = before["assigned_unit"]["code"]
            units = self.client(username).get(f"/api/v1/units/{held}/children").json()["units"]
            body = {"unit_code": units[0]["code"], "note": "继续下派"}
        r = self.client(username).post(
            f"/api/v1/orders/{order_id}/actions/{action}", json=self.body_for(action, body)
        )
        assert r.status_code == 200, f"{action} by {username}: {r.status_code} {r.text}"
        order = r.json()
        if expect is not None:
            assert order["status"] == expect
        assert order["version"] == before["version"] + 1
        after = self.get(order_id)
        assert after["status"] == order["status"]
        assert len(after["timeline"]) == len(before["timeline"]) + 1
        last = after["timeline"][-1]
        assert last["actor"] == username
        assert last["role"] == ROLE_OF[username]
        assert last["action"] == action
        assert last["from"] == before["status"]
        assert last["to"] == order["status"]
        at = datetime.fromisoformat(last["at"])
        assert at.utcoffset() is not None
        assert started - timedelta(seconds=5) <= at <= datetime.now(SHANGHAI) + timedelta(seconds=5)
        if body and body.get("note"):
            assert last["note"] == body["note"]
        return after

    def refuse(
        self, username: str, order_id: str, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """POST an action expected to fail; check the order did not change."""
        before = self.get(order_id)
        r = self.client(username).post(
            f"/api/v1/orders/{order_id}/actions/{action}", json=self.body_for(action, body)
        )
        assert r.status_code >= 400, r.text
        after = self.get(order_id)
        assert after["version"] == before["version"]
        assert after["status"] == before["status"]
        assert len(after["timeline"]) == len(before["timeline"])
        return r

    def actor_for(self, action: str, scenario: Scenario) -> str:
        if action not in HANDLER_ACTIONS:
            return "dispatcher"
        # A handler sees only its unit's orders; on an unassigned order the admin (who
        # may take handler actions) stands in, so the answer is about state, not sight.
        return HANDLER if scenario.assigned else "admin"

    def drive(self, scenario: Scenario) -> dict[str, Any]:
        """A fresh order driven through ``scenario.steps``."""
        order = self.create(urgency=scenario.urgency)
        assert len(self.get(order["id"])["timeline"]) == 1
        for action, body in scenario.steps:
            self.act(self.actor_for(action, scenario), order["id"], action, body)
        final = self.get(order["id"])
        assert final["status"] == scenario.status
        assert len(final["timeline"]) == 1 + len(scenario.steps)
        return final


@pytest.fixture(scope="module")
def desk(live: LiveCenter) -> Iterator[Desk]:
    d = Desk(live)
    yield d
    d.close()


@pytest.fixture(scope="module")
def parked(desk: Desk) -> dict[str, dict[str, Any]]:
    """One order per scenario for the illegal actions (which must leave it unchanged)."""
    return {name: desk.drive(s) for name, s in SCENARIOS.items()}


def test_table_covers_every_action_and_status() -> None:
    statuses = {s.status for s in SCENARIOS.values()}
    statuses |= {to for s in SCENARIOS.values() for to in s.legal.values()}
    assert statuses == {
        "received",
        "dispatched",
        "accepted",
        "in_progress",
        "replied",
        "callback_done",
        "evaluated",
        "closed",
        "return_requested",
        "transferred_110",
        "merged",
    }
    assert {a for s in SCENARIOS.values() for a in s.legal} == set(ACTIONS)


LEGAL = [(n, a) for n, s in SCENARIOS.items() for a in ACTIONS if a in s.legal]
ILLEGAL = [(n, a) for n, s in SCENARIOS.items() for a in ACTIONS if a not in s.legal]


@pytest.mark.parametrize(("scenario", "action"), LEGAL, ids=[f"{n}-{a}" for n, a in LEGAL])
def test_legal_action(desk: Desk, scenario: str, action: str) -> None:
    s = SCENARIOS[scenario]
    order = desk.drive(s)
    after = desk.act(desk.actor_for(action, s), order["id"], action, expect=s.legal[action])
    assert after["status"] == s.legal[action]


@pytest.mark.parametrize(("scenario", "action"), ILLEGAL, ids=[f"{n}-{a}" for n, a in ILLEGAL])
def test_illegal_action(
    desk: Desk, parked: dict[str, dict[str, Any]], scenario: str, action: str
) -> None:
    s = SCENARIOS[scenario]
    r = desk.refuse(desk.actor_for(action, s), parked[scenario]["id"], action)
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "conflict"
    assert err["current_status"] == s.status
    assert set(err["allowed_actions"]) == set(s.legal)
    assert s.status in err["message"]
    assert action in err["message"]


# --- return (退单), review and re-dispatch (改派) -----------------------------------------


def test_return_needs_a_note(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["dispatched"])
    for body in ({}, {"note": ""}, {"note": "   "}):
        r = desk.refuse(HANDLER, order["id"], "request_return", body)
        assert r.status_code == 422, r.text
        assert "note" in r.json()["error"]["fields"]


def test_return_reviewed_then_redispatched_to_another_unit(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["return_requested"])
    assert order["assigned_unit"]["code"] == UNIT
    # The same unit again is no re-dispatch.
    r = desk.refuse("dispatcher", order["id"], "redispatch", {"unit_code": UNIT})
    assert r.status_code == 422
    assert "unit_code" in r.json()["error"]["fields"]
    r = desk.refuse("dispatcher", order["id"], "redispatch", {"unit_code": "999999"})
    assert r.status_code == 422
    assert "unit_code" in r.json()["error"]["fields"]
    after = desk.act(
        "dispatcher",
        order["id"],
        "redispatch",
        {"unit_code": OTHER_UNIT, "note": "改派沙湾区"},
        expect="dispatched",
    )
    assert after["assigned_unit"]["code"] == OTHER_UNIT
    assert after["timeline"][-1]["data"]["unit"] == OTHER_UNIT
    # The first unit lets go of it; the new one sees it and can sign for it.
    with desk.live.client(HANDLER) as c:
        assert c.get(f"/api/v1/orders/{order['id']}").status_code == 404
    after = desk.act(OTHER_HANDLER, order["id"], "accept", expect="accepted")
    assert after["timeline"][-1]["actor"] == OTHER_HANDLER


def test_return_upheld_goes_back_to_the_same_unit(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["return_requested"])
    after = desk.act(
        "dispatcher",
        order["id"],
        "uphold_return",
        {"note": "属市中区辖区，请继续办理"},
        expect="dispatched",
    )
    assert after["assigned_unit"]["code"] == UNIT
    desk.act(HANDLER, order["id"], "accept", expect="accepted")


# --- extension (延期) ------------------------------------------------------------------------


def test_extension_approved_moves_reply_by_later(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["in_progress"])
    reply_by = datetime.fromisoformat(order["deadlines"]["reply_by"])
    r = desk.refuse(HANDLER, order["id"], "request_extension", {})
    assert r.status_code == 422
    assert "extension" in r.json()["error"]["fields"]
    asked = desk.act(HANDLER, order["id"], "request_extension", expect="in_progress")
    assert asked["extension_pending"] is True
    assert datetime.fromisoformat(asked["deadlines"]["reply_by"]) == reply_by
    granted = desk.act("dispatcher", order["id"], "approve_extension", expect="in_progress")
    assert granted["extension_pending"] is False
    longer = datetime.fromisoformat(granted["deadlines"]["reply_by"])
    # Two working days more: at least two calendar days, and at most a holiday block more.
    assert timedelta(days=2) <= longer - reply_by <= timedelta(days=12)
    recorded = granted["timeline"][-1]["data"]["reply_by"]
    assert datetime.fromisoformat(recorded) == longer


def test_extension_rejected_leaves_reply_by(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["accepted_extension_pending"])
    rejected = desk.act(
        "dispatcher", order["id"], "reject_extension", {"note": "理由不充分"}, expect="accepted"
    )
    assert rejected["extension_pending"] is False
    assert rejected["deadlines"] == order["deadlines"]
    # A new request may follow a rejection.
    desk.act(HANDLER, order["id"], "request_extension", expect="accepted")


# --- merge (并单) ----------------------------------------------------------------------------


def test_merge_into_another_order(desk: Desk) -> None:
    target = desk.create(description="同一处：滨江路垃圾堆积")
    order = desk.create()
    after = desk.act(
        "dispatcher", order["id"], "merge", {"target_order_id": target["id"]}, expect="merged"
    )
    assert after["merged_into"] == target["id"]
    assert after["timeline"][-1]["data"]["target_number"] == target["number"]
    assert desk.get(target["id"])["status"] == "received"


@pytest.mark.parametrize(
    "target", ["", "999999999", "self", "abc", "merged_order"], ids=lambda t: t or "missing"
)
def test_merge_target_must_exist_and_differ(desk: Desk, target: str) -> None:
    order = desk.create()
    if target == "self":
        target = order["id"]
    elif target == "merged_order":
        gone = desk.create()
        desk.act("dispatcher", gone["id"], "merge", {"target_order_id": desk.merge_target})
        target = gone["id"]
    body = {"target_order_id": target} if target else {}
    r = desk.refuse("dispatcher", order["id"], "merge", body)
    assert r.status_code == 422, r.text
    assert "target_order_id" in r.json()["error"]["fields"]


# --- reopen (重办) ---------------------------------------------------------------------------


@pytest.mark.parametrize("closed", [False, True], ids=["evaluated", "closed"])
def test_reopen_after_unsatisfied_gives_a_fresh_reply_by(desk: Desk, closed: bool) -> None:
    received = datetime.now(SHANGHAI) - timedelta(days=30)
    order = desk.create(received_at=received.isoformat())
    steps = [*DONE, CALLBACK, evaluate("unsatisfied")] + ([CLOSE] if closed else [])
    for action, body in steps:
        desk.act(HANDLER if action in HANDLER_ACTIONS else "dispatcher", order["id"], action, body)
    old = desk.get(order["id"])
    assert old["last_rating"] == "unsatisfied"
    assert datetime.fromisoformat(old["deadlines"]["reply_by"]) < datetime.now(SHANGHAI)
    after = desk.act(
        "dispatcher", order["id"], "reopen", {"note": "群众不满意，重办"}, expect="dispatched"
    )
    fresh = datetime.fromisoformat(after["deadlines"]["reply_by"])
    assert fresh > datetime.now(SHANGHAI)
    assert after["overdue"] is False
    assert after["last_rating"] is None
    assert after["replied_at"] is None
    # Back with the same unit, which works it again.
    assert after["assigned_unit"]["code"] == UNIT
    desk.act(HANDLER, order["id"], "accept", expect="accepted")


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_reopen_refused_unless_unsatisfied(desk: Desk, rating: str) -> None:
    order = desk.drive(Scenario("general", [*DONE, CALLBACK, evaluate(rating)], "evaluated", {}))
    r = desk.refuse("dispatcher", order["id"], "reopen")
    assert r.status_code == 409
    assert "unsatisfied" in r.json()["error"]["message"]


def test_evaluate_needs_a_known_rating(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["callback_done"])
    for body in ({}, {"rating": "great"}):
        r = desk.refuse("dispatcher", order["id"], "evaluate", body)
        assert r.status_code == 422, r.text
        assert "rating" in r.json()["error"]["fields"]


# --- 110, consultations ----------------------------------------------------------------------


def test_transfer_to_110_and_back(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["dispatched"])
    desk.act(
        "dispatcher",
        order["id"],
        "transfer_to_110",
        {"note": "涉嫌违法，移交公安"},
        expect="transferred_110",
    )
    back = desk.act(
        "dispatcher", order["id"], "return_from_110", {"note": "110反馈：非警务"}, expect="received"
    )
    desk.act("dispatcher", back["id"], "dispatch", {"unit_code": UNIT}, expect="dispatched")
    actions = [t["action"] for t in desk.get(order["id"])["timeline"]]
    assert actions == ["receive", "dispatch", "transfer_to_110", "return_from_110", "dispatch"]


def test_consultation_resolved_at_intake(desk: Desk) -> None:
    order = desk.create(urgency="consultation", category={"type": "consultation"})
    assert order["deadlines"]["reply_by"] == order["deadlines"]["respond_by"]
    after = desk.act(
        "dispatcher",
        order["id"],
        "resolve_at_intake",
        {"note": "已当场解答办理流程"},
        expect="replied",
    )
    assert after["replied_at"] is not None
    assert after["overdue"] is False
    general = desk.create()
    r = desk.refuse("dispatcher", general["id"], "resolve_at_intake")
    assert r.status_code == 409
    assert "consultation" in r.json()["error"]["message"]


# --- who may see and act ------------------------------------------------------------------


def test_handler_of_another_county_gets_404(desk: Desk) -> None:
    order = desk.drive(SCENARIOS["dispatched"])
    with desk.live.client(OTHER_HANDLER) as c:
        r = c.get(f"/api/v1/orders/{order['id']}")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
        r = c.post(f"/api/v1/orders/{order['id']}/actions/accept", json={})
        assert r.status_code == 404
        listed = c.get("/api/v1/orders", params={"limit": 500}).json()["orders"]
        assert order["id"] not in {o["id"] for o in listed}
    with desk.live.client(HANDLER) as c:
        listed = c.get("/api/v1/orders", params={"limit": 500}).json()["orders"]
        assert order["id"] in {o["id"] for o in listed}
        # The county's own orders and its townships' and departments' (issue 15).
        chain = desk.live.center.reference.unit_chain
        assert all(UNIT in chain(o["assigned_unit"]["code"]) for o in listed)
    assert desk.get(order["id"])["status"] == "dispatched"


@pytest.mark.parametrize(
    ("username", "action"),
    [
        (HANDLER, "dispatch"),
        (HANDLER, "close"),
        ("dispatcher", "accept"),
        ("dispatcher", "reply"),
        ("leader", "dispatch"),
        ("auditor", "callback"),
    ],
)
def test_role_that_may_never_take_the_action_gets_403(
    desk: Desk, username: str, action: str
) -> None:
    order = desk.drive(SCENARIOS["dispatched"])
    r = desk.refuse(username, order["id"], action)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"


def test_unknown_action_is_422(desk: Desk) -> None:
    order = desk.create()
    r = desk.refuse("dispatcher", order["id"], "teleport", {})
    assert r.status_code == 422
    assert "action" in r.json()["error"]["fields"]


def test_action_on_missing_order_is_404(desk: Desk) -> None:
    r = desk.observer.post("/api/v1/orders/987654321/actions/dispatch", json={"unit_code": UNIT})
    assert r.status_code == 404
