"""The demo's story: a working day of requests across Leshan's counties.

Loaded once into an empty demo database (idempotent on source + source_id), so a
duty officer opening the demo sees orders at every stage: just received,
dispatched, being handled, replied, evaluated, returned, overdue, unroutable
and outside the city.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core.lifecycle import Rating
from dispatch_center.core.roles import Role
from dispatch_center.errors import ServiceError
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import service as orders
from dispatch_center.supervision import instructions, ladder, sessions
from dispatch_center.supervision import orders as supervision_orders

log = logging.getLogger(__name__)

SOURCE = "demo-story"
_DISPATCHER = Principal("dispatcher", Role.dispatcher, "511100")
_ADMIN = Principal("admin", Role.admin, None)


def story() -> list[dict[str, Any]]:
    """The story's orders as data."""
    text = (resources.files("dispatch_center.data") / "demo_story.json").read_text(encoding="utf-8")
    items: list[dict[str, Any]] = json.loads(text)["orders"]
    return items


def _handler_for(center: Center, view: dict[str, Any]) -> Principal:
    # Only the unit holding an order works it (core.delegation): the story acts as that
    # unit's handler, h_<unit> (a demo account for the counties and a few units below).
    unit = (view.get("assigned_unit") or {}).get("code")
    for code in center.reference.unit_chain(unit):
        if center.reference.units.get(code, {}).get("kind") == "county":
            return Principal(f"h_{unit}", Role.handler, unit)
    return _ADMIN  # units of the city itself (scenic committees, city bureaus)


async def seed_story(center: Center) -> int:
    """Create the story's orders and walk them to their stage; returns how many were new."""
    created = 0
    now = center.now()
    for i, item in enumerate(story()):
        body = OrderCreate.model_validate(
            {
                "channel": item["channel"],
                "category": {"type": item["type"], "code": item["code"]},
                "urgency": item["urgency"],
                "description": item["description"],
                "location": {"lon": item["lon"], "lat": item["lat"]},
                "address": item["address"],
                "reporter": {"name": item["reporter"][0], "phone": item["reporter"][1]},
                "source": SOURCE,
                "source_id": f"{i:03d}",
                "received_at": (now - timedelta(hours=item["hours_ago"])).isoformat(),
            }
        )
        view, new = await orders.create_order(center, _DISPATCHER, body)
        if not new:
            continue
        created += 1
        for step in item["steps"]:
            action, _, rating = step.partition(":")
            # dispatch:<unit> and assign_down:<unit> name the unit (一级抓一级 in the story).
            unit = rating if action in ("dispatch", "assign_down") else None
            rating = "" if unit else rating
            who = _DISPATCHER
            if action in ("accept", "start", "reply", "request_return", "assign_down"):
                who = _handler_for(center, view)
            detail = OrderAction(
                note={
                    "request_return": "该事项不属于本单位职责，建议改派环保部门",
                    "assign_down": "请下级核实处理，今日内上门",
                }.get(action),
                unit_code=unit,
                rating=Rating(rating) if rating else None,
                solved=(rating != "unsatisfied") if rating else None,
            )
            try:
                view = await orders.act(center, who, view["id"], action, detail)
            except ServiceError as exc:  # a story step that no longer fits: say so, go on
                log.warning(
                    "demo story order %s: %s failed: %s", view["number"], action, exc.message
                )
                break
    if created:
        log.info("demo story: %d orders across Leshan's counties", created)
    return created


# -- the flood morning's supervision story (--scenario flood) ---------------------------

FLOOD_SOURCE_ID = "flood-supervision"
_DUTY = Principal("duty", Role.duty_officer, "511100")
_LEADERS = (
    Principal("leader", Role.leader, "511100"),
    Principal("leader_water", Role.leader, "511100"),
    Principal("leader_shawan", Role.leader, "511111"),
)


def _session(topic: str, room_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "topic": topic,
        "room_url": room_url,
        "order_ids": [],
        "emergency": None,
        "mode": None,
        "affected_area": [],
        "invited": [],
        **extra,
    }


