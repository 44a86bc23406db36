-- What each screen was last served (issue 28 item 3): written by the gateways in batches,
-- the latest request winning, so several gateways on one PostgreSQL show one state.
-- last_answer: 'fresh' | 'stale' | 'refused'; last_code: the stale reason or the refusal's
-- code; stale_since: the first stale answer of the current run; data_from: when the stale
-- data was fetched.
CREATE TABLE screen_state (
    player_id TEXT PRIMARY KEY REFERENCES principal (id) ON DELETE CASCADE,
    last_request_at INTEGER NOT NULL,
    last_answer TEXT NOT NULL CHECK (last_answer IN ('fresh', 'stale', 'refused')),
    last_code TEXT,
    stale_since INTEGER,
    data_from INTEGER
);
-- Per screen and data URL (without its query), the last fresh answer.
CREATE TABLE feed_state (
    player_id TEXT NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    last_fresh_at INTEGER NOT NULL,
    PRIMARY KEY (player_id, url)
);
