-- TimescaleDB additions to the analysis rollups (issue 8), applied after 006_rollups.sql.
-- The order rollups themselves are the shared tables of 006_rollups.sql on both paths
-- (orders is a mutable table, not a hypertable, so a continuous aggregate cannot sit on
-- it): the numbers cannot differ. What TimescaleDB adds:
--   * a continuous aggregate of intake per hour, channel and county over the timeline
--     hypertable (its 'receive' entries), refreshed by a policy, for live charts;
--   * compression of old timeline chunks.
-- Continuous aggregates are created WITH NO DATA: the migration runs in a transaction.

CREATE MATERIALIZED VIEW intake_hourly_cagg
WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 hour', at) AS bucket,
       data ->> 'channel' AS channel,
       coalesce(data -> 'routing' -> 'path' -> 1 ->> 'code', '') AS county_code,
       count(*) AS received
FROM timeline
WHERE action = 'receive'
GROUP BY time_bucket(INTERVAL '1 hour', at), data ->> 'channel',
         coalesce(data -> 'routing' -> 'path' -> 1 ->> 'code', '')
WITH NO DATA;

SELECT add_continuous_aggregate_policy('intake_hourly_cagg',
    start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 minute',
    schedule_interval => INTERVAL '1 minute');

-- Timeline chunks older than three months are compressed (history is append-only).
ALTER TABLE timeline SET (timescaledb.compress, timescaledb.compress_segmentby = 'order_id');
SELECT add_compression_policy('timeline', compress_after => INTERVAL '3 months');
