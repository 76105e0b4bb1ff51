-- Raw feed events on TimescaleDB: a hypertable with 30-day chunks (fixed width, not calendar
-- months: see 002_timeline.timescale.sql).
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE TABLE feed_events (
    id          bigserial,
    at          timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    system      text NOT NULL,
    source_id   text NOT NULL,
    kind        text NOT NULL,
    layer       text NOT NULL,
    severity    text NOT NULL,
    title       text NOT NULL DEFAULT '',
    lon         double precision,
    lat         double precision,
    area        jsonb,
    data        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, at)
);
SELECT create_hypertable('feed_events', by_range('at', INTERVAL '30 days'));
CREATE INDEX feed_events_system_idx ON feed_events (system, at);
-- Raw readings are kept compressed after 7 days and dropped after 400 days; the orders
-- and alerts made from them stay.
ALTER TABLE feed_events SET (timescaledb.compress, timescaledb.compress_segmentby = 'system');
SELECT add_compression_policy('feed_events', compress_after => INTERVAL '7 days',
                              if_not_exists => true);
SELECT add_retention_policy('feed_events', drop_after => INTERVAL '400 days',
                            if_not_exists => true);
