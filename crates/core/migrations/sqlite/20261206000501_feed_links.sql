-- Feed links (issue 31, DESIGN §14): one (player, data URL) pair a no-code widget fetches
-- as `…/v1/feeds/<id>/<key>`. Only a keyed hash of the key is kept (HMAC-SHA256 under the
-- secret store's `gateway/feed-key`). `player_id` has no foreign key on purpose: a feed of
-- a removed player must keep answering 403 (access cut), not vanish into a 404. A removed
-- feed stays as a tombstone (`removed_at`, hash kept) so its link answers 403 too.
CREATE TABLE feed (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    player_id   TEXT NOT NULL,
    url         TEXT NOT NULL,
    allow_query TEXT NOT NULL DEFAULT '[]',
    key_hash    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    rotated_at  INTEGER,
    removed_at  INTEGER
) STRICT;
CREATE INDEX feed_by_player ON feed (player_id);
