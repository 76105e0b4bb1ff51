-- The wall's KPI tiles read the last 30 days of replies and ratings on every snapshot;
-- without these they scanned every order ever received (1.1 s at 3.2 million orders).
CREATE INDEX orders_replied_idx ON orders (replied_at) WHERE replied_at IS NOT NULL;
CREATE INDEX orders_rated_idx ON orders (updated_at) WHERE last_rating IS NOT NULL;
