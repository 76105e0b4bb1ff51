-- Issue 15: the intake table is the durable queue with or without Redis.
--
-- An accepted payload's row is committed before its 202 and claimed at once by the worker
-- that accepted it (claimed_by, claimed_at); that worker processes it from memory. Each
-- worker keeps a heartbeat in intake_workers; a row whose worker's heartbeat has run out
-- (a crash, kill -9, a lost host) is claimed by another worker (FOR UPDATE SKIP LOCKED) and
-- processed again, which the feed dedupe table and the orders' unique index make a no-op
-- for whatever was already done. A clean stop releases its rows (claimed_by back to NULL).
-- Rows pending from before this migration have no claim: the first sweep takes them.
ALTER TABLE intake ADD COLUMN claimed_by text;
ALTER TABLE intake ADD COLUMN claimed_at timestamptz;

CREATE TABLE intake_workers (
    name        text PRIMARY KEY,
    alive_until timestamptz NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
