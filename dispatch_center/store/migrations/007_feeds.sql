-- Feeds: sources and their keys, the durable intake queue, dead letters, the live layer
-- state, CAP chains, the 110 linkage messages and intake-channel state. The raw feed
-- events table differs per storage path: 007_feeds.native.sql / 007_feeds.timescale.sql.
--
-- Idempotency of feed events lives in feed_dedupe, not in a unique index on feed_events:
-- a unique index on a partitioned table must contain the partition key (`at`), and an
-- outside system that re-sends an event with a corrected time would then slip through.
-- (system, source_id) in a small unpartitioned table is processed exactly once.
CREATE TABLE feed_sources (
    system      text PRIMARY KEY,
    key_hash    text,            -- sha256 hex of the source's API key
    hmac_secret text,            -- shared secret of X-Signature: sha256=<hex>
    rate_per_s  double precision NOT NULL,
    burst       integer NOT NULL,
    max_bytes   integer NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intake (
    id           bigserial PRIMARY KEY,
    system       text NOT NULL,
    received_at  timestamptz NOT NULL,
    content_type text NOT NULL DEFAULT '',
    payload      bytea NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    done_at      timestamptz
);
CREATE INDEX intake_pending_idx ON intake (id) WHERE status = 'pending';

CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    system       text NOT NULL,
    received_at  timestamptz NOT NULL,
    content_type text NOT NULL DEFAULT '',
    payload      bytea NOT NULL,
    error        text NOT NULL,
    field        text,
    replayed_at  timestamptz,
    replay_result text
);
CREATE INDEX dead_letters_open_idx ON dead_letters (id) WHERE replayed_at IS NULL;

CREATE TABLE feed_dedupe (
    system    text NOT NULL,
    source_id text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (system, source_id)
);


CREATE TABLE feed_layer_state (
    system    text NOT NULL,
    key       text NOT NULL,
    layer     text NOT NULL,
    kind      text NOT NULL,
    at        timestamptz NOT NULL,
    severity  text NOT NULL,
    title     text NOT NULL DEFAULT '',
    lon       double precision,
    lat       double precision,
    area      jsonb,
    data      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (system, key)
);

CREATE TABLE cap_alerts (
    sender      text NOT NULL,
    identifier  text NOT NULL,
    chain_key   text NOT NULL,
    msg_type    text NOT NULL,
    status      text NOT NULL,
    sent        timestamptz NOT NULL,
    severity    text NOT NULL DEFAULT 'unknown',
    event       text NOT NULL DEFAULT '',
    headline    text NOT NULL DEFAULT '',
    expires     timestamptz,
    area        jsonb,
    xml         bytea NOT NULL,
    state       text NOT NULL,  -- current | superseded | cancelled
    received_at timestamptz NOT NULL,
    PRIMARY KEY (sender, identifier)
);
CREATE INDEX cap_alerts_chain_idx ON cap_alerts (chain_key, sent);

CREATE TABLE linkage_messages (
    id         bigserial PRIMARY KEY,
    direction  text NOT NULL CHECK (direction IN ('in', 'out')),
    msg_id     text NOT NULL UNIQUE,
    msg_type   text NOT NULL,
    order_id   bigint,
    ref_no     text,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,        -- out: handed to the 110 platform
    acked      text                -- ACCEPTED | REJECTED, from the ACK that refers to it
);
CREATE INDEX linkage_order_idx ON linkage_messages (order_id);

CREATE TABLE intake_attachments (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    source_id    text NOT NULL,
    order_id     bigint,
    filename     text NOT NULL,
    content_type text NOT NULL,
    path         text,
    url          text,
    size         bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id, filename)
);

CREATE TABLE voice_calls (
    call_id       text PRIMARY KEY,
    caller        text NOT NULL,
    rang_at       timestamptz,
    answered_at   timestamptz,
    ended_at      timestamptz,
    agent_id      text,
    recording_url text
);

CREATE TABLE sms_parts (
    sender      text NOT NULL,
    dest        text NOT NULL,
    ref         integer NOT NULL,
    total       integer NOT NULL,
    seq         integer NOT NULL,
    msg_id      text NOT NULL,
    content     text NOT NULL,
    received_at timestamptz NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, dest, ref, total, seq)
);

CREATE TABLE open311_tokens (
    token      text PRIMARY KEY,
    order_id   bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
