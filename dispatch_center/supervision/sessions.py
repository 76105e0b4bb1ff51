"""Video supervision sessions: opening one on orders (the ladder's 视频督办 rung), joining
and leaving, closing with frozen minutes, amendments, and the views of a session, the
list and the wall's live sessions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import supervision as sv
from dispatch_center.core.visibility import CITY, Scope
from dispatch_center.errors import Conflict, Invalid, NotFound, parse_id
from dispatch_center.orders import service as order_service
from dispatch_center.store import accounts as account_store
from dispatch_center.store import orders as order_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    INSTRUCTING,
    SESSION_RUNNERS,
    Row,
    attachment_view,
    instruction_view,
    iso,
    need,
    open_session,
    timeline_entry,
    web_link,
)
from dispatch_center.supervision.ladder import record_step


async def _display_name(center: Center, who: Principal) -> str:
    async with center.db.connection() as conn:
        user = await account_store.get_user(conn, who.username)
    return (user or {}).get("display_name") or who.username


async def create_session(center: Center, who: Principal, body: Mapping[str, Any]) -> Row:
    """Open a video supervision session; each linked order's timeline records it (as the
    ladder's video-supervision step where the ladder allows).
    """
    need(who, SESSION_RUNNERS, "run supervision sessions")
    web_link(center, body["room_url"], "room_url")
    ids = [order_service.parse_order_id(str(i)) for i in body.get("order_ids") or []]
    if not ids and not body.get("emergency"):
        raise Invalid(
            "link at least one order or name the emergency",
            fields={"order_ids": "empty and no emergency"},
        )
    now = center.now()
    async with center.db.connection() as conn:
        rows = []
        for oid in ids:
            r = await order_store.get_order(conn, oid)
            if r is None:
                raise Invalid(f"no order {oid}", fields={"order_ids": f"{oid} not found"})
            rows.append(r)
        mode = body.get("mode") or _mode_now(center)
        async with conn.transaction():
            session = await session_store.insert_session(
                conn, {**body, "mode": mode, "created_by": who.username, "at": now}
            )
            await session_store.link_orders(conn, session["id"], ids)
        events: list[Row | None] = []
        for r in rows:
            done = [
                t["data"].get("step") for t in await timeline_store.escalation_steps(conn, r["id"])
            ]
            details = {
                "session_id": str(session["id"]),
                "topic": session["topic"],
                "room_url": session["room_url"],
            }
            try:
                decision = sv.decide_step(done, sv.EscalationStep.video_supervision, details)
            except sv.StepError:  # already past this rung: still on the timeline, not as a step
                events.append(
                    await timeline_store.append_order_event(
                        conn,
                        r["id"],
                        timeline_entry(who, "supervision.session", now, session["topic"], details),
                        "supervision.session",
                    )
                )
                continue
            await record_step(center, conn, who, r, decision, session["topic"])
    await publish_changes(center, [session, *events])
    return await get_session(center, who, str(session["id"]))


def _mode_now(center: Center) -> str | None:
    try:
        return center.mode
    except Exception:
        return None


async def concerning(center: Center, who: Principal, conn: Any, session_id: str) -> Row:
    """The session, if it concerns ``who`` (:meth:`~dispatch_center.core.visibility.Scope.
    sees_session`); else 404, as for a session that does not exist: a handler must not
    learn that another county's session exists.
    """
    sid = parse_id(session_id, "session")
    s = await session_store.get_session(conn, sid)
    scope = reading_scope(center, who)
    if s is None or not (
        scope.city_wide
        or scope.sees_session(
            await session_store.session_order_units(conn, sid),
            s["affected_area"] or (),
            s["invited"] or (),
        )
    ):
        raise NotFound(f"no session {session_id!r}")
    return s


async def join_session(center: Center, who: Principal, session_id: str) -> Row:
    """The caller joins (a second join while in changes nothing) a session it may see."""
    sid = parse_id(session_id, "session")
    async with center.db.connection() as conn:
        await concerning(center, who, conn, session_id)
    name = await _display_name(center, who)
    return await record_presence(
        center, sid, "join", who.username, name, who.role.value, "button", center.now()
    )


async def leave_session(center: Center, who: Principal, session_id: str) -> Row:
    """The caller leaves (leaving when not in changes nothing)."""
    sid = parse_id(session_id, "session")
    async with center.db.connection() as conn:
        await concerning(center, who, conn, session_id)
    return await record_presence(
        center, sid, "leave", who.username, who.username, who.role.value, "button", center.now()
    )


async def record_presence(
    center: Center,
    sid: int,
    what: str,
    participant: str,
    name: str,
    role: str | None,
    via: str,
    at: datetime,
) -> Row:
    """Open (``what="join"``) or close (``"leave"``) the participant's presence interval in
    an open session, by button or by the video webhook (``via``); a repeat changes
    nothing and says so (``changed``).
    """
    async with center.db.connection() as conn:
        await open_session(conn, sid)
        values = {
            "session_id": sid,
            "participant": participant,
            "display_name": name,
            "role": role,
            "via": via,
            "at": at,
        }
        row = await (
            session_store.join(conn, values)
            if what == "join"
            else session_store.leave(conn, values)
        )
        if row is None:  # a repeat, or the session closed in between
            await open_session(conn, sid)
    if row is not None:
        await publish_changes(center, [row])
    return {
        "session_id": str(sid),
        "participant": participant,
        "changed": row is not None,
        "action": what,
    }


async def close_session(center: Center, who: Principal, session_id: str) -> Row:
    """End the session: everyone still in leaves, the minutes are frozen."""
    need(who, SESSION_RUNNERS, "close supervision sessions")
    sid = parse_id(session_id, "session")
    now = center.now()
    async with center.db.connection() as conn:
        await open_session(conn, sid)
        async with conn.transaction():
            closed = await session_store.close_session(conn, sid, who.username, now)
            if closed is None:
                await open_session(conn, sid)
                raise NotFound(f"no session {session_id}")
            minutes = await _minutes_data(center, conn, closed)
            await session_store.store_minutes(conn, sid, minutes)
        events = [
            await timeline_store.append_order_event(
                conn,
                oid,
                timeline_entry(
                    who,
                    "supervision.session_closed",
                    now,
                    closed["topic"],
                    {"session_id": str(sid), "instructions": len(minutes["instructions"])},
                ),
                "supervision.session",
            )
            for oid in await session_store.session_order_ids(conn, sid)
        ]
    await publish_changes(center, [closed, *events])
    return await get_session(center, who, session_id)


async def add_amendment(center: Center, who: Principal, session_id: str, text: str) -> Row:
    """Append a correction to a session's record (the record itself stays as it was)."""
    need(who, SESSION_RUNNERS | INSTRUCTING, "amend session records")
    sid = parse_id(session_id, "session")
    async with center.db.connection() as conn:
        if await session_store.get_session(conn, sid) is None:
            raise NotFound(f"no session {session_id}")
        row = await session_store.insert_amendment(
            conn, {"session_id": sid, "text": text, "author": who.username, "at": center.now()}
        )
    await publish_changes(center, [row])
    return _amendment_view(row)


