-- Revocations a provider did not confirm (it answered 503/429 or could not be reached),
-- retried later: the refresh token waits in the secret store under
-- `revocation/<channel id>/refresh`, never here. No foreign keys: the channel is gone
-- already, and a removed provider's row is dropped by the retry (its secret first).
CREATE TABLE pending_revocation (
    channel_id  TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    attempts    INTEGER NOT NULL
) STRICT;
