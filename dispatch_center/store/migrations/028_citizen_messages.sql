-- The citizen's side of the loop (issue 21): SMS from approved templates over a real
-- gateway, with the gateway's delivery reports; replies to the callback survey kept and
-- matched to their order; where each evaluation came from.
--
-- outbox.status: pending (queued) → sent (the gateway took it) → delivered | failed (its
-- delivery report, or our retries exhausted). 'pending' keeps its name: the reminders
-- and supervision orders already queue with it.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sent', 'delivered', 'failed'));
ALTER TABLE outbox
    ADD COLUMN template        text,
    ADD COLUMN order_id        bigint REFERENCES orders (id),
    ADD COLUMN urgent          boolean NOT NULL DEFAULT false,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN gateway_ref     text,
    ADD COLUMN delivered_at    timestamptz,
    ADD COLUMN dlr_status      text;
CREATE INDEX outbox_order_idx ON outbox (order_id, id) WHERE order_id IS NOT NULL;
-- The per-number rate limit counts what went to one number lately.
CREATE INDEX outbox_recipient_sent_idx ON outbox (recipient, sent_at) WHERE sent_at IS NOT NULL;

-- Where an evaluation came from: the citizen's SMS reply, or a seat's phone call.
ALTER TABLE callback_tasks
    ADD COLUMN answered_via text CHECK (answered_via IN ('sms', 'phone')),
    ADD COLUMN desk_reason  text;

-- Every inbound SMS that answered (or seemed to answer) a survey, its text kept whole.
CREATE TABLE sms_replies (
    id          bigserial PRIMARY KEY,
    sender      text NOT NULL,
    body        text NOT NULL,
    received_at timestamptz NOT NULL,
    order_id    bigint REFERENCES orders (id),
    callback_id bigint REFERENCES callback_tasks (id),
    outbox_id   bigint REFERENCES outbox (id),
    outcome     text NOT NULL CHECK (outcome IN ('evaluated', 'desk', 'no_survey')),
    -- A reply a seat had to read (unclear, or no open survey) is done when they say so.
    handled_at  timestamptz,
    handled_by  text
);
CREATE INDEX sms_replies_open_idx ON sms_replies (id) WHERE outcome <> 'evaluated' AND handled_at IS NULL;
CREATE INDEX sms_replies_order_idx ON sms_replies (order_id);
