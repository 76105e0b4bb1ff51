"""The live protocol's messages: snapshot, numbered deltas and heartbeats.

Pure functions over plain data (rows of the change log, order rows): what a wall screen
is sent, and which updates may be coalesced. A screen is read by whoever walks past it, so
what it is sent is decided here, by allow-list: an order is its brief (never the reporter),
its free text redacted of phone and ID-card numbers; a feed event carries only the values
declared public for its kind (``dispatch_center.core.disclosure``), whatever the change log
holds; anything else loses every personal key, at any depth.

Messages
--------
``{"type": "snapshot", "seq": N, "sections": {...}}``
    The state at sequence number ``N``; the first message of a fresh connection.
``{"type": "<kind>", "seq": N + 1, "at": ..., "id": ..., ...}``
    One committed change (``order.created``, ``order.updated``, ``mode.changed``, feed
    kinds ...), in sequence order with no gaps. A coalesced delta (positions, counts)
    also lists in ``merged`` the later sequence numbers whose newer value it carries;
    those numbers are not sent again on that connection.
``{"type": "heartbeat"}``
    Both ways every few seconds; carries no ``seq``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from dispatch_center.core.disclosure import public_event, redact_text, redact_value
from dispatch_center.intake.events import EVENT_CHANGE_KINDS
from feeds.registry import PUBLIC_VALUES

#: Keys that identify a person; removed from anything sent to a screen, at any depth.
# ("phone" alone is also a channel name, a key of the intake figures: not personal.)
PERSONAL_KEYS = frozenset(
    {"reporter", "reporter_name", "reporter_phone", "caller_phone", "caller_name"}
)

#: Last dotted part of a change kind whose newer value makes an older one useless
#: (a unit's position, a scenic area's head count, a gauge's level).
COALESCIBLE_SUFFIXES = frozenset({"position", "count", "level", "reading"})

#: WebSocket close codes of the protocol.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
CLOSE_NO_HEARTBEAT = 4000

HEARTBEAT = {"type": "heartbeat"}


def mask(value: Any) -> Any:
    """``value`` without personal keys, at any depth.

    Examples
    --------
    >>> mask({"order": {"id": 1, "reporter_phone": "138"}, "reporter": {"name": "张"}})
    {'order': {'id': 1}}
    """
    # Every delta passes here, and feed changes list up to a hundred events of nested
    # values: plain values are kept without a call, plain dicts and lists are recognised
    # by their exact type before the (slower) ABC checks.
    t = type(value)
    if t is dict or (t not in _LEAVES and isinstance(value, Mapping)):
        return {
            k: v if type(v) in _LEAVES else mask(v)
            for k, v in value.items()
            if k not in PERSONAL_KEYS
        }
    if t is list:
        return [v if type(v) in _LEAVES else mask(v) for v in value]
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def order_brief(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a map marker and a queue row need of an order (a DB row or a change payload).

    Examples
    --------
    >>> b = order_brief({"id": 7, "number": "LS1", "status": "received", "urgency": "urgent",
    ...     "lon": 103.7, "lat": 29.5, "reporter_phone": "13800000000",
    ...     "routing": {"path": [{"tier": 1, "code": "511100", "name": "乐山市"},
    ...                          {"tier": 2, "code": "511102", "name": "市中区"}],
    ...                 "queue": "dispatch", "lead": {"code": "u1", "name": "城管"}}})
    >>> b["id"], b["county"], b["lead"]["code"], "reporter_phone" in b
    ('7', '511102', 'u1', False)
    >>> order_brief({"id": 8, "description": "请回电13812345678"})["description"]
    '请回电138****5678'
    """
    routing = row.get("routing") or {}
    path = routing.get("path") or []
    county = next((s for s in path if s.get("tier") == 2), None)
    township = next((s for s in path if s.get("tier") == 3), None)
    # Redacted before it is cut: a number cut in half would no longer be recognised.
    description = redact_text(str(row.get("description") or ""))
    address = row.get("address")
    return {
        "id": str(row["id"]),
        "number": row.get("number"),
        "status": row.get("status"),
        "urgency": row.get("urgency"),
        "type": row.get("request_type"),
        "category": row.get("category_code"),
        "channel": row.get("channel"),
        "lon": row.get("lon"),
        "lat": row.get("lat"),
        "county": county.get("code") if county else None,
        "county_name": county.get("name") if county else None,
        "township_name": township.get("name") if township else None,
        "description": description[:200],
        "address": redact_text(address) if isinstance(address, str) else address,
        "assigned_unit": row.get("assigned_unit"),
        "queue": routing.get("queue"),
        "lead": routing.get("lead"),
        "version": row.get("version"),
        "received_at": _iso(row.get("received_at")),
        "respond_by": _iso(row.get("respond_by")),
        "reply_by": _iso(row.get("reply_by")),
        "extension_pending": row.get("extension_pending"),
    }


