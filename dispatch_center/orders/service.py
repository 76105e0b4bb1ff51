"""Work orders: creation, the lifecycle actions and the views each role gets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch_center.accounts.scope import reading_scope
from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center, publish_changes
from dispatch_center.core import lifecycle as lc
from dispatch_center.core import received
from dispatch_center.core.calendar import to_shanghai
from dispatch_center.core.deadlines import (
    Deadlines,
    Duration,
    compute_deadlines,
    deadline_state,
    extend,
)
from dispatch_center.core.privacy import (
    ReporterFacts,
    keeps_reporter_confidential,
    mask_phone,
    reporter_as_seen,
)
from dispatch_center.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch_center.models import OrderAction, OrderCreate
from dispatch_center.orders import delegation, handling, notices, receipts
from dispatch_center.orders.routing import reopen_limit, route_new_order
from dispatch_center.store import knowledge as kb_store
from dispatch_center.store import orders as store
from dispatch_center.store.orders import OrderFilter, TimelineEntry

Row = dict[str, Any]

OPEN_UNREPLIED = (
    lc.Status.received,
    lc.Status.dispatched,
    lc.Status.accepted,
    lc.Status.in_progress,
    lc.Status.return_requested,
)


def parse_order_id(order_id: str) -> int:
    """Order ids are integers on the wire as strings; anything else is not found."""
    # int() alone would also take " 7", "+7", "1_0" and full-width "７" as ids.
    if not (order_id.isascii() and order_id.isdigit()) or len(order_id) > 19:
        raise NotFound(f"no order {order_id!r}")
    value = int(order_id)
    if value < 1 or value > 2**62:
        raise NotFound(f"no order {order_id!r}")
    return value


def may_backdate(center: Center, who: Principal) -> bool:
    """Whether ``who`` may date a request further back than the settings' late window: a
    role in ``DISPATCH_BACKDATE_ROLES``, or an intake source (``feed:<system>``) in
    ``DISPATCH_BACKDATE_SOURCES``.
    """
    s = center.settings
    if who.username.startswith("feed:"):
        allowed = {x.strip() for x in s.backdate_sources.split(",") if x.strip()}
        return "*" in allowed or who.username.removeprefix("feed:") in allowed
    return who.role.value in {x.strip() for x in s.backdate_roles.split(",")}


def received_at_problem(center: Center, who: Principal, at: datetime) -> str | None:
    """Why ``who`` may not say a request was received at ``at``, else None
    (``dispatch_center.core.received``, with the settings' window).
    """
    s = center.settings
    return received.received_at_problem(
        at,
        center.now(),
        may_backdate=may_backdate(center, who),
        future_s=s.received_at_future_s,
        late_s=s.received_at_late_s,
        backdate_days=s.backdate_days,
    )


def check_received_at(
    center: Center, who: Principal, at: datetime | None, field: str = "received_at"
) -> None:
    """422 naming ``field`` when a client's ``received_at`` is outside what ``who`` may say.

    Called where a client's input enters (the orders API, the letter form); the center's
    own callers (the demo's story, the intake after its own check) date orders freely.
    """
    if at is None:
        return
    bad = received_at_problem(center, who, at)
    if bad is not None:
        raise Invalid(f"{field} {bad}", fields={field: bad})


async def create_order(center: Center, who: Principal, data: OrderCreate) -> tuple[Row, bool]:
    """Create a work order, or return the one already made from the same source event.

    Returns the order view and whether it was created now.
    """
    # Idempotency rests on the unique (source, source_id) index: the insert does
    # nothing for a repeat and the existing order is returned below.
    ref = center.reference
    code = data.category_code
    if code is not None and code not in ref.categories:
        raise Invalid(
            f"unknown category code {code!r}",
            fields={"category.code": "not in the taxonomy (GET /api/v1/categories)"},
        )
    received_at = data.received_at or center.now()
    # The mode in force where the order is may raise its urgency, set its limits and
    # add co-dispatched units (dispatch_center.core.routing).
    routed = route_new_order(center, data)
    urgency, limit, routing = routed.urgency, routed.time_limit, routed.routing.to_json()
    deadlines = compute_deadlines(received_at, limit, ref.calendar)
    point = routed.routing.location
    values: dict[str, Any] = {
        "channel": data.channel,
        "request_type": data.request_type.value,
        "category_code": code,
        "urgency": urgency.value,
        "description": data.description,
        "lon": point.lon if point else None,
        "lat": point.lat if point else None,
        "datum": data.location.crs.value if data.location else None,
        "address": data.address,
        "reporter_name": data.reporter.name if data.reporter else None,
        "reporter_phone": data.reporter.phone if data.reporter else None,
        "reporter_confidential": keeps_reporter_confidential(
            data.request_type, asked=bool(data.reporter and data.reporter.confidential)
        ),
        "source": data.source,
        "source_id": data.source_id,
        "routing": routing,
        "assigned_unit": None,
        "status": lc.Status.received.value,
        "received_at": received_at,
        "respond_by": deadlines.respond_by,
        "reply_by": deadlines.reply_by,
        "deadlines_provisional": deadlines.provisional,
        "created_by": who.username,
    }
    entry = TimelineEntry(
        actor=who.username,
        role=who.role.value,
        action="receive",
        at=center.now(),
        note=routed.routing.reason,
        # county_code beside the routing: what the TimescaleDB intake aggregate groups by
        # (it reads this history entry, not the order row; migration 014).
        data={
            "routing": routing,
            "county_code": routed.routing.county_code,
            "channel": data.channel,
            "time_limit": _limit_json(limit),
        },
    )
    async with center.db.connection() as conn:
        row = await store.insert_order(
            conn,
            values,
            prefix=center.settings.order_prefix,
            day=to_shanghai(received_at).date(),  # the number carries the local day
            entry=entry,
        )
        if row is None:  # lost a race with the same source event: theirs stands
            assert data.source and data.source_id
            existing = await store.get_by_source(conn, data.source, data.source_id)
            assert existing is not None
            return order_view(center, who, existing), False
        await notices.after_receive(center, conn, row)
    await publish_changes(center, [row])
    return order_view(center, who, row), True


def _limit_json(limit: Any) -> dict[str, Any]:
    return {
        "respond": {"value": limit.respond.value, "unit": limit.respond.unit.value},
        "reply": {"value": limit.reply.value, "unit": limit.reply.unit.value},
    }


async def get_order(
    center: Center, who: Principal, order_id: str, *, with_timeline: bool = True
) -> Row:
    """One order as ``who`` may see it, with its timeline."""
    oid = parse_order_id(order_id)
    async with center.db.connection() as conn:
        row = await store.get_order(conn, oid)
        if row is None or not may_see(center, who, row):
            raise NotFound(f"no order {order_id!r}")
        view = order_view(center, who, row)
        if with_timeline:
            view["timeline"] = [_timeline_view(t) for t in await store.timeline(conn, oid)]
    return view


async def list_orders(center: Center, who: Principal, f: OrderFilter, overdue: bool) -> list[Row]:
    """Orders visible to ``who`` matching ``f`` (filtered in the query: limits and pages
    count only what ``who`` may see).
    """
    f = OrderFilter(**{**f.__dict__, "scope": reading_scope(center, who)})
    if overdue:
        f = OrderFilter(
            **{
                **f.__dict__,
                "overdue_before": center.now(),
                "open_statuses": [s.value for s in OPEN_UNREPLIED],
            }
        )
    async with center.db.connection() as conn:
        rows = await store.list_orders(conn, f)
    return [order_view(center, who, r) for r in rows]


def may_see(center: Center, who: Principal, row: Row) -> bool:
    """Whether ``who`` may read the order ``row`` (:mod:`dispatch_center.core.visibility`:
    the center's roles the whole city, a handler its unit's subtree). Callers answer 404,
    never 403, for an order ``who`` may not see: it must not learn that the order exists.
    """
    return reading_scope(center, who).sees_order(row)


async def act(center: Center, who: Principal, order_id: str, action: str, body: OrderAction) -> Row:
    """Take ``action`` on an order; exactly one of two racing actors wins. An action sent
    with a ``client_id`` is applied once, a repeat answered as the first time.
    """
    if body.client_id:
        return await receipts.act_once(
            center,
            who,
            order_id,
            action,
            body.client_id,
            lambda: _act(center, who, order_id, action, body),
        )
    return await _act(center, who, order_id, action, body)


async def _act(
    center: Center, who: Principal, order_id: str, action: str, body: OrderAction
) -> Row:
    oid = parse_order_id(order_id)
    async with center.db.connection() as conn:
        row = await store.get_order(conn, oid)
        if row is None or not may_see(center, who, row):
            raise NotFound(f"no order {order_id!r}")
        delegation.check_holder(center, who, row, action)
        if body.version is not None and body.version != row["version"]:
            raise await _lost_race(conn, row)
        facts = order_facts(row)
        try:
            move = lc.transition(
                facts,
                action,
                who.role,
                note=body.note,
                rating=body.rating,
                target_order_id=body.target_order_id,
            )
        except lc.ActionForbidden as exc:
            raise Forbidden(str(exc)) from exc
        except lc.TransitionError as exc:
            # Often the caller acted on a page that someone else has since moved on: say who.
            last = await store.last_actor(conn, oid)
            by = f" (last changed by {last['actor']})" if last else ""
            raise Conflict(
                f"{exc}{by}",
                current_status=exc.current.value,
                allowed_actions=[a.value for a in exc.allowed],
                changed_by=last["actor"] if last else None,
                changed_at=_iso(last["at"]) if last else None,
            ) from exc
        except lc.DetailError as exc:
            raise Invalid(str(exc), fields={exc.field: str(exc)}) from exc
        except ValueError as exc:  # an action name the lifecycle does not know
            raise Invalid(str(exc), fields={"action": str(exc)}) from exc
        passed = delegation.effects(center, who, row, move.action, body) or handling.co_effects(
            center, who, row, move.action, body
        )
        if passed is not None:
            updates, data = passed
        else:
            updates, data = await _effects(center, who, conn, row, move.action, body)
        await handling.more_effects(center, conn, row, move.action, body, updates, data)
        entry = TimelineEntry(
            actor=who.username,
            role=who.role.value,
            action=move.action.value,
            at=center.now(),
            from_status=move.from_status.value,
            note=body.note,
            data=data,
        )
        changed = await store.apply_change(
            conn, oid, row["version"], move.to_status.value, updates, entry
        )
        if changed is None:
            raise await _lost_race(conn, row)
        if updates.get("kb_article_id") is not None:
            await _mark_kb_used(center, who, conn, oid, updates["kb_article_id"], body)
        await handling.after_change(center, conn, changed, move.action)
        await notices.after_action(center, conn, changed, move.action, body.note)
    await publish_changes(center, [changed])
    return order_view(center, who, changed)


async def _mark_kb_used(
    center: Center, who: Principal, conn: Any, oid: int, article_id: int, body: OrderAction
) -> None:
    # The call's searches at the desk were answered: they leave the knowledge base's gaps.
    if body.kb_session:
        await kb_store.link_session_to_order(conn, body.kb_session, oid)
    await kb_store.mark_used(
        conn, article_id=article_id, by=who.username, at=center.now(), order_id=oid
    )


async def _lost_race(conn: Any, row: Row) -> Conflict:
    last = await store.last_actor(conn, row["id"])
    fresh = await store.get_order(conn, row["id"])
    who = last["actor"] if last else "someone"
    return Conflict(
        f"order {row['number']} was changed by {who} first;"
        f" it is now '{fresh['status'] if fresh else '?'}'",
        changed_by=who,
        changed_at=_iso(last["at"]) if last else None,
        current_status=fresh["status"] if fresh else None,
        current_version=fresh["version"] if fresh else None,
    )


async def _effects(
    center: Center, who: Principal, conn: Any, row: Row, action: lc.Action, body: OrderAction
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column updates and timeline data that go with a legal action."""
    A = lc.Action
    ref = center.reference
    now = center.now()
    updates: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if (body.kb_article_id or body.kb_session) and action is not A.resolve_at_intake:
        field = "kb_article_id" if body.kb_article_id else "kb_session"
        raise Invalid(
            f"{field} goes only with resolve_at_intake", fields={field: "only resolve_at_intake"}
        )
    if action in (A.dispatch, A.redispatch):
        unit = body.unit_code or ((row.get("routing") or {}).get("lead") or {}).get("code")
        if not unit:
            raise Invalid("no responsible unit: give unit_code", fields={"unit_code": "required"})
        if unit not in ref.units:
            raise Invalid(f"unknown unit {unit!r}", fields={"unit_code": "not a known unit"})
        if action is A.redispatch and unit == row.get("assigned_unit"):
            raise Invalid("re-dispatch needs a different unit", fields={"unit_code": "same unit"})
        for co in body.co_units:
            if co not in ref.units:
                raise Invalid(
                    f"unknown unit {co!r}", fields={"co_units": f"{co} is not a known unit"}
                )
        updates["assigned_unit"] = unit
        data = {"unit": unit, "unit_name": ref.units[unit]["name"], "co_units": body.co_units}
    elif action is A.accept:
        if row.get("responded_at") is None:
            updates["responded_at"] = now
    elif action is A.resolve_at_intake:
        # Answered during the call itself (即时答复): the response time is the call's,
        # recorded a few minutes later when the agent closes the form.
        updates["replied_at"] = now
        updates["responded_at"] = row["received_at"]
        if body.kb_article_id is not None:
            # Answered from the knowledge base (知识库答复): the order links to the article,
            # which must be one the desk may read out today.
            article = await kb_store.shown_article(conn, int(body.kb_article_id), center.today())
            if article is None:
                raise Invalid(
                    f"article {body.kb_article_id} is not a published, valid article",
                    fields={"kb_article_id": "not a published, valid article"},
                )
            updates["kb_article_id"] = article["id"]
            data = {"kb_article_id": str(article["id"]), "kb_article_title": article["title"]}
    elif action is A.reply:
        updates["replied_at"] = now
        if row.get("responded_at") is None:
            updates["responded_at"] = now
    elif action is A.request_extension:
        if body.extension is None:
            raise Invalid("say how much more time", fields={"extension": "required"})
        updates["extension_pending"] = True
        updates["extension_request"] = body.extension.model_dump(mode="json")
        data = {"extension": updates["extension_request"]}
    elif action is A.approve_extension:
        req = row.get("extension_request") or {}
        current = Deadlines(row["respond_by"], row["reply_by"], row["deadlines_provisional"])
        longer = extend(current, Duration(int(req["value"]), req["unit"]), ref.calendar)
        updates.update(
            extension_pending=False,
            extension_request=None,
            reply_by=longer.reply_by,
            deadlines_provisional=longer.provisional,
        )
        data = {"extension": req, "reply_by": longer.reply_by.isoformat()}
    elif action is A.reject_extension:
        updates.update(extension_pending=False, extension_request=None)
        data = {"extension": row.get("extension_request")}
    elif action is A.evaluate:
        assert body.rating is not None
        updates["last_rating"] = body.rating.value
        updates["last_solved"] = body.solved
        data = {"rating": body.rating.value, "solved": body.solved}
    elif action is A.close:
        updates["closed_at"] = now
    elif action is A.reopen:
        # A reopened order gets a fresh reply window under today's limits.
        limit = reopen_limit(center, row)
        fresh = compute_deadlines(now, limit, ref.calendar)
        updates.update(
            last_rating=None,
            last_solved=None,
            replied_at=None,
            closed_at=None,
            reply_by=fresh.reply_by,
            deadlines_provisional=fresh.provisional,
        )
        data = {"reply_by": fresh.reply_by.isoformat()}
    elif action is A.merge:
        try:
            target_id = parse_order_id(body.target_order_id or "")
        except NotFound as exc:  # a bad id in the body is bad input, not a missing resource
            raise Invalid(str(exc), fields={"target_order_id": "not an order id"}) from exc
        if target_id == row["id"]:
            raise Invalid(
                "an order cannot merge into itself", fields={"target_order_id": "same order"}
            )
        target = await store.get_order(conn, target_id)
        if target is None or not may_see(center, who, target):
            raise Invalid("no such target order", fields={"target_order_id": "not found"})
        if not lc.is_open(lc.Status(target["status"])):
            raise Invalid("target order is not open", fields={"target_order_id": target["status"]})
        updates["merged_into"] = target_id
        data = {"merged_into": str(target_id), "target_number": target["number"]}
    return updates, data


def deadlines_json(row: Row) -> dict[str, Any]:
    """The order's deadlines in the contract's shape."""
    return {
        "respond_by": _iso(row["respond_by"]),
        "reply_by": _iso(row["reply_by"]),
        "provisional": bool(row["deadlines_provisional"]),
    }


def _iso(value: datetime | None) -> str | None:
    # The database hands timestamps back in the session's zone (UTC); the API speaks
    # Asia/Shanghai wall-clock time with its +08:00 offset, like the calendar routes.
    return to_shanghai(value).isoformat() if value is not None else None


# A co-handling unit's moves on its own part: offered only to that unit (handling).
_PART_ACTIONS = frozenset({lc.Action.co_accept, lc.Action.co_reply})


def order_facts(row: Row) -> lc.OrderFacts:
    """What the lifecycle's guards read of an order row."""
    return lc.OrderFacts(
        status=lc.Status(row["status"]),
        urgency=row["urgency"],
        extension_pending=row["extension_pending"],
        last_rating=lc.Rating(row["last_rating"]) if row.get("last_rating") else None,
        last_solved=row.get("last_solved"),
        delegated=bool(row.get("delegation")),
        co_handled=bool(row.get("co_units")),
    )


def order_view(center: Center, who: Principal, row: Row) -> Row:
    """The order as ``who`` sees it: masked phone, flags, what they may do next."""
    status = lc.Status(row["status"])
    replied = status not in OPEN_UNREPLIED
    state = deadline_state(
        Deadlines(row["respond_by"], row["reply_by"], row["deadlines_provisional"]),
        center.now(),
        replied=replied,
        received_at=row["received_at"],
    )
    facts = order_facts(row)
    unit = row.get("assigned_unit")
    units = center.reference.units
    confidential = bool(row.get("reporter_confidential"))
    reporter = reporter_as_seen(
        ReporterFacts(row["reporter_name"], row["reporter_phone"], row["description"]),
        who.role,
        confidential=confidential,
    )
    phone = reporter.phone
    if not delegation.calls_back(center, who, row):
        phone = mask_phone(phone)  # the number is for the unit that must call the citizen
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "channel": row["channel"],
        "category": {
            "type": row["request_type"],
            "code": row["category_code"],
            "name": (center.reference.categories.get(row["category_code"] or "") or {}).get(
                "name_zh"
            ),
        },
        "urgency": row["urgency"],
        "description": reporter.description,
        "location": (
            {"lon": row["lon"], "lat": row["lat"], "crs": "wgs84", "received_crs": row["datum"]}
            if row["lon"] is not None
            else None
        ),
        "address": row["address"],
        "reporter": {
            "name": reporter.name,
            "phone": phone,
            "confidential": confidential,
        },
        "source": row["source"],
        "source_id": row["source_id"],
        "routing": row["routing"],
        "assigned_unit": {"code": unit, "name": units.get(unit, {}).get("name")} if unit else None,
        "status": status.value,
        "status_label": lc.STATUS_LABELS_ZH[status],
        "version": row["version"],
        "received_at": _iso(row["received_at"]),
        "deadlines": deadlines_json(row),
        "due_soon": state.due_soon,
        "overdue": state.overdue,
        "responded_at": _iso(row.get("responded_at")),
        "replied_at": _iso(row.get("replied_at")),
        "closed_at": _iso(row.get("closed_at")),
        "extension_pending": row["extension_pending"],
        "last_rating": row.get("last_rating"),
        "last_solved": row.get("last_solved"),
        "merged_into": str(row["merged_into"]) if row.get("merged_into") else None,
        "kb_article_id": str(row["kb_article_id"]) if row.get("kb_article_id") else None,
        "allowed_actions": [
            a.value
            for a in lc.allowed_actions(facts, who.role)
            if a not in _PART_ACTIONS and delegation.may_act(center, who, row, a)
        ]
        + handling.part_actions(who, row),
        **delegation.view(center, row),
        **handling.view(center, who, row),
    }


def _timeline_view(t: Row) -> Row:
    return {
        "id": str(t["id"]),
        "at": _iso(t["at"]),
        "actor": t["actor"],
        "role": t["role"],
        "action": t["action"],
        "from": t["from_status"],
        "to": t["to_status"],
        "note": t["note"],
        "data": t["data"],
    }
