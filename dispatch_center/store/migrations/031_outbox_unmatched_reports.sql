-- A delivery report that names a gateway reference no outbox message carries yet (the
-- carrier's receipt overtook the gateway's answer to our submit, or another worker sent
-- the text and has not recorded the reference). Kannel is answered 200 and never calls
-- again, so the report is kept here, not in one process's memory: it survives a restart
-- and the worker that records the reference applies it. One report per reference, the
-- most final one (delivered/failed beats sent).
CREATE TABLE outbox_unmatched_reports (
    gateway_ref text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('sent', 'delivered', 'failed')),
    detail text NOT NULL DEFAULT '',
    reported_at timestamptz NOT NULL,
    kept_until timestamptz NOT NULL
);
CREATE INDEX outbox_unmatched_reports_kept_until_idx ON outbox_unmatched_reports (kept_until);
