-- The handlers' workbench (issue 18).
--
-- 一级抓一级: the pass-down stack of an order, one entry per 下派 from the lead unit down;
-- the unit on top holds the order (assigned_unit). Empty: the lead holds it.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS delegation jsonb NOT NULL DEFAULT '[]'::jsonb;

-- 协办: the co-handling units named at dispatch, as a column so a reader's scope can be
-- filtered in SQL, and each unit's part (accepted, replied, its text and outcome).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS co_units text[] NOT NULL DEFAULT '{}';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS co_parts jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX IF NOT EXISTS orders_co_units ON orders USING gin (co_units);

-- A phone that acted offline sends each queued action with a client id, maybe twice: the
-- first answer is kept and a repeat gets it back instead of acting again.
CREATE TABLE IF NOT EXISTS action_receipts (
    username   text NOT NULL,
    client_id  text NOT NULL,
    order_id   bigint NOT NULL,
    action     text NOT NULL,
    status     integer NOT NULL,
    answer     jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (username, client_id)
);

-- Photos of a reply (办结), taken on the phone: stored stripped of their metadata; the GPS
-- position they carried, if any, is kept beside them as the reply's place.
CREATE TABLE IF NOT EXISTS order_photos (
    id           bigserial PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id),
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    content_type text NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    lon          double precision,
    lat          double precision,
    data         bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS order_photos_order ON order_photos (order_id);

-- Web Push (VAPID): a handler's phone that allowed notifications; one row per browser.
CREATE TABLE IF NOT EXISTS push_subscriptions (
    endpoint    text PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    p256dh      text NOT NULL,
    auth        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS push_subscriptions_user ON push_subscriptions (username);
