-- Plain PostgreSQL: native monthly range partitions on `at`. The DEFAULT partition
-- catches any row no monthly partition covers yet, so nothing is ever refused;
-- partition maintenance moves such rows into their month when it creates it.
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
) PARTITION BY RANGE (at);
CREATE TABLE timeline_default PARTITION OF timeline DEFAULT;
CREATE INDEX timeline_order_idx ON timeline (order_id, at);
CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();
