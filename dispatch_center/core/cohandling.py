"""协办: the parts of the co-handling units named at dispatch.

Each co-handling unit's part moves ``dispatched`` → ``accepted`` (协办签收, ``co_accept``) →
``replied`` (协办答复, ``co_reply``, with its text and outcome). The order's own status does not
move: the lead unit sees every part and answers the citizen for the whole (``reply``).
The parts are stored as one JSON object keyed by unit code (``orders.co_parts``).

Pure: plain data in, decisions out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dispatch_center.core.lifecycle import Action

__all__ = ["PartError", "fresh_parts", "move_part", "part_actions"]

_MOVES: dict[Action, tuple[str, str]] = {
    Action.co_accept: ("dispatched", "accepted"),
    Action.co_reply: ("accepted", "replied"),
}


class PartError(Exception):
    """A co-handling move that the part's state does not allow (HTTP 409), or a unit that
    has no part (HTTP 404: ``missing``).
    """

    def __init__(self, message: str, *, missing: bool = False) -> None:
        self.missing = missing
        super().__init__(message)


def fresh_parts(units: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The parts of a new dispatch: every co-handling unit waiting to accept.

    Examples
    --------
    >>> fresh_parts(["b", "a", "b"])
    {'a': {'state': 'dispatched'}, 'b': {'state': 'dispatched'}}
    """
    return {u: {"state": "dispatched"} for u in sorted(set(units))}


def part_actions(parts: Mapping[str, Mapping[str, Any]], unit: str | None) -> list[Action]:
    """What ``unit`` may do to its part now (empty when it has none).

    Examples
    --------
    >>> part_actions({"a": {"state": "dispatched"}}, "a"), part_actions({}, "a")
    ([<Action.co_accept: 'co_accept'>], [])
    """
    part = parts.get(unit or "")
    if part is None:
        return []
    return [a for a, (src, _) in _MOVES.items() if part.get("state") == src]


def move_part(
    parts: Mapping[str, Mapping[str, Any]],
    unit: str,
    action: Action,
    *,
    by: str,
    at: datetime,
    text: str | None = None,
    outcome: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The parts after ``unit`` takes ``action`` on its own part.

    Raises
    ------
    PartError
        ``missing`` when ``unit`` has no part; else the part's state does not allow it.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    >>> p = move_part(fresh_parts(["a"]), "a", Action.co_accept, by="h_a", at=at)
    >>> move_part(p, "a", Action.co_reply, by="h_a", at=at, text="已配合")["a"]["state"]
    'replied'
    >>> move_part(p, "a", Action.co_accept, by="h_a", at=at)
    Traceback (most recent call last):
    ...
    dispatch_center.core.cohandling.PartError: the part of a is 'accepted': cannot co_accept
    """
    if unit not in parts:
        raise PartError(f"{unit} is not a co-handling unit of this order", missing=True)
    src, dst = _MOVES[action]
    state = parts[unit].get("state")
    if state != src:
        raise PartError(f"the part of {unit} is '{state}': cannot {action}")
    out = {u: dict(p) for u, p in parts.items()}
    # The times stay apart: the rates count a co-handler's own response and reply.
    out[unit] = {
        **out[unit],
        "state": dst,
        "by": by,
        "at": at.isoformat(),
        f"{dst}_at": at.isoformat(),
    }
    if action is Action.co_reply:
        out[unit].update(text=text, outcome=outcome)
    return out
