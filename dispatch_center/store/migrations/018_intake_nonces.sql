-- Issue 15: signed intake requests cannot be replayed.
--
-- A signed request (an HMAC-signed feed payload, a WeChat callback) carries a timestamp and
-- is accepted only within a window of it; within that window each signature (HMAC) or
-- timestamp+nonce (WeChat) is remembered here, shared by every worker, so the same one
-- again is a replay. `digest` is the SHA-256 of the body: WeChat retries a callback with the
-- same nonce and body (answered without processing it twice), while the same nonce with
-- another body is refused. Rows past `expires_at` can no longer match a fresh request (its
-- timestamp would be stale) and are purged as new ones come (dispatch_center/store/nonces.py).
CREATE TABLE intake_nonces (
    scope       text NOT NULL,
    nonce       text NOT NULL,
    digest      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, nonce)
);
CREATE INDEX intake_nonces_expires ON intake_nonces (expires_at);
