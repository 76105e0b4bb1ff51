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
-- Measured by benchmarks/timeline_compression.py on 400,000 back-filled orders (410,354
-- entries, 107 MB with indexes; 2 shared cores): segment-by order_id 215 MB; no segment-by,
-- ordered by (order_id, at) 8.5 MB, a lookup by order 0.42 ms median / 2.5 ms p95 (0.13 /
-- 0.34 ms uncompressed); ordered by at alone 8.6 MB but 1.3 ms / 4.0 ms. Segment-by action
-- came out 3% smaller, but that history is nearly all 'receive' entries; a live order's
-- entries span many actions, which would split each order over as many segments.
--
-- Chunks compressed under the old settings keep them (TimescaleDB keeps settings per chunk;
-- checked on 2.28.3): they stay readable and writable, only about twice their size. Not
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
