"""Summed measures of a period, from the rollups or the raw orders, with the live figure.

Shared by the report data and the quarterly ranking. Functions take a database
connection rather than the center so the benchmark and the tests can run them against
any database. ``source="rollup"`` reads the rollup tables (brought up to date first by
:func:`dispatch_center.reporting.rollups.catch_up`), ``source="plain"`` the raw orders;
both return the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dispatch_center.core.analysis.periods import Period
from dispatch_center.core.analysis.rates import Measures
from dispatch_center.store import analysis as store
from dispatch_center.store.analysis import Conn, Source

#: How many lines the top lists of a report show (categories, words, hotspots, hard areas).
TOP_N = 10


def summed(rows: Iterable[Mapping[str, Any] | Measures]) -> Measures:
    """The sum of measure rows (or of measures).

    Examples
    --------
    >>> summed([{"received": 2}, Measures(received=3, replied=1)]).received
    5
    """
    out = Measures()
    for r in rows:
        out = out + (r if isinstance(r, Measures) else Measures.from_row(r))
    return out


def summed_by(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, Measures]:
    """Measure rows summed per value of ``key``.

    Examples
    --------
    >>> rows = [{"unit": "a", "received": 2}, {"unit": "a", "received": 1}, {"unit": "b"}]
    >>> {k: m.received for k, m in summed_by(rows, "unit").items()}
    {'a': 3, 'b': 0}
    """
    out: dict[str, Measures] = {}
    for r in rows:
        k = str(r[key])
        out[k] = out.get(k, Measures()) + Measures.from_row(r)
    return out


async def with_pending(
    conn: Conn, p: Period, as_of: datetime, key: str | None, source: Source
) -> dict[str, Measures]:
    """Measures of ``p`` per value of ``key`` (or all under ``""``), with ``pending`` as of now.

    ``pending`` (open orders whose reply deadline has not come by ``as_of``) is the one
    figure no rollup can hold: it is read live from the orders.
    """
    dims = [key] if key else []
    rows = await store.measures_by(conn, p.start, p.end, dims, source)
    pend = await store.pending_by(conn, p.start, p.end, as_of, dims)
    out = summed_by(rows, key) if key else {"": summed(rows)}
    for r in pend:
        k = str(r[key]) if key else ""
        out[k] = out.get(k, Measures()) + Measures(pending=int(r["pending"]))
    return out
