"""CAP 1.2 warnings: ``POST /api/v1/feeds/cap`` and the chain state of every alert.

The message goes through the ordinary intake as the ``weather_cap`` source (authentication,
limits, dead letters, durability); this module answers with the alert's id at once and, after
processing, keeps the chain in ``cap_alerts``: an Alert starts a chain, an Update supersedes the
chain's current version, a Cancel ends it (``feeds.cap`` decides what references what).
"""

from __future__ import annotations

from typing import Any

from dispatch_center.center import Center
from dispatch_center.errors import NotFound
from dispatch_center.intake.ingest import Ingest
from dispatch_center.store import feed_events
from feeds.base import Normalized, OrderDraft, PayloadError
from feeds.cap import CapAlert, parse_cap

SYSTEM = "weather_cap"
Row = dict[str, Any]


def alert_id(alert: CapAlert) -> str:
    """The id the API answers with: the CAP ``identifier`` (unique per sender by the standard)."""
    return alert.identifier


async def post_cap(
    ingest: Ingest, payload: bytes, content_type: str
) -> tuple[dict[str, Any], bool]:
    """Accept one CAP message; returns the answer and whether it is new (201/202 vs 200)."""
    try:
        alert = parse_cap(payload)
    except PayloadError as exc:
        # The runner would dead-letter it too; do it here so the answer can name the letter.
        raise await ingest.refuse(SYSTEM, payload, content_type, exc) from exc
    answer = {
        "id": alert_id(alert),
        "identifier": alert.identifier,
        "sender": alert.sender,
        "msg_type": alert.msg_type,
        "chain_key": alert.chain_key,
    }
    async with ingest.center.db.connection() as conn:
        seen = await feed_events.cap_get(conn, alert.sender, alert.identifier)
    if seen is not None:
        return {**answer, "status": "duplicate", "state": seen["state"]}, False
    got = await ingest.accept(SYSTEM, payload, content_type)
    return {**answer, "status": "accepted", "intake_id": got.get("intake_id")}, True


async def after_cap(
    center: Center, payload: bytes, items: Normalized, made: list[tuple[OrderDraft, Row | None]]
) -> None:
    """Processing hook: persist the message and its chain's state."""
    alert = parse_cap(payload)
    info = alert.info()
    area = None
    if info is not None and info.areas:
        polys = [p for a in info.areas for p in a.polygons]
        area = {
            "type": "MultiPolygon",
            "coordinates": [[[list(pt) for pt in ring]] for ring in polys],
            "desc": "；".join(a.desc for a in info.areas),
        }
    chain = alert.chain_key
    async with center.db.connection() as conn, conn.transaction():
        older = await feed_events.cap_chain(conn, chain)
        newest = max((r["sent"] for r in older if r["state"] == "current"), default=None)
        if alert.msg_type == "Cancel":
            state = "cancelled"
        elif alert.msg_type in ("Alert", "Update") and (newest is None or alert.sent >= newest):
            state = "current"
        else:
            state = "superseded"
        inserted = await feed_events.cap_insert(
            conn,
            {
                "sender": alert.sender,
                "identifier": alert.identifier,
                "chain_key": chain,
                "msg_type": alert.msg_type,
                "status": alert.status,
                "sent": alert.sent,
                "severity": info.severity.lower() if info else "unknown",
                "event": info.event if info else "",
                "headline": (info.headline or "") if info else "",
                "expires": info.expires if info else None,
                "area": area,
                "xml": payload,
                "state": state,
                "received_at": center.now(),
            },
        )
        if inserted and state in ("current", "cancelled"):
            await feed_events.cap_set_chain_state(
                conn,
                chain,
                "cancelled" if state == "cancelled" else "superseded",
                except_identifier=(alert.sender, alert.identifier),
            )


def _view(r: Row) -> Row:
    return {
        "id": r["identifier"],
        "sender": r["sender"],
        "chain_key": r["chain_key"],
        "msg_type": r["msg_type"],
        "status": r["status"],
        "sent": r["sent"].isoformat(),
        "severity": r["severity"],
        "event": r["event"],
        "headline": r["headline"],
        "expires": r["expires"].isoformat() if r["expires"] else None,
        "area": r["area"],
    }


async def active_alerts(center: Center) -> dict[str, Any]:
    """``GET /api/v1/feeds/cap/active``: current versions of chains in force."""
    async with center.db.connection() as conn:
        rows = await feed_events.cap_active(conn, center.now())
    return {"alerts": [_view(r) for r in rows]}


async def alert_chain(center: Center, sender: str, identifier: str) -> dict[str, Any]:
    """One message and every version of its chain."""
    async with center.db.connection() as conn:
        row = await feed_events.cap_get(conn, sender, identifier)
        if row is None:
            raise NotFound(f"no CAP message {sender},{identifier}")
        chain = await feed_events.cap_chain(conn, row["chain_key"])
    return {
        **_view(row),
        "state": row["state"],
        "chain": [{**_view(r), "state": r["state"]} for r in chain],
    }
