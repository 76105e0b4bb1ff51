"""Incidents (e.g. 大渡河沙湾段超警): a major event the HQ runs as one, over many orders.

An incident is opened with a title, a place and the counties it touches; orders and teams
are attached as it goes; everything that happens goes on its running log (who, when,
what), the tracking of its teams included; it is closed with a summary, kept, so a special
report can cite it (``GET /api/v1/incidents/{id}``). A closed incident takes no changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.command import teams
from dispatch_center.command.common import Row, entry, iso
from dispatch_center.errors import Conflict, Invalid, NotFound, parse_id
from dispatch_center.orders import service as order_service
from dispatch_center.store import changes
from dispatch_center.store import incidents as store
from dispatch_center.store import orders as order_store
from dispatch_center.store.changes import Change
from dispatch_center.store.order_events import append_order_event

#: Change kinds of an incident (entity: its id); the wall and the consoles refresh.
CHANGE = "incident.changed"


def incident_view(r: Row) -> Row:
    """An incident's own fields as the API shows them."""
    view: Row = {
        "id": str(r["id"]),
        "title": r["title"],
        "place": r.get("place"),
        "lon": r.get("lon"),
        "lat": r.get("lat"),
        "counties": list(r.get("counties") or []),
        "status": r["status"],
        "opened_by": r["opened_by"],
        "opened_at": iso(r["opened_at"]),
        "closed_by": r.get("closed_by"),
        "closed_at": iso(r.get("closed_at")),
        "summary": r.get("summary"),
    }
    if "order_count" in r:
        view["order_count"] = int(r["order_count"])
    return view


def _line(r: Row) -> Row:
    return {
        "at": iso(r["at"]),
        "actor": r["actor"],
        "kind": r["kind"],
        "text": r["text"],
        "data": r.get("data") or {},
    }


def _order(r: Row) -> Row:
    return {
        "id": str(r["id"]),
        "number": r["number"],
        "status": r["status"],
        "urgency": r.get("urgency"),
        "category": r.get("category_code"),
        "county_code": r.get("county_code"),
        "address": r.get("address"),
        "attached_by": r["attached_by"],
        "attached_at": iso(r["attached_at"]),
    }


def _check_counties(center: Center, counties: Sequence[str]) -> None:
    known = center.reference.units
    for i, code in enumerate(counties):
        if code not in known:
            raise Invalid(f"no county {code!r}", fields={f"counties.{i}": "unknown county"})


async def open_incident(
    center: Center,
    who: Principal,
    *,
    title: str,
    place: str | None,
    lon: float | None,
    lat: float | None,
    counties: Sequence[str],
) -> Row:
    """Open an incident; its log starts with who opened it."""
    _check_counties(center, counties)
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        row = await store.insert_incident(
            conn,
            {
                "title": title,
                "place": place,
                "lon": lon,
                "lat": lat,
                "counties": sorted(set(counties)),
                "opened_by": who.username,
                "opened_at": now,
            },
        )
        await store.log(conn, row["id"], now, who.username, "opened", f"开启事件：{title}")
        change = await changes.append_change(
            conn, now, CHANGE, str(row["id"]), {"incident": incident_view(row)}
        )
    await publish_changes(center, [change])
    return await get_incident(center, str(row["id"]))


async def get_incident(center: Center, incident_id: str) -> Row:
    """The incident with its orders, team tasks and log (404 if none)."""
    iid = parse_id(incident_id, "incident")
    async with center.db.connection() as conn:
        row = await store.get_incident(conn, iid)
        if row is None:
            raise NotFound(f"no incident {incident_id!r}")
        orders = await store.incident_orders(conn, iid)
        tasks = await store.incident_tasks(conn, iid)
        lines = await store.log_lines(conn, iid)
    return {
        **incident_view(row),
        "orders": [_order(o) for o in orders],
        "tasks": [teams.task_view(t) for t in tasks],
        "log": [_line(x) for x in lines],
    }


async def list_incidents(center: Center, status: str | None, limit: int = 100) -> list[Row]:
    """Incidents, newest first."""
    async with center.db.connection() as conn:
        rows = await store.list_incidents(conn, status, limit)
    return [incident_view(r) for r in rows]


