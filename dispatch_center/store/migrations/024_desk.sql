-- The call-taker's desk (坐席受理台): the gazetteer a seat types place names into, and the
-- calls a seat passed to another city's 12345 (the point lies outside Leshan).
CREATE TABLE IF NOT EXISTS places (
    id      bigserial PRIMARY KEY,
    name    text NOT NULL,
    kind    text NOT NULL,
    lon     double precision NOT NULL,  -- WGS-84, converted on import
    lat     double precision NOT NULL,
    adcode  text NOT NULL,
    source  text NOT NULL,  -- which import wrote it ('demo', 'demo-grid', a file name)
    UNIQUE (name, adcode)
);
CREATE INDEX IF NOT EXISTS places_name_idx ON places (name text_pattern_ops);

CREATE TABLE IF NOT EXISTS city_transfers (
    id       bigserial PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor    text NOT NULL,
    call_id  text,
    city     text NOT NULL,
    hotline  text NOT NULL,
    lon      double precision,
    lat      double precision,
    note     text NOT NULL DEFAULT ''
);

-- The screen pop reads the call at a seat and a caller's calls and orders while it rings.
CREATE INDEX IF NOT EXISTS voice_calls_agent_idx ON voice_calls (agent_id, answered_at);
CREATE INDEX IF NOT EXISTS voice_calls_caller_idx ON voice_calls (caller, rang_at);
CREATE INDEX IF NOT EXISTS orders_reporter_phone_idx ON orders (reporter_phone, received_at);
