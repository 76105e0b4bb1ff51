"""A leader's instructions in a session (a tracked task, or a new work order when it
names a unit or a place) and the session's attachments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.errors import Invalid, NotFound, parse_id
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as order_service
from dispatch_center.store import orders as order_store
from dispatch_center.store.supervision import sessions as session_store
from dispatch_center.store.supervision import tasks as task_store
from dispatch_center.store.supervision import timeline as timeline_store
from dispatch_center.supervision.common import (
    INSTRUCTING,
    SESSION_RUNNERS,
    SYSTEM,
    Row,
    attachment_view,
    aware,
    instruction_view,
    iso,
    need,
    open_session,
    timeline_entry,
    web_link,
)


async def add_instruction(
    center: Center, who: Principal, session_id: str, body: Mapping[str, Any]
) -> Row:
    """A leader's instruction or decision: a tracked task, or a new work order when it
    names a unit (``unit_code``) or a place (``address`` / ``location``).
    """
    need(who, INSTRUCTING, "issue instructions")
    sid = parse_id(session_id, "session")
    due = aware(body.get("due"), "due")
    unit = body.get("unit_code")
    ref = center.reference
    if unit is not None and unit not in ref.units:
        raise Invalid(f"unknown unit {unit!r}", fields={"unit_code": "not a known unit"})
    now = center.now()
    async with center.db.connection() as conn:
        await open_session(conn, sid)
        ins = await session_store.insert_instruction(
            conn,
            {
                "session_id": sid,
                "text": body["text"],
                "owner": body["owner"],
                "due": due,
                "kind": body.get("kind") or "instruction",
                "issued_by": who.username,
                "at": now,
            },
        )
        if ins is None:
            await open_session(conn, sid)  # closed in between: 409
            raise NotFound(f"no session {session_id}")
        order_ids = await session_store.session_order_ids(conn, sid)
    published: list[Row | None] = [ins]
    names_place = unit or body.get("address") or body.get("location")
    if names_place:
        order_id = await _instruction_order(center, who, sid, ins, body, order_ids)
        async with center.db.connection() as conn:
            await session_store.link_instruction(conn, ins["id"], order_id=order_id)
    else:
        async with center.db.connection() as conn:
            task = await task_store.insert_task(
                conn,
                {
                    "source": "instruction",
                    "source_id": ins["id"],
                    "title": body["text"],
                    "owner": body["owner"],
                    "due": due,
                    "created_by": who.username,
                    "at": now,
                },
            )
            await session_store.link_instruction(conn, ins["id"], task_id=task["id"])
        published.append(task)
    async with center.db.connection() as conn:
        for oid in order_ids:
            published.append(
                await timeline_store.append_order_event(
                    conn,
                    oid,
                    timeline_entry(
                        who,
                        "supervision.instruction",
                        now,
                        body["text"],
                        {
                            "session_id": str(sid),
                            "instruction_id": str(ins["id"]),
                            "owner": body["owner"],
                            "due": iso(due),
                        },
                    ),
                    "supervision.instruction",
                )
            )
        rows = await session_store.instructions(conn, sid)
    await publish_changes(center, published)
    return next(instruction_view(r) for r in rows if r["id"] == ins["id"])


async def _instruction_order(
    center: Center, who: Principal, sid: int, ins: Row, body: Mapping[str, Any], linked: list[int]
) -> int:
    async with center.db.connection() as conn:
        first = await order_store.get_order(conn, linked[0]) if linked else None
    category: Any = (
        {"type": first["request_type"], "code": first["category_code"]} if first else "help"
    )
    data = OrderCreate.model_validate(
        {
            "channel": "web",
            "category": category,
            "urgency": "urgent",
            "description": f"【视频督办指示】{body['text']}（责任：{body['owner']}）",
            "address": body.get("address")
            or (first or {}).get("address")
            or center.geography.city.name,
            "location": body.get("location")
            or (
                {"lon": first["lon"], "lat": first["lat"]}
                if first and first["lon"] is not None
                else None
            ),
            "source": "supervision",
            "source_id": f"instruction-{ins['id']}",
        }
    )
    view, _ = await order_service.create_order(center, who, data)
    if body.get("unit_code"):
        view = await order_service.act(
            center,
            SYSTEM,
            view["id"],
            "dispatch",
            OrderAction(unit_code=body["unit_code"], note=f"督办会议#{sid}领导指示派单"),
        )
    return int(view["id"])


async def add_attachment(
    center: Center, who: Principal, session_id: str, body: Mapping[str, Any]
) -> Row:
    """A recording link or a document by URL."""
    need(who, SESSION_RUNNERS | INSTRUCTING, "add attachments")
    sid = parse_id(session_id, "session")
    async with center.db.connection() as conn:
        await open_session(conn, sid)  # a closed session answers 409 whatever the body
        web_link(center, body["url"], "url")
        row = await session_store.insert_attachment(
            conn,
            {
                "session_id": sid,
                "kind": body["kind"],
                "title": body["title"],
                "url": body["url"],
                "added_by": who.username,
                "at": center.now(),
            },
        )
        if row is None:
            await open_session(conn, sid)
            raise NotFound(f"no session {session_id}")
    await publish_changes(center, [row])
    return attachment_view(row)
