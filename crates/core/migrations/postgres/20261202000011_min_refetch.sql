-- A minimum refetch interval per channel and per URL token (issue 21): the gateway's
-- shared cache serves a response fetched with these credentials for at least this many
-- seconds, for APIs that send no caching headers. 0 (the default): caching headers only.
ALTER TABLE channel ADD COLUMN min_refetch_secs BIGINT NOT NULL DEFAULT 0
    CHECK (min_refetch_secs >= 0 AND min_refetch_secs <= 86400);
ALTER TABLE url_token ADD COLUMN min_refetch_secs BIGINT NOT NULL DEFAULT 0
    CHECK (min_refetch_secs >= 0 AND min_refetch_secs <= 86400);
