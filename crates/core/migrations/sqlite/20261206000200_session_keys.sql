-- The gateway's session keys (issue 26): which key signs new session tokens (`current_id`)
-- and which still opens them (`previous_id`, the one before the last rotation). One row,
-- created insert-if-absent, so gateways sharing the database agree on the key. The keys
-- themselves stay in the secret store (`gateway/session-key/<id>`; the id `legacy` is the
-- key installations made before this migration, `gateway/session-key`): never here.
CREATE TABLE session_keys (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    current_id TEXT NOT NULL,
    previous_id TEXT,
    rotated_at INTEGER NOT NULL,
    CHECK (previous_id IS NULL OR previous_id <> current_id)
);
