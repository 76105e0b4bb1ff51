-- What Open311 publishes (issue 15). GET /open311/v2/requests answers anyone, and used to
-- list every order of every channel (110 transfers, 举报, e-mail) under its sequential id.
--
-- A category is published only when marked public: the shipped taxonomy says which, and
-- why, in dispatch_center/data/taxonomy.csv (seeded at start-up, like the names).
ALTER TABLE taxonomy ADD COLUMN public boolean NOT NULL DEFAULT false;

-- A request that came in through Open311: the id it is known by outside (random, so it
-- says nothing about the order behind it or how many there are) and whether the citizen
-- asked to keep it private (the POST's "private" field).
CREATE TABLE open311_requests (
    order_id   bigint PRIMARY KEY REFERENCES orders (id),
    public_id  text NOT NULL UNIQUE,
    private    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Requests posted before this version get their public id now (their POST answered with
-- the order id, which no longer finds anything: it was the leak).
INSERT INTO open311_requests (order_id, public_id)
SELECT id, replace(gen_random_uuid()::text, '-', '')
FROM orders
WHERE channel = 'open311';
