-- The feed status last announced on the change log, shared by the workers: each worker
-- evaluates the merged health, and only the first to record a new status for a system
-- writes the feed.health change, so N workers no longer announce one change N times.
CREATE TABLE feed_health_announced (
    system  text PRIMARY KEY,
    status  text NOT NULL,
    at      timestamptz NOT NULL
);
