-- Feed links are audited ('feed_added', 'feed_rotated', 'feed_removed'; subject 'feed').
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
-- rows and ids, as in 20261123000007.
CREATE TABLE audit_event_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    principal_id TEXT,
    action       TEXT NOT NULL CHECK (action IN (
        'grant', 'refresh', 'connect', 'reauth', 'disconnect', 'token_attached',
        'prompt_answered', 'link', 'unlink', 'player_added', 'player_removed',
        'player_secret_rotated', 'feed_added', 'feed_rotated', 'feed_removed')),
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT
) STRICT;
INSERT INTO audit_event_new (id, at, principal_id, action, subject_kind, subject_id, outcome, detail)
    SELECT id, at, principal_id, action, subject_kind, subject_id, outcome, detail FROM audit_event;
DROP TABLE audit_event;
ALTER TABLE audit_event_new RENAME TO audit_event;
CREATE INDEX audit_event_by_time ON audit_event (at);
