"""The leader's console's SQL: open orders past or near their reply deadline with the
supervision already on them, the steps and supervision orders a person asked for, every
session instruction with how it stands, and the signature on a session's minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dispatch_center.core.visibility import Scope
from dispatch_center.store.scope import unit_clause
from dispatch_center.store.supervision.common import Conn, Row, fetch_one, with_change


async def at_risk_orders(
    conn: Conn,
    statuses: Sequence[str],
    now: datetime,
    horizon_minutes: int,
    scope: Scope,
    limit: int = 500,
) -> list[Row]:
    """Orders not yet answered (``statuses``) that are overdue or due within
    ``horizon_minutes``, within ``scope``, latest deadline last; each with its strongest
    open supervision order (``so_level``), how many are unanswered (``so_open``) and the
    highest rung of the ladder taken (``top_rank``, 0 for none).

    Examples
    --------
    >>> rows = await at_risk_orders(conn, ["dispatched"], now, 120, CITY)  # doctest: +SKIP
    """
    mine, params = unit_clause(scope, "o.assigned_unit")
    cur = await conn.execute(
        "SELECT o.id, o.number, o.category_code, o.urgency, o.description, o.address,"
        " o.assigned_unit, o.county_code, o.status, o.received_at, o.reply_by, o.version,"
        " o.extension_pending,"
        " (SELECT max(CASE s.level WHEN 'listed' THEN 3 WHEN 'supervise' THEN 2 ELSE 1 END)"
        "  FROM supervision_orders s WHERE s.order_id = o.id) AS so_rank,"
        " (SELECT count(*) FROM supervision_orders s"
        "  WHERE s.order_id = o.id AND s.status = 'open') AS so_open,"
        " COALESCE((SELECT max((t.data->>'rank')::int) FROM timeline t"
        "  WHERE t.order_id = o.id AND t.action = 'supervision.escalate'), 0) AS top_rank"
        " FROM orders o"
        f" WHERE o.status = ANY(%(statuses)s) AND {mine}"
        " AND o.reply_by <= %(now)s + make_interval(mins => %(mins)s)"
        " ORDER BY o.reply_by LIMIT %(limit)s",
        {
            **params,
            "statuses": list(statuses),
            "now": now,
            "mins": horizon_minutes,
            "limit": limit,
        },
    )
    return await cur.fetchall()


async def steps_by(conn: Conn, actor: str, step: str, limit: int = 100) -> list[Row]:
    """The ladder steps ``actor`` took of one kind (a leader's 批示: ``leader_study``),
    newest first, with the order's number and status now.
    """
    cur = await conn.execute(
        "SELECT t.at, t.note, t.data, o.id AS order_id, o.number, o.status, o.assigned_unit,"
        " o.reply_by FROM timeline t JOIN orders o ON o.id = t.order_id"
        " WHERE t.action = 'supervision.escalate' AND t.actor = %s AND t.data->>'step' = %s"
        " ORDER BY t.at DESC LIMIT %s",
        (actor, step, limit),
    )
    return await cur.fetchall()


async def leader_steps_on(conn: Conn, order_ids: Sequence[int]) -> set[int]:
    """Which of ``order_ids`` already carry a leader's 批示 (a ``leader_study`` step)."""
    if not order_ids:
        return set()
    cur = await conn.execute(
        "SELECT DISTINCT order_id FROM timeline WHERE order_id = ANY(%s)"
        " AND action = 'supervision.escalate' AND data->>'step' = 'leader_study'",
        (list(order_ids),),
    )
    return {int(r["order_id"]) for r in await cur.fetchall()}


async def supervision_orders_issued_by(conn: Conn, who: str, limit: int = 100) -> list[Row]:
    """督办单 ``who`` issued, newest first, with the order's number and status."""
    cur = await conn.execute(
        "SELECT s.*, o.number, o.status AS order_status FROM supervision_orders s"
        " JOIN orders o ON o.id = s.order_id WHERE s.issued_by = %s"
        " ORDER BY s.issued_at DESC LIMIT %s",
        (who, limit),
    )
    return await cur.fetchall()


async def all_instructions(conn: Conn, limit: int = 300) -> list[Row]:
    """Every session instruction with its session's topic, its task's state or its work
    order's number and status (how it is being carried out).
    """
    cur = await conn.execute(
        "SELECT i.*, s.topic, s.status AS session_status,"
        " t.status AS task_status, t.result AS task_result, t.done_at AS task_done_at,"
        " o.number AS order_number, o.status AS order_status"
        " FROM supervision_instructions i"
        " JOIN supervision_sessions s ON s.id = i.session_id"
        " LEFT JOIN supervision_tasks t ON t.id = i.task_id"
        " LEFT JOIN orders o ON o.id = i.order_id"
        " ORDER BY i.id DESC LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()


async def unsigned_minutes(conn: Conn, limit: int = 50) -> list[Row]:
    """Closed sessions whose minutes nobody has signed yet, oldest first."""
    cur = await conn.execute(
        "SELECT id, topic, closed_at, closed_by FROM supervision_sessions"
        " WHERE status = 'closed' AND minutes_signed_at IS NULL ORDER BY closed_at LIMIT %s",
        (limit,),
    )
    return await cur.fetchall()


async def sign_minutes(conn: Conn, session_id: int, by: str, at: datetime) -> Row | None:
    """Sign (签发) a closed session's minutes; ``None`` when it is open or signed already."""
    query = with_change(
        "UPDATE supervision_sessions SET minutes_signed_by = %(by)s, minutes_signed_at = %(at)s"
        " WHERE id = %(id)s AND status = 'closed' AND minutes_signed_at IS NULL RETURNING *"
    )
    params = {"id": session_id, "by": by, "at": at, "kind": "supervision.signed"}
    return await fetch_one(conn, query, {**params, "entity": str(session_id)})
