-- A suggestion whose condition ended before anyone decided is withdrawn by the feed that
-- raised it (a CAP Cancel, an Update below the trigger threshold, an expired warning), so
-- the wall stops offering it. An accepted one stays accepted (people decided; the mode
-- stays until a person ends it) and only records that its condition ended.
ALTER TABLE mode_suggestions DROP CONSTRAINT mode_suggestions_status_check;
ALTER TABLE mode_suggestions ADD CONSTRAINT mode_suggestions_status_check
    CHECK (status IN ('open', 'accepted', 'dismissed', 'withdrawn'));

-- The conditions holding the suggestion up (``cap:<chain>`` for a CAP warning): two
-- warnings over the same counties raise one suggestion, and cancelling one of them must not
-- withdraw what the other still supports.
ALTER TABLE mode_suggestions ADD COLUMN sources text[] NOT NULL DEFAULT '{}';
UPDATE mode_suggestions SET sources = ARRAY[evidence ->> 'identifier']
    WHERE kind = 'cap_alert' AND evidence ? 'identifier';
ALTER TABLE mode_suggestions ADD COLUMN condition_ended_at timestamptz;
ALTER TABLE mode_suggestions ADD COLUMN condition_note text;
CREATE INDEX mode_suggestions_sources_idx ON mode_suggestions USING gin (sources)
    WHERE status IN ('open', 'accepted');
