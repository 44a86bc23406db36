-- Reminders already shown as notifications: one per channel, level and due date, so a
-- restart never repeats one and a re-authorization (a new due date) starts afresh.
CREATE TABLE reminder_notified (
    channel_id  TEXT NOT NULL REFERENCES channel (id) ON DELETE CASCADE,
    level       TEXT NOT NULL,
    due_at      INTEGER NOT NULL DEFAULT 0,
    notified_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, level, due_at)
) STRICT;
