-- A URL token sent as its own header, named by its key (`X-API-Key: value`): stored as
-- placement 'header' with this flag, because SQLite cannot change the placement CHECK in
-- place and rebuilding `url_token` would cascade into its decisions and links.
ALTER TABLE url_token ADD COLUMN header_named INTEGER NOT NULL DEFAULT 0
    CHECK (header_named IN (0, 1) AND (header_named = 0 OR placement = 'header'));
ALTER TABLE token_offer ADD COLUMN header_named INTEGER NOT NULL DEFAULT 0
    CHECK (header_named IN (0, 1) AND (header_named = 0 OR placement = 'header'));