async def _open_or_409(conn: Any, iid: int, incident_id: str) -> Row:
    row = await store.get_incident(conn, iid, lock=True)
    if row is None:
        raise NotFound(f"no incident {incident_id!r}")
    if row["status"] != "open":
        raise Conflict(f"incident {incident_id} is closed", current_status=row["status"])
    return dict(row)


async def attach_orders(
    center: Center, who: Principal, incident_id: str, order_ids: Sequence[str]
) -> Row:
    """Attach orders; each order's timeline and the incident's log say so. An order
    already attached is left as it is.
    """
    iid = parse_id(incident_id, "incident")
    wanted = []
    async with center.db.connection() as conn:
        for i, raw in enumerate(order_ids):
            order = await order_store.get_order(conn, order_service.parse_order_id(raw))
            if order is None or not order_service.may_see(center, who, order):
                raise NotFound(f"no order {raw!r}", fields={f"order_ids.{i}": "no such order"})
            wanted.append(order)
    now = center.now()
    logged: list[Change | Row | None] = []
    async with center.db.connection() as conn, conn.transaction():
        row = await _open_or_409(conn, iid, incident_id)
        for order in wanted:
            if not await store.attach_order(conn, iid, order["id"], who.username, now):
                continue
            await store.log(
                conn,
                iid,
                now,
                who.username,
                "order",
                f"关联工单{order['number']}",
                {"order_id": str(order["id"]), "number": order["number"]},
            )
            logged.append(
                await append_order_event(
                    conn,
                    order["id"],
                    entry(
                        who,
                        "incident.attached",
                        now,
                        row["title"],
                        {"incident_id": str(iid), "title": row["title"]},
                    ),
                    teams.ORDER_CHANGE,
                )
            )
        logged.append(await changes.append_change(conn, now, CHANGE, str(iid), {"id": str(iid)}))
    await publish_changes(center, logged)
    return await get_incident(center, incident_id)


async def add_note(center: Center, who: Principal, incident_id: str, text: str) -> Row:
    """A line on the running log."""
    iid = parse_id(incident_id, "incident")
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        await _open_or_409(conn, iid, incident_id)
        line = await store.log(conn, iid, now, who.username, "note", text)
        change = await changes.append_change(conn, now, CHANGE, str(iid), {"id": str(iid)})
    await publish_changes(center, [change])
    return _line(line)


async def send_team(
    center: Center, who: Principal, incident_id: str, code: str, note: str | None
) -> Row:
    """Send a team to the incident's place (the tasking names the incident)."""
    iid = parse_id(incident_id, "incident")
    async with center.db.connection() as conn:
        row = await _open_or_409(conn, iid, incident_id)
    if row.get("lon") is None or row.get("lat") is None:
        raise Invalid(
            "the incident has no place on the map: send the team to lon/lat instead",
            fields={"code": "the incident has no lon/lat"},
        )
    task = await teams.send_team(
        center,
        who,
        code,
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        note=note,
        place=row.get("place") or row["title"],
        incident_id=iid,
    )
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        await store.log(
            conn,
            iid,
            now,
            who.username,
            "team",
            f"派出{task['team_name']}" + (f"：{note}" if note else ""),
            {"team_code": code, "task_id": task["id"]},
        )
        change = await changes.append_change(conn, now, CHANGE, str(iid), {"id": str(iid)})
    await publish_changes(center, [change])
    return task


async def close_incident(center: Center, who: Principal, incident_id: str, summary: str) -> Row:
    """Close with a summary (kept for the special report); 409 when closed already."""
    iid = parse_id(incident_id, "incident")
    now = center.now()
    async with center.db.connection() as conn, conn.transaction():
        await _open_or_409(conn, iid, incident_id)
        row = await store.close_incident(conn, iid, who.username, now, summary)
        if row is None:
            raise Conflict(f"incident {incident_id} is closed", current_status="closed")
        await store.log(conn, iid, now, who.username, "closed", f"事件结束：{summary}")
        change = await changes.append_change(
            conn, now, CHANGE, str(iid), {"incident": incident_view(row)}
        )
    await publish_changes(center, [change])
    return await get_incident(center, incident_id)
