"""The demo's story: a working day of requests across Leshan's counties.

Loaded once into an empty demo database (idempotent on source + source_id), so a
duty officer opening the demo sees orders at every stage: just received,
dispatched, being handled, replied, evaluated, returned, overdue, unroutable
and outside the city.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from importlib import resources
from typing import Any

from dispatch_center.center import Center
from dispatch_center.core.lifecycle import Rating
from dispatch_center.core.roles import Role
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.services import orders
from dispatch_center.services.errors import ServiceError
from dispatch_center.services.security import Principal

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
    unit = (view.get("assigned_unit") or {}).get("code")
    for code in center.reference.unit_chain(unit):
        if center.reference.units.get(code, {}).get("kind") == "county":
            return Principal(f"h_{code}", Role.handler, code)
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
            who = _DISPATCHER
            if action in ("accept", "start", "reply", "request_return"):
                who = _handler_for(center, view)
            detail = OrderAction(
                note={"request_return": "该事项不属于本单位职责，建议改派环保部门"}.get(action),
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
