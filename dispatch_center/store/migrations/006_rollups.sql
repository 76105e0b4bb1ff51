-- Analysis rollups, reports and the quarterly ranking's follow-ups (issue 8).
--
-- Rollups are maintained incrementally by a worker that reads the change log after
-- its cursor (dispatch_center/store/analysis.py): for every order that changed it
-- re-reads the order row, subtracts the order's previous contribution (kept in
-- rollup_order_state) and adds the new one. Triggers on orders would put these
-- upserts inside the statement that holds the change_seq row lock, serialising
-- every order write behind the rollup's hottest rows; the change-log consumer keeps
-- the write path as it is and batches many changes into one upsert per rollup row.
--
-- Keys use '' for "none" (no category, no county, not yet assigned) so they can be
-- primary keys. Days and hours are Asia/Shanghai wall-clock.

CREATE TABLE rollup_cursor (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_seq bigint NOT NULL,
    applied  bigint NOT NULL DEFAULT 0,
    at       timestamptz NOT NULL DEFAULT now()
);

-- What each order currently contributes to the rollups.
CREATE TABLE rollup_order_state (
    order_id          bigint PRIMARY KEY,
    received_at       timestamptz NOT NULL,
    day               date NOT NULL,
    hour              timestamp NOT NULL,
    channel           text NOT NULL,
    category_code     text NOT NULL,
    county_code       text NOT NULL,
    unit_code         text NOT NULL,
    responded_in_time boolean NOT NULL,
    replied           boolean NOT NULL,
    replied_on_time   boolean NOT NULL,
    excluded          boolean NOT NULL,
    evaluated         boolean NOT NULL,
    content           boolean NOT NULL,
    returned          boolean NOT NULL,
    reopened          boolean NOT NULL,
    dispatched        boolean NOT NULL,
    handle_seconds    bigint NOT NULL,
    lon               double precision,
    lat               double precision,
    cell_x            integer,
    cell_y            integer
);
-- Repeated requests (重复反映): same category, neighbouring grid cells, recent.
-- INCLUDE makes the probe index-only (after vacuum): no heap visit per candidate.
CREATE INDEX rollup_state_repeat_idx
    ON rollup_order_state (category_code, cell_x, cell_y, received_at) INCLUDE (order_id, lon, lat);
CREATE INDEX rollup_state_received_idx ON rollup_order_state (received_at);

-- Intake and the rates' numerators/denominators per day, channel, category, county, unit.
CREATE TABLE rollup_daily (
    day               date NOT NULL,
    channel           text NOT NULL,
    category_code     text NOT NULL,
    county_code       text NOT NULL,
    unit_code         text NOT NULL,
    received          bigint NOT NULL DEFAULT 0,
    responded_in_time bigint NOT NULL DEFAULT 0,
    replied           bigint NOT NULL DEFAULT 0,
    replied_on_time   bigint NOT NULL DEFAULT 0,
    excluded          bigint NOT NULL DEFAULT 0,
    evaluated         bigint NOT NULL DEFAULT 0,
    content           bigint NOT NULL DEFAULT 0,
    returned          bigint NOT NULL DEFAULT 0,
    reopened          bigint NOT NULL DEFAULT 0,
    dispatched        bigint NOT NULL DEFAULT 0,
    handle_seconds    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, category_code, county_code, unit_code)
);
CREATE INDEX rollup_daily_county_idx ON rollup_daily (county_code, day);
CREATE INDEX rollup_daily_unit_idx ON rollup_daily (unit_code, day);

-- The same measures per day and ONE dimension: what reports and rankings read. The full
-- key above has nearly a row per order (units follow category and county), so single
-- dimensions are kept on their own: about 250 rows a day whatever the volume.
-- dim: 'total' (key ''), 'county', 'unit', 'channel', 'category'.
CREATE TABLE rollup_dim (
    day               date NOT NULL,
    dim               text NOT NULL,
    key               text NOT NULL,
    received          bigint NOT NULL DEFAULT 0,
    responded_in_time bigint NOT NULL DEFAULT 0,
    replied           bigint NOT NULL DEFAULT 0,
    replied_on_time   bigint NOT NULL DEFAULT 0,
    excluded          bigint NOT NULL DEFAULT 0,
    evaluated         bigint NOT NULL DEFAULT 0,
    content           bigint NOT NULL DEFAULT 0,
    returned          bigint NOT NULL DEFAULT 0,
    reopened          bigint NOT NULL DEFAULT 0,
    dispatched        bigint NOT NULL DEFAULT 0,
    handle_seconds    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, key)
);

