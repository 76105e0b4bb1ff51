-- TimescaleDB: the timeline is a hypertable with 30-day chunks (create_hypertable with
-- by_range, TimescaleDB >= 2.13). Not calendar months: TimescaleDB has fixed-width chunks and
-- reads INTERVAL '1 month' as 30 days, so this says so (same chunks as the '1 month' it said
-- before; native PostgreSQL's partitions, store/partitions.py, are calendar months).
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE TABLE timeline (
    id          bigserial,
    order_id    bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    from_status text,
    to_status   text,
    note        text,
    data        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, at)
);
SELECT create_hypertable('timeline', by_range('at', INTERVAL '30 days'));
CREATE INDEX timeline_order_idx ON timeline (order_id, at);
CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();
