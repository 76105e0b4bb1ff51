"""Every event kind a connected system makes has an allow-list, and nothing else leaves.

The kinds are collected the way they arise: every recorded fixture and every simulator of
every scenario through its adapter, then through the rules (which make ``flood.alert``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import pytest

from dispatch_center.core.disclosure import EVENT_FIELDS, public_event
from feeds.base import FeedEvent
from feeds.payload import SHANGHAI
from feeds.registry import PUBLIC_VALUES, Catalogue
from feeds.rules import apply_rules
from feeds.simkit import SCENARIOS
from feeds.simulate import generate
from tests.feeds.conftest import FIXTURES, RECEIVED

CAT = Catalogue.default()

# Keys that name or reach a person, in any adapter's values: none may ever be public.
PERSONAL = {
    "bjr",  # 110 caller
    "bjdh",  # 110 caller's phone
    "user",  # gas account holder
    "device",  # gas meter: one household
    "worker",  # grid worker
    "reporter",  # duty-room clerk
    "picture_url",  # a camera's snapshot of the street
    "recordingUrl",  # a three-way call's recording
    "jd",  # where a 110 caller called from
    "wd",
}


@cache
def produced() -> list[FeedEvent]:
    """Every event the fixtures and the simulators make, after the rules."""
    items: list[FeedEvent] = []
    for folder in sorted(FIXTURES.iterdir()):
        if folder.name not in CAT:
            continue
        for f in sorted(folder.iterdir()):
            out = CAT[folder.name].normalize(f.read_bytes(), received_at=RECEIVED)
            items += apply_rules(out).events
    start = datetime(2026, 7, 12, 6, 0, tzinfo=SHANGHAI)
    for scenario in SCENARIOS:
        for p in generate(scenario, start=start, end=start + timedelta(hours=8)):
            if p.system in CAT:
                items += apply_rules(CAT[p.system].normalize(p.payload, received_at=p.at)).events
    return items


def test_the_fixtures_and_simulators_make_every_kind_of_event() -> None:
    kinds = {e.kind for e in produced()}
    # a sanity check that the collection above really ran every adapter's events
    assert {"police110.transfer", "flood.alert", "cap.alert", "unit.position"} <= kinds
    assert len(kinds) >= 20


def test_every_kind_made_has_an_allow_list() -> None:
    missing = sorted({e.kind for e in produced()} - set(PUBLIC_VALUES))
    assert missing == [], f"event kinds without PUBLIC_VALUES next to their adapter: {missing}"


def test_every_adapter_declares_its_allow_list() -> None:
    for system, adapter in CAT.adapters.items():
        assert isinstance(getattr(adapter, "PUBLIC_VALUES", None), dict), system


def test_no_allow_list_names_a_person() -> None:
    for kind, fields in PUBLIC_VALUES.items():
        assert not fields & PERSONAL, (kind, sorted(fields & PERSONAL))


def test_nothing_outside_the_allow_list_passes() -> None:
    seen_dropped: set[str] = set()
    for e in produced():
        view = {**e.to_dict(), "key": e.source_id, "extra": "not an event field"}
        shown = public_event(view, PUBLIC_VALUES)
        assert set(shown) <= set(EVENT_FIELDS) | {"values"}
        assert set(shown["values"]) <= PUBLIC_VALUES[e.kind], e.kind
        assert set(shown["values"]) == set(e.values) & PUBLIC_VALUES[e.kind]
        seen_dropped |= set(e.values) - set(shown["values"])
    # the personal values the sources do send are among those held back
    assert {"bjr", "bjdh", "user", "worker", "reporter", "picture_url"} <= seen_dropped


def test_a_kind_nobody_declared_shows_no_values() -> None:
    view = {"kind": "new.system.event", "title": "t", "values": {"name": "张三", "n": 1}}
    assert public_event(view, PUBLIC_VALUES)["values"] == {}
    assert Catalogue({}).public_values() == {"flood.alert": PUBLIC_VALUES["flood.alert"]}


@pytest.mark.parametrize(
    "fixture",
    ["transfer_noise.json", "transfer_unclear.json", "status_done.json", "three_way_call.json"],
)
def test_a_recorded_110_message_leaves_without_the_caller(fixture: str) -> None:
    raw = (FIXTURES / "police110" / fixture).read_bytes()
    (event,) = [
        x for x in CAT["police110"].normalize(raw, received_at=RECEIVED) if isinstance(x, FeedEvent)
    ]
    shown = public_event(event.to_dict(), PUBLIC_VALUES)
    for secret in ("13881390021", "13908131234", "刘女士", "王先生", "rec/"):
        assert secret not in str(shown), (fixture, secret)
