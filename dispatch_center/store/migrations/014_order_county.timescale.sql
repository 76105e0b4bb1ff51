-- TimescaleDB: the intake aggregate by county (issue 14), applied after 014_order_county.sql.
-- A continuous aggregate sits on one hypertable, so intake_hourly_cagg reads the 'receive'
-- entries of the timeline, not the orders table and its new column. From this version on,
-- that entry carries the order's county_code beside its routing (orders/service.py); entries
-- written before carry only the routing, and history is append-only (and compressed after
-- three months), so for those the county is still read from the routing's path.
--
-- A continuous aggregate's query cannot be altered: it is dropped (with its refresh policy)
-- and made again WITH NO DATA (this runs in a transaction). The policy fills the last three
-- days within a minute, as before; buckets older than that are empty until an operator runs,
-- once and outside a transaction:
--     CALL refresh_continuous_aggregate('intake_hourly_cagg', NULL, now() - INTERVAL '3 days');
-- The counts are the same as before: county_code is written from the same routing.

DROP MATERIALIZED VIEW intake_hourly_cagg;

CREATE MATERIALIZED VIEW intake_hourly_cagg
WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 hour', at) AS bucket,
       data ->> 'channel' AS channel,
       coalesce(data ->> 'county_code', data -> 'routing' -> 'path' -> 1 ->> 'code', '')
           AS county_code,
       count(*) AS received
FROM timeline
WHERE action = 'receive'
GROUP BY time_bucket(INTERVAL '1 hour', at), data ->> 'channel',
         coalesce(data ->> 'county_code', data -> 'routing' -> 'path' -> 1 ->> 'code', '')
WITH NO DATA;

SELECT add_continuous_aggregate_policy('intake_hourly_cagg',
    start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 minute',
    schedule_interval => INTERVAL '1 minute');
