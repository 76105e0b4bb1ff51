"""An action sent with a client id is applied once (the handlers' phones on a weak network
queue actions offline and send them when back; an answer lost on the way makes them send
again). Keyed by (user, client id): the same id from another user is another action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.errors import Conflict, Invalid
from dispatch_center.store import receipts as store

Row = dict[str, Any]
Act = Callable[[], Awaitable[Row]]


async def act_once(
    center: Center, who: Principal, order_id: str, action: str, client_id: str, run: Act
) -> Row:
    """``run()`` unless ``who`` already applied ``client_id``; then the first answer.

    The answer kept has no reporter's name or number (it is not the order's record).
    """
    first = await _first(center, who, order_id, action, client_id)
    if first is not None:
        return first
    try:
        answer = await run()
    except Conflict:
        # Two sends of one action racing: the other applied it, and that is its answer.
        first = await _first(center, who, order_id, action, client_id)
        if first is not None:
            return first
        raise
    kept = {**answer, "reporter": {**answer["reporter"], "name": None, "phone": None}}
    async with center.db.connection() as conn:
        await store.add_receipt(conn, who.username, client_id, int(answer["id"]), action, kept)
    return answer


async def _first(
    center: Center, who: Principal, order_id: str, action: str, client_id: str
) -> Row | None:
    async with center.db.connection() as conn:
        got = await store.get_receipt(conn, who.username, client_id)
    if got is None:
        return None
    if str(got["order_id"]) != order_id or got["action"] != action:
        raise Invalid(
            f"client_id {client_id!r} was used for another action",
            fields={"client_id": "already used for another action"},
        )
    return dict(got["answer"])
