-- TimescaleDB: the timeline's compression chosen by measurement, and the intake continuous
-- aggregate removed (issue 16). Nothing on the native path (no shared file).
--
-- 1. Compression.
-- 006 segmented by order_id. An order has one to a few timeline entries, so every segment
-- held a row or three and paid a compressed row's per-column overhead for each: compression
-- made the table bigger (48 MB -> 90 MB in the issue). Without segment-by, ordered by
-- (order_id, at), a compressed batch holds up to 1,000 neighbouring orders' entries, and the
-- min/max of order_id kept per batch lets a lookup by order (store/orders.py: WHERE order_id
-- = $1 ORDER BY at, id) decompress only the batch or two that can hold it. The segment-by is
-- given as empty on purpose: left unset, TimescaleDB would pick one from the
-- (order_id, at) index, which is the setting that grew the table.
-- Measured by benchmarks/timeline_compression.py (2 shared cores; lookup = median / p95 over
-- 300 orders; uncompressed 0.13-0.21 / 0.34-0.38 ms):
--                       back-filled history            live-shaped (7+ entries an order)
--                       410,354 entries, 107 MB        714,336 entries, 191 MB
--   segment-by order_id 215 MB   0.33 / 1.3 ms         124 MB   0.31 / 0.65 ms
--   (order_id, at)      8.5 MB   0.47 / 1.7 ms         14.5 MB  1.6 / 2.0 ms      <- this
--   at only             8.6 MB   1.4 / 2.2 ms          16.4 MB  2.1 / 4.3 ms
--   segment-by action   8.3 MB   0.55 / 1.1 ms         8.2 MB   2.0 / 3.9 ms
-- Segment-by action is smaller on live-shaped history and scans by action (order_facts'
-- returned/reopened) 3x faster (3.8 vs 10.7 ms), but the lookup by order is the hot read
-- (every order page) and its tail is twice as long there, as an order's entries are spread
-- over one segment per action. Both are an order of magnitude smaller than uncompressed.
--
-- Chunks compressed under the old settings keep them (TimescaleDB keeps settings per chunk;
-- checked on 2.28.3): they stay readable and writable, only larger than uncompressed. Not
-- redone here, under the migration lock: an operator recompresses them when convenient with
--     SELECT compress_chunk(c, recompress => true) FROM show_chunks('timeline',
--         older_than => INTERVAL '3 months') c;
ALTER TABLE timeline SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'order_id, at'
);

-- 2. The intake continuous aggregate of 006/014 goes, with its refresh policy. Nothing read
-- it: the hourly intake chart reads rollup_hourly (store/analysis.py) and the wall's KPIs
-- read today's orders (store/wallboard.py), on both paths, so their numbers cannot differ
-- between paths and stay fast on a 3-million-order history. It bucketed by the timeline's
-- write time rather than received_at, so it could disagree with them; and its policy woke
-- every minute to keep it current for no reader.
-- Dropping it deletes its job and cancels a refresh that is running at that moment. On
-- PostgreSQL 15.20 with TimescaleDB 2.28.3 such a cancelled refresh worker once died of a
-- segmentation fault (the test suite, creating hundreds of databases) and the server went
-- through crash recovery. A refresh takes milliseconds once a minute, so an upgrade rarely
-- meets one; to rule it out, pause the job before migrating:
--     SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs
--     WHERE hypertable_name = 'intake_hourly_cagg';
DROP MATERIALIZED VIEW IF EXISTS intake_hourly_cagg;
