"""The TimescaleDB variant of the feeds migration (not executable here) uses the documented
API: a hypertable with compression and retention policies, and parses as SQL."""

from __future__ import annotations

from importlib import resources

import pglast


def _sql(name: str) -> str:
    return (resources.files("dispatch_center.store") / "migrations" / name).read_text("utf-8")


def test_feed_events_hypertable_is_compressed_and_expires() -> None:
    ts = _sql("007_feeds.timescale.sql")
    for needle in (
        "create_hypertable('feed_events'",
        "timescaledb.compress",
        "add_compression_policy('feed_events'",
        "add_retention_policy('feed_events'",
    ):
        assert needle in ts, needle
    assert pglast.parse_sql(ts)
    native = _sql("007_feeds.native.sql")
    assert "timescaledb" not in native.lower() and "PARTITION BY RANGE" in native.upper()
    assert "timescaledb" not in _sql("007_feeds.sql").lower()