def _instruction(text: str, owner: str, due: datetime) -> dict[str, Any]:
    return {
        "text": text,
        "owner": owner,
        "due": due,
        "kind": "instruction",
        "unit_code": None,
        "address": None,
        "location": None,
    }


async def seed_flood_supervision(center: Center) -> str | None:
    """An overdue waterlogging order in 沙湾区 climbs the escalation ladder to a video
    supervision session that three leaders join; two instructions come out of it and
    the minutes are kept. Returns the session id (None when already told).
    """
    now = center.now()
    body = OrderCreate.model_validate(
        {
            "channel": "phone",
            "category": {"type": "help", "code": "flood.waterlogging"},
            "urgency": "general",
            "description": "嘉农镇低洼处积水一周未退，三户村民房屋进水，排水沟被淤泥堵死",
            "location": {"lon": 103.5620, "lat": 29.3930},
            "address": "沙湾区嘉农镇",
            "reporter": {"name": "罗大爷", "phone": "13881234599"},
            "source": SOURCE,
            "source_id": FLOOD_SOURCE_ID,
            "received_at": (now - timedelta(days=9)).isoformat(),
        }
    )
    view, new = await orders.create_order(center, _DISPATCHER, body)
    if not new:
        return None
    oid = view["id"]
    view = await orders.act(center, _DISPATCHER, oid, "dispatch", OrderAction())
    await orders.act(center, _handler_for(center, view), oid, "accept", OrderAction())
    await supervision_orders.issue_supervision_order(
        center, _DUTY, oid, "listed", "超期未办结：今日12时前报告排水进展", now + timedelta(hours=4)
    )
    await ladder.escalate(
        center,
        _LEADERS[0],
        oid,
        "leader_study",
        {"leader": "分管副市长", "instruction": "请市水务局、沙湾区立即排查，今日内排除积水"},
    )
    await ladder.escalate(
        center,
        _DUTY,
        oid,
        "department_consultation",
        {
            "departments": ["市水务局", "沙湾区人民政府", "市应急管理局"],
            "meeting_record": "会商认定排水沟淤堵为主因，需泵车抽排并清淤",
            "work_split": "市水务局调泵车；沙湾区组织清淤和转移群众；应急局保障物资",
        },
    )
    session = await sessions.create_session(
        center,
        _DUTY,
        _session(
            "沙湾区嘉农镇积水超期 视频督办",
            "https://vc.lszw.internal/room/fx-shawan-jianong",
            order_ids=[oid],
            affected_area=["511111"],
        ),
    )
    sid = str(session["id"])
    for leader in _LEADERS:
        await sessions.join_session(center, leader, sid)
    await instructions.add_instruction(
        center,
        _LEADERS[0],
        sid,
        _instruction(
            "市水务局两小时内调派移动泵车到嘉农镇抽排", "市水务局", now + timedelta(hours=2)
        ),
    )
    await instructions.add_instruction(
        center,
        _LEADERS[2],
        sid,
        _instruction(
            "沙湾区今日内完成排水沟清淤，并妥善安置进水农户",
            "沙湾区人民政府",
            now + timedelta(hours=10),
        ),
    )
    for leader in _LEADERS:
        await sessions.leave_session(center, leader, sid)
    await sessions.close_session(center, _DUTY, sid)  # the minutes (纪要) are kept
    # And one session still running, for the wall's live-sessions panel.
    live = await sessions.create_session(
        center,
        Principal("flood_hq", Role.flood_hq, "511100.flood_hq"),
        _session(
            "大渡河、青衣江超警戒水位 防汛视频调度",
            "https://vc.lszw.internal/room/fx-daduhe",
            emergency="flood",
            affected_area=["511111", "511132", "511113"],
        ),
    )
    await sessions.join_session(center, _LEADERS[0], str(live["id"]))
    log.info("demo flood story: order %s escalated to video session %s", view["number"], sid)
    return sid
