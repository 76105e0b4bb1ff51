-- Dispatch modes: declarations in force or scheduled, their append-only history, and
-- the suggestions feed triggers raise. Every change also goes to change_log (kind
-- 'mode.*') with the next change_seq, so wallboards see mode changes in order.

CREATE TABLE mode_declarations (
    id             bigserial PRIMARY KEY,
    mode           text NOT NULL CHECK (mode IN ('holiday', 'emergency')),
    emergency_type text CHECK (emergency_type IN ('flood', 'geohazard', 'public_health',
                                                  'major_accident', 'other')),
    scope          text[],  -- county adcodes; NULL = city-wide
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz,
    declared_by    text NOT NULL,
    declared_role  text NOT NULL,
    declared_at    timestamptz NOT NULL,
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    continues      bigint REFERENCES mode_declarations (id),
    suggestion_id  bigint,
    cancelled_at   timestamptz,
    cancelled_by   text,
    ended_by       text,
    -- Side effects of the start and the end (history, change log, open orders) are
    -- applied once: the worker whose UPDATE flips the flag does them.
    start_applied  boolean NOT NULL DEFAULT false,
    end_applied    boolean NOT NULL DEFAULT false,
    CHECK ((mode = 'emergency') = (emergency_type IS NOT NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX mode_declarations_live_idx ON mode_declarations (ends_at) WHERE cancelled_at IS NULL;

-- Who switched what, when, from what to what, where and why. Never updated.
CREATE TABLE mode_history (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL,
    action         text NOT NULL,  -- declare | schedule | end | start | cancel | suggestion.* | policies.reloaded
    actor          text NOT NULL,
    role           text NOT NULL,
    from_mode      text,
    to_mode        text,
    emergency_type text,
    scope          text[],
    reason         text,
    starts_at      timestamptz,
    ends_at        timestamptz,
    status         text NOT NULL,  -- active | scheduled | ended | cancelled | accepted | dismissed | open | applied
    declaration_id bigint REFERENCES mode_declarations (id),
    suggestion_id  bigint,
    data           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX mode_history_at_idx ON mode_history (at DESC);
CREATE TRIGGER mode_history_append_only BEFORE UPDATE OR DELETE ON mode_history
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();

CREATE TABLE mode_suggestions (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL,
    dedupe_key     text NOT NULL,
    mode           text NOT NULL CHECK (mode IN ('holiday', 'emergency')),
    emergency_type text,
    scope          text[] NOT NULL,
    reason         text NOT NULL,
    evidence       jsonb NOT NULL DEFAULT '{}',
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'dismissed')),
    raised_at      timestamptz NOT NULL,
    seen_count     integer NOT NULL DEFAULT 1,
    last_seen_at   timestamptz NOT NULL,
    decided_at     timestamptz,
    decided_by     text,
    decision_note  text,
    declaration_id bigint REFERENCES mode_declarations (id)
);
-- The same condition raises exactly one open suggestion.
CREATE UNIQUE INDEX mode_suggestions_open_key ON mode_suggestions (dedupe_key) WHERE status = 'open';
CREATE INDEX mode_suggestions_status_idx ON mode_suggestions (status, raised_at DESC);
