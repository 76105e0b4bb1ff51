-- Feed health shared by the workers. Each worker keeps its runner's health in memory and
-- writes one row per (system, worker) every few seconds when something changed: a row per
-- arrival would cost as much as the events themselves. GET /api/v1/feeds merges the rows
-- (newest last_seen, failures over attempts across workers) so every worker answers alike.
CREATE TABLE feed_health (
    system               text NOT NULL,
    worker               text NOT NULL,
    mode                 text NOT NULL,
    interval_s           double precision NOT NULL,
    watched_since        timestamptz NOT NULL,
    last_seen            timestamptz,
    last_attempt         timestamptz,
    lag_s                double precision,
    last_error           text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    attempts             integer NOT NULL DEFAULT 0,  -- in the worker's window of attempts
    failures             integer NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (system, worker)
);

-- One worker at a time polls a poll system: the outside system is asked once per interval,
-- not once per worker, and "failed"/"recovered" are logged by one runner.
CREATE TABLE feed_poll_leases (
    system  text PRIMARY KEY,
    holder  text NOT NULL,
    until   timestamptz NOT NULL
);
