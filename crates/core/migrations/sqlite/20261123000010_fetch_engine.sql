-- One fetch engine for every principal (issue 16).

-- URL tokens link to principals as channels do: no link, no token on that principal's
-- requests. The license is linked to every token that exists now (previews keep working
-- as before); new tokens are linked to it when they are added or accepted.
CREATE TABLE token_link (
    principal_id TEXT NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
    token_id     TEXT NOT NULL REFERENCES url_token (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal_id, token_id)
) STRICT;
CREATE INDEX token_link_by_token ON token_link (token_id);
INSERT INTO token_link (principal_id, token_id, created_at)
    SELECT 'license', id, CAST(strftime('%s', 'now') AS INTEGER) FROM url_token;

-- A channel's hand-out mode: `proxy` (players get data through the gateway's /v1/fetch,
-- never the provider's token) or `token` (/v1/grants hands the provider's token out).
-- New channels are `proxy`; channels that exist now keep what they did (`token`).
ALTER TABLE channel ADD COLUMN handout TEXT NOT NULL DEFAULT 'proxy'
    CHECK (handout IN ('proxy', 'token'));
UPDATE channel SET handout = 'token';

-- Bumped whenever a player's sessions must end (secret rotated, a link removed): a
-- gateway session token carries the generation it was minted under.
ALTER TABLE principal ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0
    CHECK (session_generation >= 0);