def _amendment_view(r: Row) -> Row:
    return {"id": str(r["id"]), "text": r["text"], "author": r["author"], "at": iso(r["at"])}


def _participants(rows: Sequence[Row]) -> list[Row]:
    """Presence intervals folded per participant, in order of first joining."""
    out: dict[str, Row] = {}
    for p in rows:
        one = out.setdefault(
            p["participant"],
            {
                "participant": p["participant"],
                "name": p["display_name"],
                "role": p["role"],
                "joined_at": iso(p["joined_at"]),
                "left_at": None,
                "present": False,
                "intervals": [],
            },
        )
        one["intervals"].append(
            {
                "joined_at": iso(p["joined_at"]),
                "left_at": iso(p["left_at"]),
                "joined_via": p["joined_via"],
                "left_via": p["left_via"],
            }
        )
        one["present"] = p["left_at"] is None
        one["left_at"] = iso(p["left_at"])
        if p["role"] and not one["role"]:
            one["role"] = p["role"]
    return list(out.values())


async def _minutes_data(center: Center, conn: Any, s: Row) -> Row:
    """What the minutes record, read once at closing."""
    order_rows = [
        await order_store.get_order(conn, oid)
        for oid in await session_store.session_order_ids(conn, s["id"])
    ]
    return {
        "session_id": str(s["id"]),
        "topic": s["topic"],
        "room_url": s["room_url"],
        "mode": s["mode"],
        "emergency": s["emergency"],
        "affected_area": s["affected_area"],
        "invited": s["invited"],
        "created_by": s["created_by"],
        "started_at": iso(s["created_at"]),
        "closed_at": iso(s["closed_at"]),
        "closed_by": s["closed_by"],
        "participants": _participants(await session_store.presence(conn, s["id"])),
        "orders": [
            {
                "id": str(o["id"]),
                "number": o["number"],
                "description": o["description"],
                "address": o["address"],
                "status": o["status"],
                "status_label": lc.STATUS_LABELS_ZH[lc.Status(o["status"])],
                "unit": (center.reference.units.get(o["assigned_unit"] or "") or {}).get("name"),
            }
            for o in order_rows
            if o
        ],
        "instructions": [
            instruction_view(r) for r in await session_store.instructions(conn, s["id"])
        ],
        "attachments": [attachment_view(r) for r in await session_store.attachments(conn, s["id"])],
    }


