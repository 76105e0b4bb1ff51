"""The field teams: the board, sending a team, the nearest teams, ending a task.

Where a team is comes from its own system (the emergency-management platform's position
reports, kept on the live layer); what the HQ asked of it is a ``team_tasks`` row. A
tasking goes on the order's timeline, into the outbox for the team (console channel:
the team's terminal reads it there) and on the change log, so every map shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import shape

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.command.common import Row, entry, iso
from dispatch_center.core import teams as rules
from dispatch_center.errors import Conflict, Invalid, NotFound
from dispatch_center.orders import service as order_service
from dispatch_center.store import changes
from dispatch_center.store import orders as order_store
from dispatch_center.store import outbox as outbox_store
from dispatch_center.store import teams as store
from dispatch_center.store.changes import Change
from dispatch_center.store.order_events import append_order_event

#: Warning areas this recent are checked for teams inside them.
WARNING_WINDOW = timedelta(hours=24)
#: Change kinds: a task made, changed or ended (entity: the team's code).
TASK_CHANGE = "team.task"
#: The change kind of a tasking's entry on an order's timeline (the wall redraws the order).
ORDER_CHANGE = "order.team"


def task_view(t: Row | None) -> Row | None:
    """A task as the API and the wall show it (None stays None)."""
    if t is None:
        return None
    return {
        "id": str(t["id"]),
        "team_code": t["team_code"],
        "team_name": t["team_name"],
        "order_id": str(t["order_id"]) if t.get("order_id") is not None else None,
        "order_number": t.get("order_number"),
        "incident_id": str(t["incident_id"]) if t.get("incident_id") is not None else None,
        "lon": t["lon"],
        "lat": t["lat"],
        "place": t.get("place"),
        "note": t.get("note"),
        "state": t["state"],
        "tasked_by": t["tasked_by"],
        "tasked_at": iso(t["tasked_at"]),
        "arrived_at": iso(t.get("arrived_at")),
        "ended_at": iso(t.get("ended_at")),
    }


def _warnings(rows: list[Row], now: datetime) -> list[tuple[str, Any]]:
    """The live warning areas as (name, prepared geometry)."""
    out = []
    for w in rows:
        data = w.get("data") or {}
        if data.get("msg_type") == "Cancel" or data.get("ended") is True:
            continue
        expires = data.get("expires")
        if expires and datetime.fromisoformat(str(expires)) <= now:
            continue
        try:
            geometry = shape(w["area"])
        except Exception:  # an area the map could not draw either
            continue
        shapely.prepare(geometry)
        out.append((str(w.get("title") or w["key"]), geometry))
    return out


def _inside(warnings: list[tuple[str, Any]], lon: Any, lat: Any) -> list[str]:
    if lon is None or lat is None:
        return []
    return sorted({name for name, g in warnings if shapely.intersects_xy(g, lon, lat)})


def _item(center: Center, pos: Row, task: Row | None, now: datetime) -> Row:
    data = pos.get("data") or {}
    seen_at: datetime | None = pos.get("at")
    status = rules.team_status(
        data.get("status_zh"),
        task["state"] if task else None,
        seen_at,
        now,
        center.settings.team_lost_after_s,
    )
    return {
        "code": data.get("unit_code"),
        "name": data.get("name") or pos.get("title"),
        "kind": data.get("unit_kind_zh"),
        "crew": data.get("crew"),
        "status": status.value,
        "reported_status": data.get("status_zh"),
        "lon": pos.get("lon"),
        "lat": pos.get("lat"),
        "seen_at": iso(seen_at),
        "age_s": int((now - seen_at).total_seconds()) if seen_at else None,
        "system": pos.get("system"),
        "tasking": task_view(task),
        "in_warning": [],
    }


async def board(center: Center) -> list[Row]:
    """Every team with its status, position, position age and task in progress.

    Examples
    --------
    ``items = await board(center)`` → ``[{"code": "SW-FX-01", "status": "出动", ...}]``
    """
    async with center.db.connection() as conn:
        positions = await store.positions(conn)
        tasks = {t["team_code"]: t for t in await store.active_tasks(conn)}
        now = center.now()
        warnings = _warnings(await store.warning_areas(conn, now - WARNING_WINDOW), now)
    items = [
        _item(center, p, tasks.get((p.get("data") or {}).get("unit_code")), now) for p in positions
    ]
    # Teams inside a warning area are listed with it (the HQ sees who works in danger).
    for i in items:
        i["in_warning"] = _inside(warnings, i["lon"], i["lat"])
    return [i for i in items if i["code"]]


async def team_or_404(center: Center, code: str) -> Row:
    """One team's board item; 404 when no system ever reported it."""
    async with center.db.connection() as conn:
        pos = await store.position(conn, code)
        task = await store.active_task(conn, code) if pos is not None else None
    if pos is None:
        raise NotFound(f"no team {code!r}")
    return _item(center, pos, task, center.now())


