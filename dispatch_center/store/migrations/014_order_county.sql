-- The county an order is in, as a column (issue 14). Until now every query that grouped
-- or filtered by county re-parsed it from the routing JSON (routing -> 'path' -> 1 ->> 'code',
-- the tier-2 step of the path, which runs city first).
--
-- A STORED generated column, not an ordinary one kept by the writers: the insert, the WeChat
-- fold (re-routes a still-received order), the generic order update (routing is updatable),
-- the history back-fill's COPY and the benchmarks all write routing, and none of them can now
-- forget the county or disagree with the routing. Adding it rewrites the table once under an
-- exclusive lock, which also fills it for every existing row; measured on a copy of orders
-- with 1 million rows (2 shared cores, busy): 32 s and 1.5 GB of WAL for the generated column
-- with its index, against 62 s, 3.3 GB of WAL and a table twice its size until vacuumed for
-- an ordinary column filled by UPDATE (which also holds every row's lock while it runs).
-- Expect about 1.5 minutes at 3.2 million orders, during which orders cannot be read.
ALTER TABLE orders ADD COLUMN county_code text
    GENERATED ALWAYS AS (routing -> 'path' -> 1 ->> 'code') STORED;

-- The order list filters by county and pages by id (GET /api/v1/orders?county=...).
CREATE INDEX orders_county_idx ON orders (county_code, id);

-- The rollups read the column (same values: the rollup tables need no recount).
CREATE OR REPLACE VIEW order_facts AS
SELECT o.id AS order_id,
       o.received_at,
       (o.received_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       date_trunc('hour', o.received_at AT TIME ZONE 'Asia/Shanghai') AS hour,
       o.channel,
       coalesce(o.category_code, '') AS category_code,
       coalesce(o.county_code, '') AS county_code,
       coalesce(o.assigned_unit, '') AS unit_code,
       coalesce(o.responded_at <= o.respond_by, false) AS responded_in_time,
       o.replied_at IS NOT NULL AS replied,
       coalesce(o.replied_at <= o.reply_by, false) AS replied_on_time,
       (o.replied_at IS NULL AND o.status IN ('merged', 'transferred_110')) AS excluded,
       o.last_rating IS NOT NULL AS evaluated,
       coalesce(o.last_rating IN ('satisfied', 'basically_satisfied'), false) AS content,
       coalesce(f.returned, false) AS returned,
       coalesce(f.reopened, false) AS reopened,
       (o.assigned_unit IS NOT NULL OR coalesce(f.returned, false)) AS dispatched,
       coalesce(round(extract(epoch FROM o.replied_at - o.received_at))::bigint, 0) AS handle_seconds,
       o.lon,
       o.lat,
       floor(o.lon / 0.01)::integer AS cell_x,
       floor(o.lat / 0.01)::integer AS cell_y
FROM orders o
LEFT JOIN (
    SELECT order_id,
           bool_or(action = 'request_return') AS returned,
           bool_or(action = 'reopen') AS reopened
    FROM timeline
    WHERE action IN ('request_return', 'reopen')
    GROUP BY order_id
) f ON f.order_id = o.id;

CREATE OR REPLACE FUNCTION rollup_apply(p_ids bigint[], p_returned bigint[], p_reopened bigint[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS _rollup_old (LIKE rollup_order_state) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS _rollup_new (LIKE rollup_order_state) ON COMMIT DROP;
    TRUNCATE _rollup_old, _rollup_new;

    WITH gone AS (DELETE FROM rollup_order_state WHERE order_id = ANY(p_ids) RETURNING *)
    INSERT INTO _rollup_old SELECT * FROM gone;

    INSERT INTO _rollup_new
    SELECT o.id,
           o.received_at,
           (o.received_at AT TIME ZONE 'Asia/Shanghai')::date,
           date_trunc('hour', o.received_at AT TIME ZONE 'Asia/Shanghai'),
           o.channel,
           coalesce(o.category_code, ''),
           coalesce(o.county_code, ''),
           coalesce(o.assigned_unit, ''),
           coalesce(o.responded_at <= o.respond_by, false),
           o.replied_at IS NOT NULL,
           coalesce(o.replied_at <= o.reply_by, false),
           (o.replied_at IS NULL AND o.status IN ('merged', 'transferred_110')),
           o.last_rating IS NOT NULL,
           coalesce(o.last_rating IN ('satisfied', 'basically_satisfied'), false),
           coalesce(old.returned, false) OR o.id = ANY(p_returned),
           coalesce(old.reopened, false) OR o.id = ANY(p_reopened),
           o.assigned_unit IS NOT NULL OR coalesce(old.returned, false) OR o.id = ANY(p_returned),
           coalesce(round(extract(epoch FROM o.replied_at - o.received_at))::bigint, 0),
           o.lon,
           o.lat,
           floor(o.lon / 0.01)::integer,
           floor(o.lat / 0.01)::integer
    FROM orders o
    LEFT JOIN _rollup_old old ON old.order_id = o.id
    WHERE o.id = ANY(p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO rollup_daily AS r (day, channel, category_code, county_code, unit_code, received,
        responded_in_time, replied, replied_on_time, excluded, evaluated, content, returned,
        reopened, dispatched, handle_seconds)
    SELECT day, channel, category_code, county_code, unit_code, sum(s),
           sum(s * responded_in_time::int), sum(s * replied::int), sum(s * replied_on_time::int),
           sum(s * excluded::int), sum(s * evaluated::int), sum(s * content::int),
           sum(s * returned::int), sum(s * reopened::int), sum(s * dispatched::int),
           sum(s * handle_seconds)
    FROM (SELECT 1 AS s, * FROM _rollup_new UNION ALL SELECT -1 AS s, * FROM _rollup_old) d
    GROUP BY day, channel, category_code, county_code, unit_code
    ON CONFLICT (day, channel, category_code, county_code, unit_code) DO UPDATE SET
        received = r.received + EXCLUDED.received,
        responded_in_time = r.responded_in_time + EXCLUDED.responded_in_time,
        replied = r.replied + EXCLUDED.replied,
        replied_on_time = r.replied_on_time + EXCLUDED.replied_on_time,
        excluded = r.excluded + EXCLUDED.excluded,
        evaluated = r.evaluated + EXCLUDED.evaluated,
        content = r.content + EXCLUDED.content,
        returned = r.returned + EXCLUDED.returned,
        reopened = r.reopened + EXCLUDED.reopened,
        dispatched = r.dispatched + EXCLUDED.dispatched,
        handle_seconds = r.handle_seconds + EXCLUDED.handle_seconds;

    INSERT INTO rollup_dim AS r (day, dim, key, received, responded_in_time, replied,
        replied_on_time, excluded, evaluated, content, returned, reopened, dispatched,
        handle_seconds)
    SELECT day, k.dim, k.key, sum(s), sum(s * responded_in_time::int), sum(s * replied::int),
           sum(s * replied_on_time::int), sum(s * excluded::int), sum(s * evaluated::int),
           sum(s * content::int), sum(s * returned::int), sum(s * reopened::int),
           sum(s * dispatched::int), sum(s * handle_seconds)
    FROM (SELECT 1 AS s, * FROM _rollup_new UNION ALL SELECT -1 AS s, * FROM _rollup_old) d
    CROSS JOIN LATERAL (VALUES ('total', ''), ('county', d.county_code), ('unit', d.unit_code),
                               ('channel', d.channel), ('category', d.category_code)) k (dim, key)
    GROUP BY day, k.dim, k.key
    ON CONFLICT (dim, day, key) DO UPDATE SET
        received = r.received + EXCLUDED.received,
        responded_in_time = r.responded_in_time + EXCLUDED.responded_in_time,
        replied = r.replied + EXCLUDED.replied,
        replied_on_time = r.replied_on_time + EXCLUDED.replied_on_time,
        excluded = r.excluded + EXCLUDED.excluded,
        evaluated = r.evaluated + EXCLUDED.evaluated,
        content = r.content + EXCLUDED.content,
        returned = r.returned + EXCLUDED.returned,
        reopened = r.reopened + EXCLUDED.reopened,
        dispatched = r.dispatched + EXCLUDED.dispatched,
        handle_seconds = r.handle_seconds + EXCLUDED.handle_seconds;

    INSERT INTO rollup_hourly AS r (hour, channel, county_code, received)
    SELECT hour, channel, county_code, sum(s)
    FROM (SELECT 1 AS s, * FROM _rollup_new UNION ALL SELECT -1 AS s, * FROM _rollup_old) d
    GROUP BY hour, channel, county_code
    ON CONFLICT (hour, channel, county_code) DO UPDATE SET received = r.received + EXCLUDED.received;

    INSERT INTO rollup_cells AS r (day, cell_x, cell_y, received)
    SELECT day, cell_x, cell_y, sum(s)
    FROM (SELECT 1 AS s, * FROM _rollup_new UNION ALL SELECT -1 AS s, * FROM _rollup_old) d
    WHERE cell_x IS NOT NULL AND cell_y IS NOT NULL
    GROUP BY day, cell_x, cell_y
    ON CONFLICT (day, cell_x, cell_y) DO UPDATE SET received = r.received + EXCLUDED.received;

    INSERT INTO rollup_cells_month AS r (month, cell_x, cell_y, received)
    SELECT date_trunc('month', day)::date, cell_x, cell_y, sum(s)
    FROM (SELECT 1 AS s, * FROM _rollup_new UNION ALL SELECT -1 AS s, * FROM _rollup_old) d
    WHERE cell_x IS NOT NULL AND cell_y IS NOT NULL
    GROUP BY 1, cell_x, cell_y
    ON CONFLICT (month, cell_x, cell_y) DO UPDATE SET received = r.received + EXCLUDED.received;

    INSERT INTO rollup_order_state SELECT * FROM _rollup_new;
    RETURN n;
END $$;
