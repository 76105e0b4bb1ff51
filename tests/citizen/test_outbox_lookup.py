"""Delivery reports find their text by the gateway's reference through an index.

Each report (Kannel's callback, an SMPP receipt) names its text only by the gateway's
reference; the outbox grows by several texts per order and is never pruned, so a lookup
by reference must not scan it.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from dispatch_center.store.migrate import migrate


def test_a_report_finds_its_text_through_the_reference_index(
    make_database: Callable[[], str],
) -> None:
    url = make_database()
    migrate(url)
    with psycopg.connect(url) as conn:
        # The planner would scan a tiny table anyway; forbidding scans asks whether the
        # store's lookup can use the partial index at all.
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            str(row[0])
            for row in conn.execute(
                "EXPLAIN SELECT 1 FROM outbox WHERE gateway_ref = %s LIMIT 1", ("4f2a",)
            )
        )
    assert "outbox_gateway_ref_idx" in plan, plan