async def nearest(center: Center, lon: float, lat: float, n: int) -> Row:
    """The ``n`` available teams nearest to a place, by straight-line distance.

    Teams already tasked or out of contact are left out. No road network is loaded, so
    no ``eta_s`` is given and ``distance_kind`` says the distance is a straight line.
    """
    found = rules.nearest(await board(center), lon, lat, min(n, rules.NEAREST_MAX))
    return {
        "distance_kind": "straight_line",
        "items": [{**x.team, "distance_m": round(x.distance_m)} for x in found],
    }


async def send_team(
    center: Center,
    who: Principal,
    code: str,
    *,
    order_id: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    note: str | None = None,
    place: str | None = None,
    incident_id: int | None = None,
) -> Row:
    """Task a team: to an order's place, or to a place (with a note). 409 when the team
    already has a task in progress, naming it.
    """
    team = await team_or_404(center, code)
    order: Row | None = None
    if order_id is not None:
        oid = order_service.parse_order_id(order_id)
        async with center.db.connection() as conn:
            order = await order_store.get_order(conn, oid)
        if order is None or not order_service.may_see(center, who, order):
            raise NotFound(f"no order {order_id!r}", fields={"order_id": "no such order"})
        if order["status"] == "closed":
            raise Conflict(f"order {order['number']} is closed", current_status="closed")
        if order.get("lon") is None or order.get("lat") is None:
            raise Invalid(
                f"order {order['number']} has no location: send the team to lon/lat instead",
                fields={"order_id": "the order has no location"},
            )
        lon, lat = float(order["lon"]), float(order["lat"])
        place = place or order.get("address")
    if lon is None or lat is None:
        raise Invalid("order_id or lon and lat are required", fields={"lon": "required"})
    if team["tasking"] is not None:
        raise _busy(code, team["tasking"])
    now = center.now()
    logged: list[Change | Row | None] = []
    async with center.db.connection() as conn, conn.transaction():
        task = await store.insert_task(
            conn,
            {
                "team_code": code,
                "team_name": team["name"] or code,
                "order_id": order["id"] if order else None,
                "incident_id": incident_id,
                "lon": lon,
                "lat": lat,
                "place": place,
                "note": note,
                "tasked_by": who.username,
                "tasked_at": now,
            },
        )
        if task is None:  # another HQ was a moment faster
            current = await store.active_task(conn, code)
            raise _busy(code, task_view(current) or {})
        task["order_number"] = order["number"] if order else None
        view = task_view(task)
        assert view is not None
        if order is not None:
            logged.append(
                await append_order_event(
                    conn,
                    order["id"],
                    entry(who, "team.task", now, note, _timeline_data(view)),
                    ORDER_CHANGE,
                )
            )
        await outbox_store.enqueue(
            conn,
            {
                "channel": "console",
                "recipient": f"team:{code}",
                "body": _message(view),
                "ref_kind": "team_task",
                "ref_id": view["id"],
                "at": now,
            },
        )
        logged.append(await changes.append_change(conn, now, TASK_CHANGE, code, {"task": view}))
    await publish_changes(center, logged)
    return view


def _busy(code: str, tasking: Row) -> Conflict:
    what = (
        f"order {tasking['order_number']}"
        if tasking.get("order_number")
        else f"incident {tasking['incident_id']}"
        if tasking.get("incident_id")
        else f"({tasking.get('lon')}, {tasking.get('lat')}) {tasking.get('note') or ''}".strip()
    )
    return Conflict(f"team {code} is already tasked: to {what}", tasking=tasking)


def _timeline_data(view: Row) -> Row:
    return {
        "task_id": view["id"],
        "team_code": view["team_code"],
        "team_name": view["team_name"],
        "lon": view["lon"],
        "lat": view["lat"],
    }


def _message(view: Row) -> str:
    where = view.get("place") or f"{view['lon']:.5f},{view['lat']:.5f}"
    order = f"（工单{view['order_number']}）" if view.get("order_number") else ""
    note = f"：{view['note']}" if view.get("note") else ""
    return f"【12345指挥调度】{view['team_name']}请立即前往{where}{order}{note}"


async def end_task(center: Center, who: Principal, code: str, note: str | None) -> Row:
    """The team's task in progress is done (the team is free again); 409 when none."""
    async with center.db.connection() as conn:
        current = await store.active_task(conn, code)
    if current is None:
        await team_or_404(center, code)
        raise Conflict(f"team {code} has no task in progress")
    now = center.now()
    logged: list[Change | Row | None] = []
    async with center.db.connection() as conn, conn.transaction():
        done = await store.end_task(conn, current["id"], "done", who.username, now)
        if done is None:
            raise Conflict(f"team {code} has no task in progress")
        done["order_number"] = current.get("order_number")
        view = task_view(done)
        assert view is not None
        if done.get("order_id") is not None:
            logged.append(
                await append_order_event(
                    conn,
                    done["order_id"],
                    entry(who, "team.released", now, note, _timeline_data(view)),
                    ORDER_CHANGE,
                )
            )
        logged.append(await changes.append_change(conn, now, TASK_CHANGE, code, {"task": view}))
    await publish_changes(center, logged)
    return view


async def active_tasks(center: Center) -> list[Any]:
    """The tasks in progress, as the wall draws them."""
    async with center.db.connection() as conn:
        return [task_view(t) for t in await store.active_tasks(conn)]
