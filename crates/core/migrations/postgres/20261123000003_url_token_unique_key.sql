-- One token per prefix and key: the longest-prefix rule then picks exactly one token per
-- key, deterministically.
CREATE UNIQUE INDEX url_token_prefix_key ON url_token (prefix, key);
