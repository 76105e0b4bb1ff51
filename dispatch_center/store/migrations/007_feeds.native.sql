-- Raw feed events on plain PostgreSQL: native monthly range partitions on `at`, with a
-- DEFAULT partition so no row is ever refused (see store/partitions.py).
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
) PARTITION BY RANGE (at);
CREATE TABLE feed_events_default PARTITION OF feed_events DEFAULT;
CREATE INDEX feed_events_system_idx ON feed_events (system, at);
