"""The rollups follow the change log: :func:`catch_up` and the :class:`RollupWorker`.

Every change-log row after the rollup cursor is applied to the rollup tables (the
order's measures, its day's words); the cursor moves in the same transaction.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from dispatch_center.background import BackgroundLoop
from dispatch_center.reporting.words import day_word_counts, load_tokenizer
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn


async def catch_up(conn: Conn, batch: int = 5000, *, wait: bool = True) -> int:
    """Apply every change-log row after the rollup cursor; return how many orders were applied.

    Each batch is one transaction: the deltas and the cursor move together, so a crash
    re-applies nothing and loses nothing. Concurrent callers queue on the cursor row.
    """
    applied = 0
    while True:
        async with conn.transaction():
            _, changes = await store.claim_changes(conn, batch, wait=wait)
            if not changes:
                return applied
            ids: set[int] = set()
            created: set[int] = set()
            returned: set[int] = set()
            reopened: set[int] = set()
            for c in changes:
                if (
                    not str(c["kind"]).startswith("order.")
                    or not str(c["entity_id"] or "").isdigit()
                ):
                    continue
                oid = int(c["entity_id"])
                ids.add(oid)
                if c["kind"] == "order.created":
                    created.add(oid)
                if c["action"] == "request_return":
                    returned.add(oid)
                elif c["action"] == "reopen":
                    reopened.add(oid)
            n = (
                await store.apply_orders(conn, sorted(ids), sorted(returned), sorted(reopened))
                if ids
                else 0
            )
            if created:
                rows = await store.descriptions_of(conn, sorted(created))
                # Tokenising is CPU work: in a thread, the event loop keeps serving
                # requests and the wall (it gets the GIL back every few milliseconds).
                # On the loop, even in slices of 32 descriptions, 5,000-character
                # descriptions held every request and every screen for seconds.
                counts = await asyncio.to_thread(day_word_counts, rows)
                await store.add_words(conn, counts)
            await store.advance_cursor(conn, int(changes[-1]["seq"]), n)
            applied += n
        if len(changes) < batch:
            return applied


class RollupWorker(BackgroundLoop):
    """Keeps the rollups current in the background (a wake-up every ``interval`` seconds)."""

    name = "rollup worker"

    def __init__(self, db: Any, interval: float = 2.0) -> None:
        super().__init__()
        self.db = db
        self.interval = interval
        self.retry_after = interval

    @property
    def heartbeat(self) -> datetime | None:
        """When the rollups were last brought up to date."""
        return self.last_ok_at

    async def prepare(self) -> None:
        """Load jieba's dictionary now, in a thread, rather than on the first order after
        start-up (a second of CPU in the middle of serving requests).
        """
        await asyncio.to_thread(load_tokenizer)

    async def step(self) -> float:
        """Apply every change after the rollup cursor."""
        async with self.db.connection() as conn:
            # Another worker applying the same changes: leave it to them this round.
            await catch_up(conn, wait=False)
        return self.interval
