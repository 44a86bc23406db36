-- How long the gateway keeps showing the last good answer fetched with a channel or URL
-- token when a fresh one cannot be had (issue 28, DESIGN §13): seconds since it was
-- fetched, 86400 (a day) by default, 0 to serve nothing stale. Up to 30 days.
ALTER TABLE channel ADD COLUMN keep_stale_secs INTEGER NOT NULL DEFAULT 86400
    CHECK (keep_stale_secs >= 0 AND keep_stale_secs <= 2592000);
ALTER TABLE url_token ADD COLUMN keep_stale_secs INTEGER NOT NULL DEFAULT 86400
    CHECK (keep_stale_secs >= 0 AND keep_stale_secs <= 2592000);
