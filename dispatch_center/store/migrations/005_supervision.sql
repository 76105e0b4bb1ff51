-- Supervision (督), callbacks (回) and evaluation (评): reminders and the outbound
-- notification outbox, supervision orders (督办单), video supervision sessions with
-- their presence, instructions, attachments and amendments, tracked tasks and callback
-- tasks. Escalation steps live on the order's timeline (action 'supervision.escalate').
-- Every change also goes to change_log (kind 'supervision.*') with the next change_seq.

-- One reminder per order, kind and deadline: a second worker's insert does nothing,
-- and a reopened order (new reply_by) is reminded afresh.
CREATE TABLE supervision_reminders (
    id        bigserial PRIMARY KEY,
    order_id  bigint NOT NULL REFERENCES orders (id),
    unit_code text,
    kind      text NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'escalated')),
    reply_by  timestamptz NOT NULL,
    at        timestamptz NOT NULL,
    message   text NOT NULL,
    read_at   timestamptz,
    UNIQUE (order_id, kind, reply_by)
);
CREATE INDEX supervision_reminders_unit_idx ON supervision_reminders (unit_code, at DESC);

-- Outbound notifications (SMS, console); a channel adapter delivers and marks them.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    channel    text NOT NULL,
    recipient  text NOT NULL,
    body       text NOT NULL,
    ref_kind   text,
    ref_id     text,
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts   integer NOT NULL DEFAULT 0,
    error      text,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE status = 'pending';

-- 督办单: level, answer deadline, what must be answered; the handler's answer.
CREATE TABLE supervision_orders (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    level       text NOT NULL CHECK (level IN ('urge', 'supervise', 'listed')),
    requirement text NOT NULL CHECK (btrim(requirement) <> ''),
    answer_by   timestamptz NOT NULL,
    unit_code   text,
    issued_by   text NOT NULL,
    issued_at   timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    answer      text,
    answered_by text,
    answered_at timestamptz
);
CREATE INDEX supervision_orders_order_idx ON supervision_orders (order_id);
CREATE INDEX supervision_orders_unit_idx ON supervision_orders (unit_code, status);

CREATE TABLE supervision_sessions (
    id            bigserial PRIMARY KEY,
    topic         text NOT NULL CHECK (btrim(topic) <> ''),
    room_url      text NOT NULL,
    emergency     text,
    mode          text,
    affected_area jsonb NOT NULL DEFAULT '[]',
    invited       jsonb NOT NULL DEFAULT '[]',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    closed_by     text,
    closed_at     timestamptz,
    minutes       jsonb  -- frozen at close: what the minutes say, whatever happens later
);
CREATE INDEX supervision_sessions_open_idx ON supervision_sessions (id) WHERE status = 'open';

CREATE TABLE supervision_session_orders (
    session_id bigint NOT NULL REFERENCES supervision_sessions (id),
    order_id   bigint NOT NULL REFERENCES orders (id),
    PRIMARY KEY (session_id, order_id)
);
CREATE INDEX supervision_session_orders_order_idx ON supervision_session_orders (order_id);

-- Presence intervals. At most one open interval per participant: the join button and
-- the video system's webhook both "join", and the second finds the first.
CREATE TABLE supervision_presence (
    id           bigserial PRIMARY KEY,
    session_id   bigint NOT NULL REFERENCES supervision_sessions (id),
    participant  text NOT NULL,
    display_name text NOT NULL,
    role         text,
    joined_at    timestamptz NOT NULL,
    joined_via   text NOT NULL CHECK (joined_via IN ('button', 'webhook')),
    left_at      timestamptz,
    left_via     text CHECK (left_via IN ('button', 'webhook', 'close'))
);
CREATE UNIQUE INDEX supervision_presence_open_idx
    ON supervision_presence (session_id, participant) WHERE left_at IS NULL;

-- Webhook deliveries seen, so a retried delivery changes nothing.
CREATE TABLE supervision_webhook_events (
    event_id    text PRIMARY KEY,
    received_at timestamptz NOT NULL,
    payload     jsonb NOT NULL
);

-- Tracked tasks: a leader's instruction that names no place or unit, and the like.
CREATE TABLE supervision_tasks (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,  -- instruction
    source_id   bigint,
    title       text NOT NULL,
    owner       text NOT NULL,
    due         timestamptz,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    done_by     text,
    done_at     timestamptz,
    result      text
);
CREATE INDEX supervision_tasks_owner_idx ON supervision_tasks (owner, status);

CREATE TABLE supervision_instructions (
    id         bigserial PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES supervision_sessions (id),
    text       text NOT NULL CHECK (btrim(text) <> ''),
    owner      text NOT NULL,
    due        timestamptz,
    kind       text NOT NULL DEFAULT 'instruction' CHECK (kind IN ('instruction', 'decision')),
    issued_by  text NOT NULL,
    issued_at  timestamptz NOT NULL,
    task_id    bigint REFERENCES supervision_tasks (id),
    order_id   bigint REFERENCES orders (id)
);
CREATE INDEX supervision_instructions_session_idx ON supervision_instructions (session_id, id);

CREATE TABLE supervision_attachments (
    id         bigserial PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES supervision_sessions (id),
    kind       text NOT NULL CHECK (kind IN ('recording', 'document', 'link')),
    title      text NOT NULL,
    url        text NOT NULL,
    added_by   text NOT NULL,
    added_at   timestamptz NOT NULL
);

-- After a session is closed its record is immutable; corrections are appended here.
CREATE TABLE supervision_amendments (
    id         bigserial PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES supervision_sessions (id),
    text       text NOT NULL CHECK (btrim(text) <> ''),
    author     text NOT NULL,
    at         timestamptz NOT NULL
);
CREATE TRIGGER supervision_amendments_append_only BEFORE UPDATE OR DELETE ON supervision_amendments
    FOR EACH ROW EXECUTE FUNCTION forbid_history_rewrite();

-- Callback tasks (回访): phone or SMS, the citizen's rating and whether it was solved.
CREATE TABLE callback_tasks (
    id         bigserial PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id),
    channel    text NOT NULL CHECK (channel IN ('phone', 'sms')),
    replied_at timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    created_at timestamptz NOT NULL,
    rating     text CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    solved     boolean,
    outcome    text,
    done_by    text,
    done_at    timestamptz,
    UNIQUE (order_id, replied_at)  -- one callback per reply, however many workers look
);
CREATE INDEX callback_tasks_pending_idx ON callback_tasks (id) WHERE status = 'pending';
