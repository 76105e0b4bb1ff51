"""Dead letters as an admin sees them: the payloads no adapter or channel understood, listed
newest first and replayed (as they were, or corrected) through the intake.

They are written by :meth:`~dispatch_center.intake.ingest.Ingest.dead_letter`, wherever a
payload is refused.
"""

from __future__ import annotations

import base64
from typing import Any

from dispatch_center.center import Center
from dispatch_center.errors import Conflict, NotFound
from dispatch_center.intake.ingest import Ingest
from dispatch_center.store import intake as intake_store

Row = dict[str, Any]


def dead_letter_view(r: Row) -> Row:
    """A dead letter as an admin sees it (the payload as text when it is text)."""
    raw = bytes(r["payload"])
    try:
        body: str | None = raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(raw).decode(), "base64"
    return {
        "id": str(r["id"]),
        "system": r["system"],
        "received_at": r["received_at"].isoformat(),
        "content_type": r["content_type"],
        "error": r["error"],
        "field": r["field"],
        "size": len(raw),
        "payload": body,
        "payload_encoding": encoding,
        "replayed_at": r["replayed_at"].isoformat() if r["replayed_at"] else None,
        "replay_result": r["replay_result"],
    }


async def list_dead_letters(
    center: Center,
    *,
    system: str | None = None,
    include_replayed: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Dead letters, newest first (open ones unless ``include_replayed``)."""
    async with center.db.connection() as conn:
        rows = await intake_store.dead_letters(
            conn, system=system, include_replayed=include_replayed, before_id=before_id, limit=limit
        )
    items = [dead_letter_view(r) for r in rows]
    return {
        "dead_letters": items,
        "next_before_id": items[-1]["id"] if len(items) == limit else None,
    }


async def replay_dead_letter(ingest: Ingest, dead_id: int, fixed: bytes | None) -> dict[str, Any]:
    """Put a dead letter (or its corrected payload) through the intake again.

    Still bad: 422 naming the field, and the letter stays open. Good: accepted (and then
    processed like any payload: a repeat of something already processed creates nothing).
    """
    center = ingest.center
    async with center.db.connection() as conn:
        row = await intake_store.dead_letter_get(conn, dead_id)
    if row is None:
        raise NotFound(f"no dead letter {dead_id}")
    if row["replayed_at"] is not None:
        raise Conflict(f"dead letter {dead_id} was replayed at {row['replayed_at'].isoformat()}")
    payload = fixed if fixed else bytes(row["payload"])
    got = await ingest.accept(row["system"], payload, row["content_type"], replay=True)
    async with center.db.connection() as conn:
        await intake_store.dead_letter_replayed(
            conn, dead_id, center.now(), "replayed (corrected payload)" if fixed else "replayed"
        )
    return {**got, "dead_letter_id": str(dead_id)}
