"""What goes with the handlers' actions beyond the lifecycle's move: the co-handling units'
parts (协办), a return's reason from the list (退单, 回退), a reply's outcome and photos
(办结), and a new dispatch starting afresh (no pass-down stack, the new co-handlers).
"""

from __future__ import annotations

from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import cohandling as co
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import workbench as wb
from dispatch_center.core.roles import Role
from dispatch_center.errors import Conflict, Invalid, NotFound
from dispatch_center.store import photos as photo_store
from dispatch_center.store import push as push_store

Row = dict[str, Any]
A = lc.Action
_WORKED = frozenset({"dispatched", "accepted", "in_progress"})


def part_unit(who: Principal, body: Any) -> str | None:
    """The co-handling unit ``who`` acts for: its own; an admin names one (``unit_code``)."""
    return body.unit_code if who.role is Role.admin else who.unit_code


def co_effects(
    center: Center, who: Principal, row: Row, action: lc.Action, body: Any
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Updates and timeline data of a co-handling unit's move on its part; None otherwise."""
    if action not in (A.co_accept, A.co_reply):
        return None
    unit = part_unit(who, body)
    bad = wb.check_outcome(body.outcome)
    if bad is not None:
        raise Invalid(bad, fields={"outcome": bad})
    try:
        parts = co.move_part(
            row.get("co_parts") or {},
            unit or "",
            action,
            by=who.username,
            at=center.now(),
            text=body.note,
            outcome=body.outcome,
        )
    except co.PartError as exc:
        if exc.missing:
            raise NotFound(f"no order {row['id']} with a part for your unit: {exc}") from exc
        raise Conflict(str(exc), current_status=row["status"]) from exc
    data = {"unit": unit, "unit_name": center.reference.units.get(unit or "", {}).get("name")}
    if action is A.co_reply:
        data.update(outcome=body.outcome)
    return {"co_parts": parts}, data


async def more_effects(
    center: Center,
    conn: Any,
    row: Row,
    action: lc.Action,
    body: Any,
    updates: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """Add to ``updates`` and ``data`` what the workbench's details bring to ``action``."""
    if action in (A.dispatch, A.redispatch):
        # A new dispatch starts at the new lead, with the co-handlers named now.
        if row.get("delegation"):
            updates["delegation"] = []
        if body.co_units or row.get("co_units"):
            updates["co_units"] = sorted(set(body.co_units))
            updates["co_parts"] = co.fresh_parts(body.co_units)
    if action in (A.request_return, A.hand_back):
        bad = wb.check_reason(body.reason_code)
        if bad is not None:
            raise Invalid(bad, fields={"reason_code": bad})
        data["reason_code"] = body.reason_code
    if action in (A.reply, A.report_up, A.co_reply):
        bad = wb.check_outcome(body.outcome)
        if bad is not None:
            raise Invalid(bad, fields={"outcome": bad})
        data["outcome"] = body.outcome
        if body.photo_ids:
            data["photos"] = await _photos(conn, row, body.photo_ids)
            place = next((p for p in data["photos"] if p.get("lon") is not None), None)
            if place is not None:
                data["place"] = {"lon": place["lon"], "lat": place["lat"]}
    if action is A.reply and row.get("co_parts"):
        data["co_parts"] = row["co_parts"]  # the lead answers for the whole: what each said


async def _photos(conn: Any, row: Row, ids: list[str]) -> list[dict[str, Any]]:
    wanted: list[int] = []
    for raw in ids:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise Invalid(f"no photo {raw!r}", fields={"photo_ids": f"{raw} is not a photo id"})
        wanted.append(int(raw))
    found = {p["id"]: p for p in await photo_store.photo_facts(conn, row["id"], wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise Invalid(
            "photos not uploaded to this order: " + ", ".join(missing),
            fields={"photo_ids": f"not photos of this order: {', '.join(missing)}"},
        )
    return [
        {"id": str(i), "lon": found[i]["lon"], "lat": found[i]["lat"]}
        for i in dict.fromkeys(wanted)
    ]


def view(center: Center, who: Principal, row: Row) -> dict[str, Any]:
    """The co-handling part of an order's view: every unit's part."""
    units = center.reference.units
    parts = row.get("co_parts") or {}
    return {
        "co_parts": [
            {
                "unit": {"code": code, "name": units.get(code, {}).get("name")},
                "state": p.get("state"),
                "text": p.get("text"),
                "outcome": p.get("outcome"),
                "by": p.get("by"),
                "at": p.get("at"),
            }
            for code, p in sorted(parts.items())
        ]
    }


def part_actions(who: Principal, row: Row) -> list[str]:
    """The co-handling moves open to ``who``'s unit on this order."""
    if who.role is not Role.handler:
        return []
    if lc.Status(row["status"]) not in (
        lc.Status.dispatched,
        lc.Status.accepted,
        lc.Status.in_progress,
    ):
        return []
    return [a.value for a in co.part_actions(row.get("co_parts") or {}, who.unit_code)]


_NEW_FOR_UNIT = frozenset({A.dispatch, A.redispatch, A.uphold_return, A.reopen, A.assign_down})


async def after_change(center: Center, conn: Any, row: Row, action: lc.Action) -> None:
    """What follows a change: a new order for a unit reaches its people's phones (Web Push,
    through the outbox; only when one of them allowed notifications).
    """
    if action not in _NEW_FOR_UNIT:
        return
    text = f"【12345新工单】{row['number']}：{(row.get('description') or '')[:60]}"
    await push_store.enqueue_push(
        conn, row.get("assigned_unit"), text, "order", str(row["id"]), center.now()
    )
    co_units = (row.get("co_units") or []) if action in (A.dispatch, A.redispatch) else []
    for unit in co_units:
        await push_store.enqueue_push(
            conn, unit, f"【协办】{text}", "order", str(row["id"]), center.now()
        )
