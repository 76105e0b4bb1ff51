-- A session's minutes are signed (签发) by a leader or the duty officer once closed: who and
-- when, once. Unsigned minutes wait on the signer's day list.
ALTER TABLE supervision_sessions ADD COLUMN IF NOT EXISTS minutes_signed_by text;
ALTER TABLE supervision_sessions ADD COLUMN IF NOT EXISTS minutes_signed_at timestamptz;
CREATE INDEX IF NOT EXISTS supervision_sessions_unsigned_idx ON supervision_sessions (closed_at)
    WHERE status = 'closed' AND minutes_signed_at IS NULL;
