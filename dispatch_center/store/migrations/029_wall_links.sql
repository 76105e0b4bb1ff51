-- Wall links (the duty officer's /wall-link): each wall-screen token names its row here,
-- so a wall link lives its own life. Signing out ends the person's own tokens and no
-- longer darkens the wall at shift change; a link ends when it expires, when its issuer
-- (or an admin) revokes it, or when the issuer's password, role or unit changes or the
-- account is deactivated (those end every link of the account, row by row, so the list
-- shows why).
--
-- revoked_generation is drawn from user_token_generation under the same advisory lock as
-- the users' generations (store/accounts.py), so revocations commit in the order drawn and
-- every worker's token ledger reads only the rows above the highest it has seen.
CREATE TABLE wall_links (
    id                 bigserial PRIMARY KEY,
    issued_by          text NOT NULL REFERENCES users (username),
    role               text NOT NULL,
    unit_code          text,
    issued_at          timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,
    revoked_by         text,
    revoked_reason     text,
    revoked_generation bigint,
    CHECK ((revoked_at IS NULL) = (revoked_generation IS NULL))
);
CREATE INDEX wall_links_issuer ON wall_links (issued_by, id DESC);
CREATE INDEX wall_links_revoked ON wall_links (revoked_generation)
    WHERE revoked_generation IS NOT NULL;
