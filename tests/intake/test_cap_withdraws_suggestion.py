"""A CAP warning that ends takes back the mode suggestion it raised, over HTTP on a fresh
center each: Cancel or an Update below Severe withdraws an open suggestion (history and
change log name the CAP feed and why), an expired warning too; an accepted one stays
accepted, and only records (and tells the wall) that its warning ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from feeds.systems.weather_cap import SENDER, _ts, build_warning
from tests.api.conftest import LiveCenter
from tests.intake.conftest import drain, source


def _post(live: LiveCenter, xml: bytes, expect: int = 202) -> None:
    with source(live) as c:
        r = c.post("/api/v1/feeds/cap", content=xml)
    assert r.status_code == expect, r.text
    drain(live)


def _suggestions(live: LiveCenter, status: str) -> list[dict[str, Any]]:
    r = live.client("flood_hq").get("/api/v1/mode/suggestions", params={"status": status})
    assert r.status_code == 200, r.text
    return [s for s in r.json()["suggestions"] if s["kind"] == "cap_alert"]


def _changes(live: LiveCenter, after: int) -> list[dict[str, Any]]:
    with psycopg.connect(live.center.db.url) as conn:
        rows = conn.execute(
            "SELECT payload FROM change_log WHERE seq > %s AND kind = 'mode.suggestion'"
            " ORDER BY seq",
            (after,),
        ).fetchall()
    return [r[0] for r in rows]


def _last_seq(live: LiveCenter) -> int:
    with psycopg.connect(live.center.db.url) as conn:
        row = conn.execute("SELECT last FROM change_seq").fetchone()
    assert row is not None
    return int(row[0])


def _chain(ident: str, sent: datetime) -> tuple[bytes, Callable[..., bytes]]:
    """An Alert and a maker of later messages of its chain."""

    def later(n: int, msg_type: str, level: str = "红色") -> bytes:
        ref = f"{SENDER},{ident},{_ts(sent)}"
        return build_warning(
            f"{ident}_{n}", sent + timedelta(minutes=n), msg_type, references=ref, level=level
        )

    return build_warning(ident, sent, "Alert"), later


def _history(live: LiveCenter, sid: str) -> list[dict[str, Any]]:
    got = live.client("flood_hq").get("/api/v1/mode/history").json()["history"]
    return [h for h in got if h["suggestion_id"] == sid]


def test_cancel_withdraws_only_when_no_other_warning_holds_it(fresh_live: LiveCenter) -> None:
    sent = datetime.now(UTC) - timedelta(minutes=10)
    a_alert, a_next = _chain(f"WA{time.time_ns()}", sent)
    b_alert, b_next = _chain(f"WB{time.time_ns()}", sent)
    _post(fresh_live, a_alert)
    _post(fresh_live, b_alert)  # another warning over the same counties: the same suggestion
    [open_] = _suggestions(fresh_live, "open")
    assert len(open_["sources"]) == 2
    _post(fresh_live, a_next(1, "Cancel"))
    [still] = _suggestions(fresh_live, "open")  # B still holds it up
    assert still["id"] == open_["id"] and len(still["sources"]) == 1
    before = _last_seq(fresh_live)
    _post(fresh_live, b_next(1, "Cancel"))
    assert _suggestions(fresh_live, "open") == []
    [gone] = _suggestions(fresh_live, "withdrawn")
    assert gone["id"] == open_["id"]
    assert gone["decided_by"] == "feed:weather_cap"
    assert gone["decision_note"].startswith("预警已解除")
    assert gone["condition_ended_at"]
    # the wall hears of it through the change log, once
    [change] = _changes(fresh_live, before)
    assert change["suggestion"]["status"] == "withdrawn" and "建议已撤回" in change["notice"]
    [entry] = [h for h in _history(fresh_live, gone["id"]) if h["action"] == "suggestion.withdrawn"]
    assert entry["by"] == "feed:weather_cap" and entry["status"] == "withdrawn"
    assert entry["reason"].startswith("预警已解除")
    # the same Cancel again: 200, nothing more
    seq = _last_seq(fresh_live)
    _post(fresh_live, b_next(1, "Cancel"), expect=200)
    assert _changes(fresh_live, seq) == []
    # a withdrawn suggestion cannot be accepted any more
    r = fresh_live.client("flood_hq").post(f"/api/v1/mode/suggestions/{gone['id']}/accept")
    assert r.status_code == 409, r.text
    assert fresh_live.client("duty").get("/api/v1/mode").json()["mode"] == "normal"


def test_update_below_severe_withdraws(fresh_live: LiveCenter) -> None:
    alert, later = _chain(f"WU{time.time_ns()}", datetime.now(UTC) - timedelta(minutes=10))
    _post(fresh_live, alert)
    _post(fresh_live, later(1, "Update", "橙色"))  # still Severe: still suggested
    [open_] = _suggestions(fresh_live, "open")
    _post(fresh_live, later(2, "Update", "黄色"))  # Moderate: below the trigger threshold
    assert _suggestions(fresh_live, "open") == []
    [gone] = _suggestions(fresh_live, "withdrawn")
    assert gone["id"] == open_["id"] and "低于触发阈值" in gone["decision_note"]


def test_expired_warning_withdraws(fresh_live: LiveCenter) -> None:
    # build_warning expires 12 hours after it is sent: this one expires in a few seconds
    sent = datetime.now(UTC) - timedelta(hours=12) + timedelta(seconds=4)
    alert, _ = _chain(f"WE{time.time_ns()}", sent)
    _post(fresh_live, alert)
    assert len(_suggestions(fresh_live, "open")) == 1
    deadline = time.monotonic() + 20
    while _suggestions(fresh_live, "open") and time.monotonic() < deadline:
        time.sleep(0.5)
    [gone] = _suggestions(fresh_live, "withdrawn")
    assert gone["decided_by"] == "feed:weather_cap" and "已过期" in gone["decision_note"]


def test_accepted_suggestion_stays_and_says_the_warning_ended(fresh_live: LiveCenter) -> None:
    alert, later = _chain(f"WK{time.time_ns()}", datetime.now(UTC) - timedelta(minutes=10))
    _post(fresh_live, alert)
    [open_] = _suggestions(fresh_live, "open")
    hq = fresh_live.client("flood_hq")
    r = hq.post(f"/api/v1/mode/suggestions/{open_['id']}/accept")
    assert r.status_code == 200, r.text
    before = _last_seq(fresh_live)
    _post(fresh_live, later(1, "Cancel"))
    [kept] = _suggestions(fresh_live, "accepted")
    assert kept["id"] == open_["id"] and kept["decided_by"] == "flood_hq"
    assert kept["condition_ended_at"] and kept["condition_note"].startswith("预警已解除")
    assert _suggestions(fresh_live, "withdrawn") == []
    mode = fresh_live.client("duty").get("/api/v1/mode").json()
    assert mode["mode"] == "emergency"  # people decided; a person ends it
    [change] = _changes(fresh_live, before)
    assert change["suggestion"]["status"] == "accepted" and change["notice"]
    assert change["actor"] == "feed:weather_cap"
    newest = _history(fresh_live, kept["id"])[0]  # newest first
    assert newest["action"] == "suggestion.condition_ended" and newest["by"] == "feed:weather_cap"


def test_warning_already_expired_on_arrival_raises_no_suggestion(fresh_live: LiveCenter) -> None:
    # Sent 13 hours ago, expired an hour ago: a late delivery must not ask the HQ anything.
    sent = datetime.now(UTC) - timedelta(hours=13)
    alert, _ = _chain(f"WX{time.time_ns()}", sent)
    before = _last_seq(fresh_live)
    _post(fresh_live, alert)
    assert _suggestions(fresh_live, "open") == []
    assert _suggestions(fresh_live, "withdrawn") == []
    assert _changes(fresh_live, before) == []
    # The warning itself is still kept (its layer and its chain), only not suggested.
    with psycopg.connect(fresh_live.center.db.url) as conn:
        kept = conn.execute(
            "SELECT count(*) FROM feed_events WHERE system = 'weather_cap' AND received_at > %s",
            (datetime.now(UTC) - timedelta(minutes=5),),
        ).fetchone()
    assert kept is not None and kept[0] >= 1