-- Intake by hour: one row per order would be no rollup at all, so the hour keeps
-- only channel and county (the trend and channel-mix charts); the full key is daily.
CREATE TABLE rollup_hourly (
    hour        timestamp NOT NULL,
    channel     text NOT NULL,
    county_code text NOT NULL,
    received    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel, county_code)
);

-- Hotspot grid: 0.01 degree cells (about 1 km), cell = floor(coordinate / 0.01).
CREATE TABLE rollup_cells (
    day      date NOT NULL,
    cell_x   integer NOT NULL,
    cell_y   integer NOT NULL,
    received bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, cell_x, cell_y)
);

-- The same cells per month: a quarter's hotspots read three rows per cell, not ninety.
CREATE TABLE rollup_cells_month (
    month    date NOT NULL,
    cell_x   integer NOT NULL,
    cell_y   integer NOT NULL,
    received bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (month, cell_x, cell_y)
);

-- Words of the descriptions (jieba), counted once per order when it is created.
CREATE TABLE rollup_words (
    day   date NOT NULL,
    word  text NOT NULL,
    count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, word)
);

-- The facts of one order as the rollups count them; the plain baseline groups over this.
CREATE VIEW order_facts AS
SELECT o.id AS order_id,
       o.received_at,
       (o.received_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       date_trunc('hour', o.received_at AT TIME ZONE 'Asia/Shanghai') AS hour,
       o.channel,
       coalesce(o.category_code, '') AS category_code,
       coalesce(o.routing -> 'path' -> 1 ->> 'code', '') AS county_code,
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

-- Re-read the orders in p_ids, replace their contribution to every rollup.
-- p_returned / p_reopened name orders seen taking those actions now; the flags are
-- sticky (an order once returned stays "returned").
CREATE FUNCTION rollup_apply(p_ids bigint[], p_returned bigint[], p_reopened bigint[])
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
           coalesce(o.routing -> 'path' -> 1 ->> 'code', ''),
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

-- Orders that exist when this migration runs are counted now; the cursor starts
-- at the change log's head so nothing is counted twice.
INSERT INTO rollup_cursor (id, last_seq) SELECT true, last FROM change_seq;
SELECT rollup_apply(
    coalesce((SELECT array_agg(id) FROM orders), '{}'),
    coalesce((SELECT array_agg(DISTINCT order_id) FROM timeline WHERE action = 'request_return'), '{}'),
    coalesce((SELECT array_agg(DISTINCT order_id) FROM timeline WHERE action = 'reopen'), '{}')
);

-- Reports generated on schedule and on demand, kept with their files.
CREATE TABLE reports (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly', 'quarterly',
                                               'annual', 'special')),
    period_start date NOT NULL,
    period_end   date NOT NULL,
    label        text NOT NULL,
    title        text NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('schedule', 'demand')),
    generated_by text NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    data         jsonb NOT NULL,
    files        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX reports_kind_idx ON reports (kind, period_start DESC, generated_at DESC);

-- The bottom of each quarterly list: written explanation (书面说明), then interview (组织约谈).
CREATE TABLE ranking_followups (
    quarter          text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('county', 'department')),
    unit_code        text NOT NULL,
    unit_name        text NOT NULL,
    rank             integer NOT NULL,
    score            double precision NOT NULL,
    status           text NOT NULL DEFAULT 'awaiting_explanation'
                     CHECK (status IN ('awaiting_explanation', 'awaiting_interview', 'done')),
    explanation      text,
    explained_by     text,
    explained_at     timestamptz,
    interview_record text,
    interview_at     timestamptz,
    interviewed_by   text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (quarter, kind, unit_code)
);

-- Resumable history generation: one row per run, the last batch committed.
CREATE TABLE backfill_runs (
    id          text PRIMARY KEY,
    orders      bigint NOT NULL,
    batch_size  integer NOT NULL,
    seed        bigint NOT NULL,
    first_day   date NOT NULL,
    last_day    date NOT NULL,
    batches     integer NOT NULL,
    done        integer NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
