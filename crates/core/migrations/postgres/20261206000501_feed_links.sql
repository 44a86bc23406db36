-- ../sqlite/20261206000501_feed_links.sql: feed links, a keyed hash of each key, no
-- foreign key to the player (a removed player's feed answers 403), tombstones for removed
-- feeds.
CREATE TABLE feed (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    player_id   TEXT NOT NULL,
    url         TEXT NOT NULL,
    allow_query TEXT NOT NULL DEFAULT '[]',
    key_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    rotated_at  BIGINT,
    removed_at  BIGINT
);
CREATE INDEX feed_by_player ON feed (player_id);
