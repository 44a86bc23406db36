-- ../sqlite/20261202000012_named_header.sql: a URL token sent as its own header, named
-- by its key; stored as placement 'header' with this flag, as on SQLite.
ALTER TABLE url_token ADD COLUMN header_named BOOLEAN NOT NULL DEFAULT FALSE
    CHECK (NOT header_named OR placement = 'header');
ALTER TABLE token_offer ADD COLUMN header_named BOOLEAN NOT NULL DEFAULT FALSE
    CHECK (NOT header_named OR placement = 'header');
