"""Inviting people to a video supervision session after it started: the invitees join the
session's invited list, stamped with who invited them and when, the change log records it
and each linked order's timeline says who was invited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.errors import Conflict, Invalid, parse_id
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    INSTRUCTING,
    SESSION_RUNNERS,
    Row,
    iso,
    need,
    open_session,
    timeline_entry,
)
from dispatch_center.supervision.sessions import get_session

#: Who may invite once a session runs: who runs sessions and who instructs in them.
INVITERS = SESSION_RUNNERS | INSTRUCTING


def invitee_key(invitee: Mapping[str, Any]) -> str:
    """What makes two invitations the same person: the account, else the name.

    Examples
    --------
    >>> invitee_key({"name": "市住建局局长"}), invitee_key({"name": "王局", "user": "h_5111"})
    ('name:市住建局局长', 'user:h_5111')
    """
    user = invitee.get("user")
    return f"user:{user}" if user else f"name:{invitee['name']}"


def new_invitees(
    already: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The ones of ``asked`` not yet invited (nor repeated within ``asked``), in order.

    Examples
    --------
    >>> new_invitees([{"name": "leader", "user": "leader"}],
    ...              [{"name": "x", "user": "leader"}, {"name": "局长"}, {"name": "局长"}])
    [{'name': '局长'}]
    """
    seen = {invitee_key(i) for i in already}
    out = []
    for one in asked:
        key = invitee_key(one)
        if key not in seen:
            seen.add(key)
            out.append(dict(one))
    return out


async def invite(
    center: Center, who: Principal, session_id: str, asked: Sequence[Mapping[str, Any]]
) -> Row:
    """Invite ``asked`` to the open session ``session_id`` (404 if none, 409 once closed,
    422 if nobody is named); those already invited are left as they are. Returns the
    session as :func:`~dispatch_center.supervision.sessions.get_session` shows it.
    """
    need(who, INVITERS, "invite to supervision sessions")
    if not asked:
        raise Invalid("name at least one invitee", fields={"invited": "empty"})
    sid = parse_id(session_id, "session")
    now = center.now()
    async with center.db.connection() as conn:
        s = await open_session(conn, sid)
        fresh = new_invitees(s["invited"] or [], asked)
        if not fresh:
            return await get_session(center, who, session_id)
        stamped = [{**i, "invited_by": who.username, "invited_at": iso(now)} for i in fresh]
        async with conn.transaction():
            row = await session_store.add_invitees(conn, sid, stamped, now)
            if row is None:
                raise Conflict("the session closed while inviting")
            details = {"session_id": str(sid), "invited": [i["name"] for i in fresh]}
            events = [
                await timeline_store.append_order_event(
                    conn,
                    oid,
                    timeline_entry(who, "supervision.invited", now, s["topic"], details),
                    "supervision.session",
                )
                for oid in await session_store.session_order_ids(conn, sid)
            ]
    await publish_changes(center, [row, *events])
    return await get_session(center, who, session_id)