def delta(change: Mapping[str, Any]) -> dict[str, Any]:
    """The message for one change-log row (seq, at, kind, entity_id, payload).

    Order changes carry an ``order`` brief; feed-event changes their events as
    :func:`public_feed_events` shows them; other kinds (supervision, modes, health: rare)
    carry their payload minus personal keys, phone and ID-card numbers redacted from its
    text (a callback's outcome, a supervision order's answer).

    Examples
    --------
    >>> d = delta({"seq": 5, "at": None, "kind": "order.updated", "entity_id": "9",
    ...            "payload": {"order": {"id": 9, "status": "dispatched", "reporter_name": "李"},
    ...                        "action": "dispatch", "actor": "dispatcher"}})
    >>> d["type"], d["seq"], d["order"]["status"], d["actor"]
    ('order.updated', 5, 'dispatched', 'dispatcher')
    >>> delta({"seq": 6, "at": None, "kind": "supervision.callback", "entity_id": "3",
    ...        "payload": {"outcome": "市民说可打13812345678再联系"}})["outcome"]
    '市民说可打138****5678再联系'
    """
    payload = dict(change.get("payload") or {})
    kind = str(change["kind"])
    msg: dict[str, Any] = {
        "type": kind,
        "seq": int(change["seq"]),
        "at": _iso(change.get("at")),
        "id": change.get("entity_id"),
    }
    if kind.startswith("order.") and isinstance(payload.get("order"), Mapping):
        msg["order"] = order_brief(payload.pop("order"))
    elif kind in EVENT_CHANGE_KINDS and isinstance(payload.get("events"), list):
        payload["events"] = public_feed_events(payload["events"])
    else:
        payload = redact_value(payload)
    for key, value in mask_fast(payload).items():
        msg.setdefault(key, value)
    return msg


def public_feed_events(events: list[Any]) -> list[Any]:
    """Feed events as a screen may show them: the values public for their kind.

    The intake logs them so already (``intake.events.change_view``); this holds for a change
    logged before that rule, or by a writer that forgot it.

    Examples
    --------
    >>> public_feed_events([{"kind": "police110.transfer", "title": "110转办",
    ...     "values": {"jjdbh": "J1", "bjdh": "13881390021"}}])
    [{'kind': 'police110.transfer', 'title': '110转办', 'values': {'jjdbh': 'J1'}}]
    """
    return [public_event(e, PUBLIC_VALUES) if isinstance(e, Mapping) else e for e in events]


def mask_fast(payload: dict[str, Any]) -> dict[str, Any]:
    """:func:`mask`, skipped when the payload cannot hold a personal key.

    Most changes (feed events, modes, health) never carry one; serialising in C and
    searching the bytes is much cheaper than walking a hundred nested events in Python.
    The search is a superset (any key *starting* like a personal key), so a miss is
    certain and a hit just takes the full walk.

    Examples
    --------
    >>> mask_fast({"events": [{"reporter_phone": "138", "v": 1}]})
    {'events': [{'v': 1}]}
    >>> mask_fast({"events": [{"v": 1}]})
    {'events': [{'v': 1}]}
    """
    try:
        if _PERSONAL_KEY_START.search(orjson.dumps(payload)) is None:
            return payload
    except TypeError:  # not plain JSON data: take the full walk
        pass
    masked: dict[str, Any] = mask(payload)
    return masked


# Every key of PERSONAL_KEYS starts like one of these, as orjson writes keys verbatim.
_PERSONAL_KEY_START = re.compile(rb'"(?:reporter|caller_)')


def coalesce_key(kind: str, entity_id: str | None) -> tuple[str, str] | None:
    """The key under which a newer delta replaces an older unsent one, or ``None``.

    Examples
    --------
    >>> coalesce_key("unit.position", "U7")
    ('unit.position', 'U7')
    >>> coalesce_key("order.updated", "7") is None
    True
    """
    if entity_id is None or kind.rsplit(".", 1)[-1] not in COALESCIBLE_SUFFIXES:
        return None
    return (kind, entity_id)


def parse_since(raw: str | None) -> int | None:
    """``?since=`` as a non-negative integer, ``None`` when absent or not a number.

    Examples
    --------
    >>> parse_since("12"), parse_since(None), parse_since("-3"), parse_since("x")
    (12, None, None, None)
    """
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def needs_snapshot(since: int | None, oldest: int, newest: int, window: int) -> bool:
    """Whether a client resuming after ``since`` must get a fresh snapshot instead of a replay.

    ``oldest``/``newest`` are the first and last seq the log holds; ``window`` is the longest
    replay served.

    Examples
    --------
    >>> [needs_snapshot(s, 1, 100, 50) for s in (None, 99, 100, 49, 50, 101)]
    [True, False, False, True, False, True]
    >>> needs_snapshot(0, 1, 10, 50), needs_snapshot(3, 5, 10, 50)
    (False, True)
    """
    if since is None or since > newest or newest - since > window:
        return True
    # The log must still hold seq since + 1 (or nothing newer happened at all).
    return since < newest and oldest > since + 1
