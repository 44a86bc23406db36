-- Recent previews: URLs and outcomes only (no headers, bodies or credentials).
CREATE TABLE preview_history (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    method   TEXT NOT NULL,
    url      TEXT NOT NULL,
    status   INTEGER,
    error    TEXT,
    total_ms REAL
) STRICT;
CREATE INDEX preview_history_by_time ON preview_history (at);
