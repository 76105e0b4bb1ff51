-- The spine: units, accounts, taxonomy, calendar, time limits, work orders and the
-- ordered change log. Time-ordered tables (timeline) come in 002 per storage path.

CREATE TABLE units (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    tier        smallint NOT NULL CHECK (tier BETWEEN 1 AND 4),
    kind        text NOT NULL,  -- center | county | department | township | village | hq | external
    parent_code text REFERENCES units (code),
    county_code text,
    synthetic   boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'duty_officer', 'dispatcher', 'flood_hq',
                                                'holiday_hq', 'leader', 'handler', 'auditor')),
    unit_code     text REFERENCES units (code),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'handler' OR unit_code IS NOT NULL)
);

-- Domain and sub-category of a request (the request *type* 咨询/求助/... is a column on orders).
CREATE TABLE taxonomy (
    code        text PRIMARY KEY,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    parent_code text REFERENCES taxonomy (code),
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE calendar_days (
    day        date PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       text NOT NULL DEFAULT '',
    source     text NOT NULL,
    updated_by text NOT NULL DEFAULT 'system',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A year is "covered" once its full schedule is loaded; uncovered years count Mon-Fri
-- and deadlines falling in them are provisional.
CREATE TABLE calendar_years (
    year        integer PRIMARY KEY,
    source      text NOT NULL,
    imported_by text NOT NULL DEFAULT 'system',
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE time_limits (
    id            bigserial PRIMARY KEY,
    urgency       text NOT NULL CHECK (urgency IN ('consultation', 'urgent', 'general')),
    category_code text REFERENCES taxonomy (code),
    mode          text,
    respond_value integer NOT NULL CHECK (respond_value >= 0),
    respond_unit  text NOT NULL CHECK (respond_unit IN ('immediate', 'minutes', 'hours', 'working_days')),
    reply_value   integer NOT NULL CHECK (reply_value >= 0),
    reply_unit    text NOT NULL CHECK (reply_unit IN ('immediate', 'minutes', 'hours', 'working_days')),
    updated_by    text NOT NULL DEFAULT 'system',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (urgency, category_code, mode)
);

CREATE TABLE order_counters (
    day  date PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE orders (
    id                    bigserial PRIMARY KEY,
    number                text NOT NULL UNIQUE,
    channel               text NOT NULL,
    request_type          text NOT NULL CHECK (request_type IN ('consultation', 'help', 'complaint',
                                                                'report', 'suggestion')),
    category_code         text REFERENCES taxonomy (code),
    urgency               text NOT NULL CHECK (urgency IN ('consultation', 'urgent', 'general')),
    description           text NOT NULL,
    lon                   double precision,
    lat                   double precision,
    datum                 text,
    address               text,
    reporter_name         text,
    reporter_phone        text,
    source                text,
    source_id             text,
    routing               jsonb,
    assigned_unit         text REFERENCES units (code),
    status                text NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    received_at           timestamptz NOT NULL,
    respond_by            timestamptz NOT NULL,
    reply_by              timestamptz NOT NULL,
    deadlines_provisional boolean NOT NULL DEFAULT false,
    responded_at          timestamptz,
    replied_at            timestamptz,
    closed_at             timestamptz,
    extension_pending     boolean NOT NULL DEFAULT false,
    extension_request     jsonb,
    last_rating           text,
    merged_into           bigint REFERENCES orders (id),
    created_by            text NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);
CREATE INDEX orders_status_idx ON orders (status, received_at);
CREATE INDEX orders_unit_idx ON orders (assigned_unit, status);
CREATE INDEX orders_received_idx ON orders (received_at);

-- Gap-free sequence of every committed change. The single counter row is taken
-- in the same statement that writes the change, so sequence order is commit order.
CREATE TABLE change_seq (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    last bigint NOT NULL
);
INSERT INTO change_seq (id, last) VALUES (true, 0);

CREATE TABLE change_log (
    seq       bigint PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    kind      text NOT NULL,
    entity_id text,
    payload   jsonb NOT NULL
);

-- Who changed what outside a work order (accounts, calendar, time limits).
CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    role   text NOT NULL,
    action text NOT NULL,
    entity text NOT NULL,
    data   jsonb NOT NULL DEFAULT '{}'
);

-- Append-only: history is evidence. Partition maintenance may move rows between
-- partitions, and only when it says so for its own transaction.
CREATE FUNCTION forbid_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('dispatch.maintenance', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();
