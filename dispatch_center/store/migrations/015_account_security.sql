-- Issue 15: tokens that can be revoked.
--
-- A token carries its user's token generation as it was when the token was issued; logout,
-- a password change and deactivation give the user a new generation, which ends every
-- older token of that user at once (wall tokens included). Generations come from one
-- sequence, taken under an advisory lock (store/accounts.py), so they commit in the order
-- they were drawn: a worker that has seen every row up to generation N only needs the rows
-- above N to stay current.
--
-- Existing users start at 0, the generation of every token issued before this migration
-- (a token without one counts as 0): signed-in users stay signed in through the upgrade.
CREATE SEQUENCE user_token_generation;

ALTER TABLE users ADD COLUMN token_generation bigint NOT NULL DEFAULT 0;
ALTER TABLE users ALTER COLUMN token_generation SET DEFAULT nextval('user_token_generation');
CREATE INDEX users_token_generation ON users (token_generation);

-- Sign-in throttling, shared by every worker: failed sign-ins per user and per client
-- address (an IPv6 client by its /64). A key whose failures pass the free allowance is
-- locked until locked_until (accounts/throttle.py says for how long); a success clears
-- the user's key. Rows idle for a day are purged as new failures come.
CREATE TABLE login_throttle (
    key              text PRIMARY KEY,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    locked_until     timestamptz
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