def _session_view(
    s: Row,
    presence: Sequence[Row],
    instr: Sequence[Row],
    att: Sequence[Row],
    amend: Sequence[Row],
    order_ids: Sequence[int],
) -> Row:
    return {
        "id": str(s["id"]),
        "topic": s["topic"],
        "room_url": s["room_url"],
        "status": s["status"],
        "emergency": s["emergency"],
        "mode": s["mode"],
        "affected_area": s["affected_area"],
        "invited": s["invited"],
        "order_ids": [str(i) for i in order_ids],
        "created_by": s["created_by"],
        "created_at": iso(s["created_at"]),
        "closed_by": s["closed_by"],
        "closed_at": iso(s["closed_at"]),
        "minutes_signed_by": s.get("minutes_signed_by"),
        "minutes_signed_at": iso(s.get("minutes_signed_at")),
        "participants": _participants(presence),
        "instructions": [instruction_view(r) for r in instr],
        "attachments": [attachment_view(r) for r in att],
        "amendments": [_amendment_view(r) for r in amend],
        "minutes": (
            {
                **s["minutes"],
                "amendments": [_amendment_view(r) for r in amend],
                "html_url": f"/api/v1/supervision/sessions/{s['id']}/minutes?format=html",
                "pdf_url": f"/api/v1/supervision/sessions/{s['id']}/minutes?format=pdf",
            }
            if s["status"] == "closed" and s["minutes"]
            else None
        ),
    }


async def get_session(center: Center, who: Principal, session_id: str) -> Row:
    """A session with its participants, instructions, attachments and (closed) minutes;
    404 for one that does not concern ``who``.
    """
    sid = parse_id(session_id, "session")
    async with center.db.connection() as conn:
        s = await concerning(center, who, conn, session_id)
        return _session_view(
            s,
            await session_store.presence(conn, sid),
            await session_store.instructions(conn, sid),
            await session_store.attachments(conn, sid),
            await session_store.amendments(conn, sid),
            await session_store.session_order_ids(conn, sid),
        )


async def list_sessions(center: Center, who: Principal, status: str | None) -> list[Row]:
    """Sessions that concern ``who``, newest first (brief: no instructions or minutes)."""
    async with center.db.connection() as conn:
        rows = await session_store.list_sessions(conn, status, scope=reading_scope(center, who))
        out = []
        for s in rows:
            people = _participants(await session_store.presence(conn, s["id"]))
            out.append(
                {
                    "id": str(s["id"]),
                    "topic": s["topic"],
                    "status": s["status"],
                    "room_url": s["room_url"],
                    "created_at": iso(s["created_at"]),
                    "closed_at": iso(s["closed_at"]),
                    "mode": s["mode"],
                    "present": [p["name"] for p in people if p["present"]],
                }
            )
    return out


async def live_sessions_snapshot(
    center: Center, conn: Any = None, scope: Scope = CITY
) -> list[Row]:
    """Open sessions that concern ``scope`` and who is in them now, for the wall's "live
    sessions" section.

    Pass the snapshot's connection to read at the snapshot's ``seq``.

    Examples
    --------
    >>> await live_sessions_snapshot(center)  # doctest: +SKIP
    [{'id': '3', 'topic': '…', 'present': [{'participant': 'leader', 'name': '分管副市长', ...}]}]
    """

    async def read(c: Any) -> list[Row]:
        return [
            {
                "id": str(r["id"]),
                "topic": r["topic"],
                "room_url": r["room_url"],
                "mode": r["mode"],
                "emergency": r["emergency"],
                "affected_area": r["affected_area"],
                "started_at": iso(r["created_at"]),
                "order_ids": [str(i) for i in r["order_ids"] or []],
                "join_url": f"/api/v1/supervision/sessions/{r['id']}/join",
                "present": [
                    {**p, "joined_at": iso(datetime.fromisoformat(p["joined_at"]))}
                    for p in r["present"]
                ],
            }
            for r in await session_store.live_sessions(c, scope)
        ]

    if conn is not None:
        return await read(conn)
    async with center.db.connection() as c:
        return await read(c)


async def minutes_data(center: Center, who: Principal, session_id: str) -> Row:
    """The frozen minutes of a closed session plus its amendments (409 while open)."""
    view = await get_session(center, who, session_id)
    if view["minutes"] is None:
        raise Conflict("minutes exist once the session is closed", status=view["status"])
    minutes: Row = view["minutes"]
    return minutes
