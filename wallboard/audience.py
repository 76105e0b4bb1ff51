"""Which deltas of the live stream one connection receives: what its reader may read
(:mod:`dispatch_center.core.visibility`), decided per kind of change.

- ``order.*``, and every other delta that carries an ``order`` (supervision steps,
  督办单 and instructions written on an order's timeline): only when the order is in the
  reader's scope. An order the connection has shown that leaves the scope (re-dispatched
  to another county, say) is *withdrawn*: ``{"type": "order.withdrawn", "id", "order":
  {"id", "status": "withdrawn"}}``; a status that is not live takes the marker off the
  map, and nothing else about the order is said.
- Supervision rows addressed to a unit (a 督办单's or a reminder's ``unit_code``, a task's
  ``owner``): only within the scope.
- The other supervision kinds (a session, who joins or leaves it, its instructions,
  attachments, amendments; callbacks): the center's roles only. Their delta does not say
  which orders a session is about, so it cannot be judged here; a handler's screen reads
  the sessions that concern it through the API, which applies the rule.
- ``mode.*`` and ``feed.health``: everyone. The mode in force sets every unit's time
  limits and is announced city-wide; a connected system's health names no one.
- ``feed.event``, ``cap.alert``, ``unit.position``: everyone, except events on the layers
  of citizens' cases (:data:`CASE_LAYERS`: other hotlines' cases, the 110 linkage), which
  are requests like our orders and go to the center's roles only. Rivers, rain, crowds,
  warnings and rescue teams are the situation every county works in during an emergency
  (which fields an event may carry is the allow-list's business, for every reader alike).
- Any other kind: the center's roles only (a kind added later fails closed).

A connection of the center's roles (the common case, every wall screen) skips all of this.

What a connection may not see is *withheld*, and the stream stays whole: a run of withheld
deltas goes as one ``{"type": "withheld", "seq": first, "merged": [the others]}``, the seq
numbers and nothing else, which every client of the protocol already counts as received
(``merged``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dispatch_center.core.visibility import Scope
from wallboard.hub import Pending

#: Feed layers whose events are citizens' cases (other hotlines' cases, the 110 linkage).
CASE_LAYERS = frozenset({"cases", "linkage"})

#: Kinds every reader receives.
_EVERYONE_PREFIXES = ("mode.",)
_EVERYONE = frozenset({"feed.health"})
_FEED_KINDS = frozenset({"feed.event", "cap.alert", "unit.position"})
#: Supervision rows addressed to a unit, by the key naming the unit.
_UNIT_KEYS = ("unit_code", "owner")

WITHHELD = "withheld"
WITHDRAWN = "order.withdrawn"


def sees(msg: Mapping[str, Any], scope: Scope) -> bool:
    """Whether a reader with ``scope`` may receive the delta ``msg`` (see the module's rules).

    Examples
    --------
    >>> county = Scope(frozenset({"511102", "511102S01"}))
    >>> order = {"type": "order.updated", "order": {"id": "7", "assigned_unit": "511102S01"}}
    >>> sees(order, county), sees(order, Scope(frozenset({"511111"}))), sees(order, Scope())
    (True, False, True)
    >>> sees({"type": "mode.changed"}, county), sees({"type": "supervision.joined"}, county)
    (True, False)
    >>> gauges = {"type": "feed.event", "events": [{"layer": "gauges"}]}
    >>> sees(gauges, county), sees({"type": "feed.event", "events": [{"layer": "cases"}]}, county)
    (True, False)
    >>> sees({"type": "supervision.reminder", "unit_code": "511102S01"}, county)
    True
    """
    if scope.city_wide:
        return True
    kind = str(msg.get("type") or "")
    order = msg.get("order")
    if isinstance(order, Mapping):
        return scope.sees_order(order)
    if kind in _EVERYONE or kind.startswith(_EVERYONE_PREFIXES):
        return True
    if kind in _FEED_KINDS:
        return not _on_case_layers(msg.get("events") or ())
    if kind.startswith("supervision."):
        return any(isinstance(msg.get(k), str) and scope.sees_unit(msg[k]) for k in _UNIT_KEYS)
    return False


def _on_case_layers(events: Iterable[Any]) -> bool:
    return any(isinstance(e, Mapping) and e.get("layer") in CASE_LAYERS for e in events)


class Audience:
    """One connection's reader: its scope and the orders the connection has shown.

    Examples
    --------
    >>> aud = Audience(Scope(frozenset({"511102"})))
    >>> aud.shown_orders([{"id": "7"}])
    >>> mine = {"type": "order.updated", "order": {"id": "8", "assigned_unit": "511102"}}
    >>> gone = {"type": "order.updated", "order": {"id": "7", "assigned_unit": "511111"}}
    >>> other = {"type": "order.created", "order": {"id": "9", "assigned_unit": None}}
    >>> items = [Pending(s, m, None) for s, m in ((4, other), (5, other), (6, mine), (7, gone))]
    >>> [(p.seq, p.msg["type"], p.merged) for p in aud.screen(items)]
    [(4, 'withheld', [5]), (6, 'order.updated', []), (7, 'order.withdrawn', [])]
    >>> Audience(Scope()).everything
    True
    """

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.everything = scope.city_wide
        self._shown: set[str] = set()

    def shown_orders(self, orders: Iterable[Mapping[str, Any]]) -> None:
        """Note the orders a snapshot showed (their withdrawal must reach the client)."""
        self._shown = {str(o["id"]) for o in orders}

    def screen(self, items: list[Pending]) -> list[Pending]:
        """``items`` as this connection may receive them: visible ones as they are (shared
        with every other connection), withdrawn orders as such, the rest withheld.
        """
        out: list[Pending] = []
        run: Pending | None = None
        for item in items:
            order = item.msg.get("order")
            oid = str(order.get("id")) if isinstance(order, Mapping) else None
            if sees(item.msg, self.scope):
                if oid is not None:
                    self._shown.add(oid)
                out.append(item)
                run = None
            elif oid is not None and oid in self._shown:
                self._shown.discard(oid)
                gone = {"type": WITHDRAWN, "at": item.msg.get("at"), "id": oid}
                gone["order"] = {"id": oid, "status": "withdrawn"}
                out.append(Pending(item.seq, gone, None, merged=list(item.merged)))
                run = None
            elif run is None:
                run = Pending(item.seq, {"type": WITHHELD}, None, merged=list(item.merged))
                out.append(run)
            else:
                run.merged += [item.seq, *item.merged]
        return out
